// Prometheus's alert rules: what someone on call for www.foobar.com needs to know, from HAProxy's
// view of the site (render/databaseAlerts.ts: the databases'; hostAlerts.ts: each server's health,
// the site from outside), and notifications that fail. Pure.
import * as yaml from "js-yaml";
import { GaleraMonitoring, databaseRules } from "./databaseAlerts";
import { HAPROXY_BACKEND, HAPROXY_FRONTEND } from "./haproxy";
import { hostRules, probeRules } from "./hostAlerts";

export const HAPROXY_JOB = "haproxy";
export const APP_JOB = "app";
export const ALERTMANAGER_JOB = "alertmanager";

const HEADER = "# Rendered by foobar-infra (components/render/alertRules.ts). Do not edit by hand.";
const dump = (doc: unknown) => `${HEADER}\n${yaml.dump(doc, { lineWidth: -1, noRefs: true })}`;

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
    /** Whether node exporters are scraped: adds the disk, memory and clock alerts. */
    readonly hosts?: boolean;
    /** Whether a blackbox exporter probes the public URL: adds the site-unreachable and certificate alerts. */
    readonly probes?: boolean;
    /** Whether Alertmanagers are scraped: adds the alert on notifications that fail. */
    readonly notifications?: boolean;
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
    return dump({
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
                    ...(input.hosts ? hostRules(scrape) : []),
                    ...(input.probes ? probeRules(scrape) : []),
                    ...(input.notifications ? [notificationRule(window)] : []),
                ],
            },
        ],
    });
}

/**
 * A receiver that refuses Alertmanager's notifications (a wrong webhook URL, an SMTP login that
 * fails): every other alert then reaches nobody. Shown in Prometheus's UI whatever the receiver
 * does, and sent through the other receiver when there are two (a webhook and e-mail).
 */
function notificationRule(window: string): object {
    return {
        alert: "FoobarNotificationsFailing",
        expr: `sum by (instance, integration) (rate(alertmanager_notifications_failed_total{job="${ALERTMANAGER_JOB}"}[${window}])) > 0`,
        for: "5m",
        labels: { severity: "critical" },
        annotations: {
            summary: "Alertmanager {{ $labels.instance }} fails to send {{ $labels.integration }} notifications",
            description:
                "Alerts do not reach the on-call receiver. Check monitoring.alerts (the URL, the SMTP login) and Alertmanager's log.",
        },
    };
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
