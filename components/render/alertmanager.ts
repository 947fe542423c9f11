// Alertmanager beside each Prometheus: who is told, how soon, and what is held back. Pure.
// Debian's prometheus-alertmanager 0.25 reads the webhook's URL only from the config itself (url_file
// came in 0.26), so the whole file is a secret where the URL is: the platforms upload it as one.
import * as yaml from "js-yaml";
import { assertSafeToken, lines } from "./text";

export const ALERTMANAGER_CONFIG_PATH = "/etc/prometheus/alertmanager.yml";
/** Debian's prometheus-alertmanager unit reads its flags from here; the docker image's start script too. */
export const ALERTMANAGER_DEFAULTS_PATH = "/etc/default/prometheus-alertmanager";
export const ALERTMANAGER_DATA_PATH = "/var/lib/prometheus/alertmanager";
/** The SMTP password, apart from the config (smtp_auth_password_file, Alertmanager 0.25). */
export const ALERTMANAGER_SMTP_PASSWORD_PATH = "/etc/prometheus/alertmanager-smtp-password";

/** The one receiver every alert goes to; with no webhook and no e-mail, alerts stay in Alertmanager's UI and API. */
export const RECEIVER = "on-call";

/**
 * Alerts that say less than FoobarSiteDown when it fires: one web server down, errors or slowness
 * behind a site that answers nobody. Held back while it fires, so the page says what is wrong.
 */
export const SILENCED_BY_SITE_DOWN = ["FoobarWebServerDown", "FoobarServerErrors", "FoobarSlowResponses"] as const;

/** How soon and how often: critical at once and alone; warnings of one failure together. */
export const TIMING = {
    /** Warnings wait this long for the others of the same failure (a web server and its replica). */
    warningGroupWait: "15s",
    /** Then a group's news (a new alert, a resolved one) goes out at most this often. */
    groupInterval: "1m",
    /** A warning that still fires is repeated every 4 h; a critical one every hour. */
    warningRepeat: "4h",
    criticalRepeat: "1h",
} as const;

export interface EmailReceiver {
    readonly to: string;
    readonly from: string;
    /** host:port of the SMTP server (STARTTLS required). */
    readonly smarthost: string;
    /** With a username, the password is read from ALERTMANAGER_SMTP_PASSWORD_PATH. */
    readonly username?: string;
}

export interface AlertmanagerConfigInput {
    /** Where alerts are POSTed (Alertmanager's webhook format), a secret: Slack, PagerDuty and the like take it through a bridge (README). */
    readonly webhookUrl?: string;
    readonly email?: EmailReceiver;
}

const HEADER = "# Rendered by foobar-infra (components/render/alertmanager.ts). Do not edit by hand.";

export function renderAlertmanagerConfig(input: AlertmanagerConfigInput): string {
    // Every value goes through the YAML serializer (quoted as needed); the config schema checked their shape.
    const { email, webhookUrl } = input;
    const receiver = {
        name: RECEIVER,
        ...(webhookUrl ? { webhook_configs: [{ url: webhookUrl, send_resolved: true }] } : {}),
        ...(email ? { email_configs: [{ to: email.to, send_resolved: true }] } : {}),
    };
    const doc = {
        global: {
            resolve_timeout: "5m",
            ...(email
                ? {
                      smtp_from: email.from,
                      smtp_smarthost: email.smarthost,
                      smtp_require_tls: true,
                      ...(email.username
                          ? { smtp_auth_username: email.username, smtp_auth_password_file: ALERTMANAGER_SMTP_PASSWORD_PATH }
                          : {}),
                  }
                : {}),
        },
        route: {
            receiver: RECEIVER,
            group_by: ["alertname", "site"],
            group_wait: TIMING.warningGroupWait,
            group_interval: TIMING.groupInterval,
            repeat_interval: TIMING.warningRepeat,
            routes: [
                {
                    // `...`: every label, so each critical alert is its own group, sent without waiting.
                    matchers: ['severity="critical"'],
                    receiver: RECEIVER,
                    group_by: ["..."],
                    group_wait: "0s",
                    repeat_interval: TIMING.criticalRepeat,
                },
            ],
        },
        inhibit_rules: [
            {
                source_matchers: ['alertname="FoobarSiteDown"'],
                target_matchers: [`alertname=~"${SILENCED_BY_SITE_DOWN.join("|")}"`],
                equal: ["site"],
            },
        ],
        receivers: [receiver],
    };
    return `${HEADER}\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;
}

export interface AlertmanagerFlagsInput {
    /** The address it listens on (Prometheus's way to it, not every interface) and the port. */
    readonly listenAddress: string;
    readonly listenPort: number;
    /**
     * Its own address and port for the cluster's gossip, and its peers': with two Alertmanagers (a
     * load-balancer pair) they share silences and who notified what, so one alert gives one
     * notification. None: no cluster (one Alertmanager).
     */
    readonly cluster?: { readonly self: string; readonly peers: readonly string[] };
}

export function renderAlertmanagerDefaults(input: AlertmanagerFlagsInput): string {
    const cluster = input.cluster
        ? [
              `--cluster.listen-address=${input.cluster.self}`,
              `--cluster.advertise-address=${input.cluster.self}`,
              ...input.cluster.peers.map((peer) => `--cluster.peer=${peer}`),
          ]
        : // An empty listen address turns the cluster off (else it listens on 0.0.0.0:9094).
          ["--cluster.listen-address="];
    // The flags are word-split by a shell (ARGS): addresses must be plain tokens.
    for (const address of input.cluster ? [input.cluster.self, ...input.cluster.peers] : [])
        assertSafeToken("an Alertmanager cluster address", address);
    const flags = [
        `--config.file=${ALERTMANAGER_CONFIG_PATH}`,
        `--storage.path=${ALERTMANAGER_DATA_PATH}`,
        `--web.listen-address=${input.listenAddress}:${input.listenPort}`,
        ...cluster,
    ];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
