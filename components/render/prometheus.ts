// Prometheus on the load balancer's server: its config, its alert rules and its daemon flags. Pure.
// Prometheus sends the alerts to every Alertmanager (render/alertmanager.ts), which tells people.
import * as yaml from "js-yaml";
import { GALERA_TARGET_ROLE, GaleraMonitoring, MYSQLD_JOB, databaseRules } from "./databaseAlerts";
import { HAPROXY_BACKEND, HAPROXY_FRONTEND } from "./haproxy";
import { PROMETHEUS_PASSWORD_PATH, PROMETHEUS_USER, PROMETHEUS_WEB_CONFIG_PATH } from "./prometheusAuth";
import { assertSafeToken, lines } from "./text";

export const PROMETHEUS_CONFIG_PATH = "/etc/prometheus/prometheus.yml";
export const PROMETHEUS_RULES_PATH = "/etc/prometheus/foobar-alerts.yml";
/** Debian's prometheus unit reads its flags from here; the docker image's entrypoint does too. */
export const PROMETHEUS_DEFAULTS_PATH = "/etc/default/prometheus";
export const PROMETHEUS_DATA_PATH = "/var/lib/prometheus/metrics2";
export const HAPROXY_JOB = "haproxy";
export { GALERA_TARGET_ROLE, MYSQLD_JOB };

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

export interface PrometheusConfigInput {
    readonly scrapeIntervalSeconds: number;
    readonly haproxyTargets: readonly HaproxyTarget[];
    /** Labels every series and alert carries, e.g. the stack. */
    readonly externalLabels: Readonly<Record<string, string>>;
    readonly listenPort: number;
    /** One per self-managed database; none for RDS. */
    readonly databaseTargets: readonly DatabaseTarget[];
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
            {
                job_name: "prometheus",
                basic_auth: { username: PROMETHEUS_USER, password_file: PROMETHEUS_PASSWORD_PATH },
                static_configs: [{ targets: [`127.0.0.1:${input.listenPort}`] }],
            },
        ],
    });
}

export interface AlertRulesInput {
    readonly scrapeIntervalSeconds: number;
    /** Whether mysqld exporters are scraped (self-managed databases): adds the database alerts. */
    readonly databases: boolean;
    /** Whether the primary waits for a replica's acknowledgement (semi-sync): adds its alert. */
    readonly semiSync: boolean;
    /** HAProxies behind the site's one address: 1, or a pair (which adds FoobarLoadBalancerNoStandby). */
    readonly loadBalancers: number;
    /** The databases are a Galera cluster: its rules replace the replication ones (semi-sync is then ignored). */
    readonly galera?: GaleraMonitoring;
}

/**
 * What someone on call for www.foobar.com needs to know, from HAProxy's own view of the site.
 * `for` spans two scrapes, so one missed scrape or one failed check never pages anyone.
 */
export function renderAlertRules(input: AlertRulesInput): string {
    const scrape = input.scrapeIntervalSeconds;
    const settle = `${2 * scrape}s`;
    // rate() needs at least four samples in its window.
    const window = `${Math.max(60, 4 * scrape)}s`;
    const web = `proxy="${HAPROXY_BACKEND}"`;
    const www = `proxy="${HAPROXY_FRONTEND}"`;
    return dump(HEADER, {
        groups: [
            {
                name: "foobar",
                rules: [
                    {
                        alert: "FoobarWebServerDown",
                        expr: `haproxy_server_status{${web},state="UP"} == 0`,
                        for: settle,
                        labels: { severity: "warning" },
                        annotations: {
                            summary: "{{ $labels.server }} fails HAProxy's health check",
                            description:
                                "HAProxy sends {{ $labels.server }} no traffic; the other web servers carry the site. Check its nginx and app.",
                        },
                    },
                    {
                        alert: "FoobarSiteDown",
                        expr: `haproxy_backend_active_servers{${web}} + haproxy_backend_backup_servers{${web}} == 0`,
                        for: `${scrape}s`,
                        labels: { severity: "critical" },
                        annotations: {
                            summary: "No web server is up: the site answers 503",
                            description: "Every web server fails HAProxy's health check.",
                        },
                    },
                    ...loadBalancerRules(settle, input.loadBalancers),
                    {
                        alert: "FoobarServerErrors",
                        expr: `sum(rate(haproxy_frontend_http_responses_total{${www},code="5xx"}[${window}])) / sum(rate(haproxy_frontend_http_requests_total{${www}}[${window}])) > 0.01`,
                        for: "2m",
                        labels: { severity: "warning" },
                        annotations: {
                            summary: "More than 1% of requests fail with 5xx",
                            description: "{{ $value | humanizePercentage }} of the site's responses are server errors.",
                        },
                    },
                    ...(input.databases ? databaseRules(scrape, input.semiSync, input.galera) : []),
                    {
                        alert: "FoobarSlowResponses",
                        expr: `haproxy_backend_response_time_average_seconds{${web}} > 0.5`,
                        for: "5m",
                        labels: { severity: "warning" },
                        annotations: {
                            summary: "The web servers take over 500 ms per response",
                            description: "HAProxy's average response time over its last 1024 responses is {{ $value | humanizeDuration }}.",
                        },
                    },
                ],
            },
        ],
    });
}

/** A HAProxy that is down; with a pair, also the pair that has no standby left. */
function loadBalancerRules(settle: string, loadBalancers: number): object[] {
    const pair = loadBalancers > 1;
    const answering = `up{job="${HAPROXY_JOB}"} == 1`;
    return [
        {
            alert: "FoobarLoadBalancerDown",
            expr: `up{job="${HAPROXY_JOB}"} == 0`,
            for: settle,
            // One of a pair down costs no traffic (the other has the address), only the standby.
            labels: { severity: pair ? "warning" : "critical" },
            annotations: {
                summary: "HAProxy on {{ $labels.host }} does not answer metrics scrapes",
                description: pair
                    ? "The other load balancer has the site's address and carries it alone. Bring this one back: until then nothing stands by."
                    : "HAProxy is the site's single entry point: while it is down, so is the site.",
            },
        },
        ...(pair
            ? [
                  {
                      alert: "FoobarLoadBalancerNoStandby",
                      // Also when none answers at all (count() of nothing is no series, not 0).
                      expr: `count(${answering}) < ${loadBalancers} or absent(${answering})`,
                      for: settle,
                      labels: { severity: "critical" },
                      annotations: {
                          summary: "The load-balancer pair has no standby left",
                          description:
                              "At most one of the pair's HAProxies answers: one more failure takes the site down. Restore the one FoobarLoadBalancerDown names.",
                      },
                  },
              ]
            : []),
    ];
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
