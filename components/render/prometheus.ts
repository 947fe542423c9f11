// Prometheus on the load balancer's server: its config, its alert rules and its daemon flags. Pure.
// Prometheus sends the alerts to every Alertmanager (render/alertmanager.ts), which tells people.
import * as yaml from "js-yaml";
import { ALERTMANAGER_JOB, APP_JOB, HAPROXY_JOB } from "./alertRules";
import { BLACKBOX_JOB, BLACKBOX_MODULE } from "./blackbox";
import { GALERA_TARGET_ROLE, GaleraMonitoring, MYSQLD_JOB } from "./databaseAlerts";
import { NGINX_JOB } from "./nginxExporter";
import { NODE_JOB } from "./nodeExporter";
import { PROMETHEUS_PASSWORD_PATH, PROMETHEUS_USER, PROMETHEUS_WEB_CONFIG_PATH } from "./prometheusAuth";
import { assertSafeToken, lines } from "./text";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
/** A directory of its own: on aws the rules come from an S3 bundle, whose boot may write here and nowhere else. */
export const PROMETHEUS_RULES_DIR = "/etc/prometheus/rules";
export const PROMETHEUS_RULES_PATH = `${PROMETHEUS_RULES_DIR}/foobar-alerts.yml`;
/** Debian's prometheus unit reads its flags from here; the docker image's entrypoint does too. */
export const PROMETHEUS_DEFAULTS_PATH = "/etc/default/prometheus";
export const PROMETHEUS_DATA_PATH = "/var/lib/prometheus/metrics2";
export { ALERTMANAGER_JOB, APP_JOB, BLACKBOX_JOB, GALERA_TARGET_ROLE, HAPROXY_JOB, MYSQLD_JOB, NGINX_JOB, NODE_JOB };
export { AlertRulesInput, renderAlertRules } from "./alertRules";

/** A mysqld exporter Prometheus scrapes, labelled with where its database runs and what it is. */
export interface DatabaseTarget {
    /** host:port of the exporter. */
    readonly target: string;
    /** The server the database runs on, as the label `host` (as for HAProxy). */
    readonly host: string;
    readonly role: "primary" | "replica";
}

/** A HAProxy Prometheus scrapes. */
export interface HaproxyTarget {
    /** host:port of its metrics (its internal stats bind). */
    readonly target: string;
    /**
     * The server it runs on, as the label `host` on its series. Not `server`: HAProxy's own series
     * carry `server` (the web server), and a target label would rename theirs away.
     */
    readonly host: string;
}

/** The blackbox exporter beside a Prometheus, and the URL it probes. */
export interface ProbeTarget {
    /** host:port of the blackbox exporter. */
    readonly prober: string;
    /** Its server, as the label `host`: which vantage point saw the site fail. */
    readonly host: string;
    /** The public URL it probes (render/blackbox.ts's publicProbeUrl). */
    readonly url: string;
}

export interface PrometheusConfigInput {
    readonly scrapeIntervalSeconds: number;
    readonly haproxyTargets: readonly HaproxyTarget[];
    /** Labels every series and alert carries, e.g. the stack. */
    readonly externalLabels: Readonly<Record<string, string>>;
    readonly listenPort: number;
    /** One per self-managed database; none for RDS. */
    readonly databaseTargets: readonly DatabaseTarget[];
    /** Every web server's app (host:port of its /metrics), labelled host with its server. */
    readonly appTargets?: readonly HaproxyTarget[];
    /** Every nginx's exporter (host:port), labelled host with its server. */
    readonly nginxTargets?: readonly HaproxyTarget[];
    /** Every server's node exporter (host:port), labelled host with its server. */
    readonly nodeTargets?: readonly HaproxyTarget[];
    /** This Prometheus's own blackbox exporter and what it probes; undefined for none. */
    readonly probe?: ProbeTarget;
    /** host:port of every Alertmanager: each Prometheus sends every alert to all of them (a pair's cluster sends it once). */
    readonly alertmanagers: readonly string[];
    /**
     * The databases are a Galera cluster (database.failover automatic): every target is labelled
     * role="node" (GALERA_TARGET_ROLE), since the writer moves between them.
     */
    readonly galera?: GaleraMonitoring;
}

const dump = (header: string, doc: unknown) => `${header}\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;
const HEADER = "# Rendered by foobar-infra (components/render/prometheus.ts). Do not edit by hand.";

export function renderPrometheusConfig(input: PrometheusConfigInput): string {
    const interval = `${input.scrapeIntervalSeconds}s`;
    return dump(HEADER, {
        global: { scrape_interval: interval, evaluation_interval: interval, external_labels: input.externalLabels },
        rule_files: [PROMETHEUS_RULES_PATH],
        alerting: {
            alertmanagers: [
                {
                    static_configs: [
                        {
                            targets: input.alertmanagers.map((target) => {
                                assertSafeToken("Alertmanager target", target);
                                return target;
                            }),
                        },
                    ],
                },
            ],
        },
        scrape_configs: [
            {
                job_name: HAPROXY_JOB,
                metrics_path: "/metrics",
                static_configs: input.haproxyTargets.map((h) => {
                    assertSafeToken("HAProxy metrics target", h.target);
                    return { targets: [h.target], labels: { host: h.host } };
                }),
            },
            ...(input.databaseTargets.length > 0
                ? [
                      {
                          job_name: MYSQLD_JOB,
                          static_configs: input.databaseTargets.map((d) => {
                              assertSafeToken("mysqld exporter target", d.target);
                              return { targets: [d.target], labels: { host: d.host, role: input.galera ? GALERA_TARGET_ROLE : d.role } };
                          }),
                      },
                  ]
                : []),
            ...hostJob(APP_JOB, "app metrics target", input.appTargets),
            ...hostJob(NGINX_JOB, "nginx exporter target", input.nginxTargets),
            ...hostJob(NODE_JOB, "node exporter target", input.nodeTargets),
            ...(input.probe ? [probeJob(input.probe)] : []),
            // Alertmanager's own metrics: whether its notifications reach their receivers.
            ...(input.alertmanagers.length > 0
                ? [{ job_name: ALERTMANAGER_JOB, static_configs: [{ targets: [...input.alertmanagers] }] }]
                : []),
            {
                job_name: "prometheus",
                basic_auth: { username: PROMETHEUS_USER, password_file: PROMETHEUS_PASSWORD_PATH },
                static_configs: [{ targets: [`127.0.0.1:${input.listenPort}`] }],
            },
        ],
    });
}

/** A job of targets labelled with their server (`host`), as HAProxy's; none without targets. */
function hostJob(name: string, what: string, targets: readonly HaproxyTarget[] = []): object[] {
    if (targets.length === 0) return [];
    return [
        {
            job_name: name,
            static_configs: targets.map((t) => {
                assertSafeToken(what, t.target);
                return { targets: [t.target], labels: { host: t.host } };
            }),
        },
    ];
}

/**
 * Blackbox's multi-target pattern: the URL to probe is the target, passed as ?target=; the
 * exporter is the address scraped. `instance` is then the URL, as alerts name it.
 */
function probeJob(probe: ProbeTarget): object {
    assertSafeToken("blackbox exporter", probe.prober);
    assertSafeToken("probed URL", probe.url);
    return {
        job_name: BLACKBOX_JOB,
        metrics_path: "/probe",
        params: { module: [BLACKBOX_MODULE] },
        static_configs: [{ targets: [probe.url], labels: { host: probe.host } }],
        relabel_configs: [
            { source_labels: ["__address__"], target_label: "__param_target" },
            { source_labels: ["__param_target"], target_label: "instance" },
            { target_label: "__address__", replacement: probe.prober },
        ],
    };
}

export interface PrometheusFlagsInput {
    readonly listenPort: number;
    readonly retentionDays: number;
}

/** The daemon's flags, as Debian's /etc/default/prometheus carries them (ARGS="..."). */
export function renderPrometheusDefaults(input: PrometheusFlagsInput): string {
    const flags = [
        `--config.file=${PROMETHEUS_CONFIG_PATH}`,
        `--storage.tsdb.path=${PROMETHEUS_DATA_PATH}`,
        `--storage.tsdb.retention.time=${input.retentionDays}d`,
        `--web.listen-address=:${input.listenPort}`,
        // Every endpoint asks for the operator's password (prometheusAuth.ts).
        `--web.config.file=${PROMETHEUS_WEB_CONFIG_PATH}`,
    ];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
