// promtool unit tests for the rendered alert rules: hand-written series in, the alerts a person
// on call should get out (and none while all is well). Only the inputs and expectations are
// written here; the rules are the ones the stack ships.
import * as yaml from "js-yaml";
import { PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { databaseAlertTests } from "./databaseAlertCases";
import { galeraAlertTests } from "./galeraAlertCases";
import { hostAlertTests } from "./hostAlertCases";

const web = (server: string) => ({ proxy: "web", server, state: "UP" });
const series = (name: string, labels: Record<string, string>, values: string) => ({
    series: `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`,
    values,
});

/**
 * The promtool test file, for a scrape (and evaluation) interval of `scrape` seconds; `pair`: lb.count
 * 2's rules; `galera`: a Galera cluster's database rules (database.failover automatic) in place of replication's.
 */
export function alertRuleTests(scrape: number, pair = false, galera = false): string {
    const s = (n: number) => `${n * scrape}s`;
    return yaml.dump({
        rule_files: [PROMETHEUS_RULES_PATH],
        evaluation_interval: `${scrape}s`,
        tests: [
            {
                // server-1 fails its checks from the 3rd scrape on; server-2 stays up.
                interval: `${scrape}s`,
                input_series: [
                    series("haproxy_server_status", web("server-1"), "1 1 0 0 0 0 0 0"),
                    series("haproxy_server_status", web("server-2"), "1 1 1 1 1 1 1 1"),
                    series("haproxy_backend_active_servers", { proxy: "web" }, "2 2 1 1 1 1 1 1"),
                    series("haproxy_backend_backup_servers", { proxy: "web" }, "0 0 0 0 0 0 0 0"),
                ],
                alert_rule_test: [
                    // Down for one scrape only: pending, nobody paged.
                    { eval_time: s(3), alertname: "FoobarWebServerDown", exp_alerts: [] },
                    {
                        eval_time: s(5),
                        alertname: "FoobarWebServerDown",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", ...web("server-1") },
                                exp_annotations: {
                                    summary: "server-1 fails HAProxy's health check",
                                    description:
                                        "HAProxy sends server-1 no traffic; the other web servers carry the site. Check its nginx and app.",
                                },
                            },
                        ],
                    },
                    { eval_time: s(5), alertname: "FoobarSiteDown", exp_alerts: [] },
                ],
            },
            {
                // Every web server down (active-passive: the backup too).
                interval: `${scrape}s`,
                input_series: [
                    series("haproxy_backend_active_servers", { proxy: "web" }, "1 0 0 0 0"),
                    series("haproxy_backend_backup_servers", { proxy: "web" }, "1 1 0 0 0"),
                ],
                alert_rule_test: [
                    { eval_time: s(1), alertname: "FoobarSiteDown", exp_alerts: [] },
                    {
                        eval_time: s(4),
                        alertname: "FoobarSiteDown",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "critical", proxy: "web" },
                                exp_annotations: {
                                    summary: "No web server is up: the site answers 503",
                                    description: "Every web server fails HAProxy's health check.",
                                },
                            },
                        ],
                    },
                ],
            },
            ...(pair ? loadBalancerPairTests(scrape) : [loadBalancerTest(scrape)]),
            {
                // 100 requests per scrape: 10 failing for 5 minutes; 1 in 1000 failing is no alert.
                interval: `${scrape}s`,
                input_series: [
                    series("haproxy_frontend_http_requests_total", { proxy: "www" }, `0+100x${Math.ceil(300 / scrape)}`),
                    series("haproxy_frontend_http_responses_total", { proxy: "www", code: "5xx" }, `0+10x${Math.ceil(300 / scrape)}`),
                ],
                alert_rule_test: [
                    { eval_time: "1m", alertname: "FoobarServerErrors", exp_alerts: [] },
                    {
                        eval_time: "4m",
                        alertname: "FoobarServerErrors",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning" },
                                exp_annotations: {
                                    summary: "More than 1% of requests fail with 5xx",
                                    description: "10% of the site's responses are server errors.",
                                },
                            },
                        ],
                    },
                ],
            },
            {
                interval: `${scrape}s`,
                input_series: [
                    series("haproxy_frontend_http_requests_total", { proxy: "www" }, `0+1000x${Math.ceil(300 / scrape)}`),
                    series("haproxy_frontend_http_responses_total", { proxy: "www", code: "5xx" }, `0+1x${Math.ceil(300 / scrape)}`),
                    series("haproxy_backend_response_time_average_seconds", { proxy: "web" }, `0.2x${Math.ceil(600 / scrape)}`),
                ],
                alert_rule_test: [
                    { eval_time: "4m", alertname: "FoobarServerErrors", exp_alerts: [] },
                    { eval_time: "9m", alertname: "FoobarSlowResponses", exp_alerts: [] },
                ],
            },
            {
                // Responses slow down to 800 ms and stay there.
                interval: `${scrape}s`,
                input_series: [series("haproxy_backend_response_time_average_seconds", { proxy: "web" }, `0.8x${Math.ceil(600 / scrape)}`)],
                alert_rule_test: [
                    { eval_time: "2m", alertname: "FoobarSlowResponses", exp_alerts: [] },
                    {
                        eval_time: "9m",
                        alertname: "FoobarSlowResponses",
                        exp_alerts: [
                            {
                                exp_labels: { severity: "warning", proxy: "web" },
                                exp_annotations: {
                                    summary: "The web servers take over 500 ms per response",
                                    description: "HAProxy's average response time over its last 1024 responses is 800ms.",
                                },
                            },
                        ],
                    },
                ],
            },
            ...(galera ? galeraAlertTests(scrape) : databaseAlertTests(scrape)),
            ...hostAlertTests(scrape),
        ],
    });
}

/** One HAProxy stops answering scrapes: the site's single entry point is down. */
function loadBalancerTest(scrape: number) {
    const s = (n: number) => `${n * scrape}s`;
    return {
        interval: `${scrape}s`,
        input_series: [series("up", { job: "haproxy", instance: "10.77.3.2:8404", host: "server-3" }, "1 1 0 0 0 0 0")],
        alert_rule_test: [
            { eval_time: s(1), alertname: "FoobarLoadBalancerDown", exp_alerts: [] },
            {
                eval_time: s(5),
                alertname: "FoobarLoadBalancerDown",
                exp_alerts: [
                    {
                        exp_labels: { severity: "critical", job: "haproxy", instance: "10.77.3.2:8404", host: "server-3" },
                        exp_annotations: {
                            summary: "HAProxy on server-3 does not answer metrics scrapes",
                            description: "HAProxy is the site's single entry point: while it is down, so is the site.",
                        },
                    },
                ],
            },
        ],
    };
}

/**
 * A pair: server-4's HAProxy stops answering (the other carries the site: a warning, and the pair
 * has no standby left: critical); then both are down; neither alert while both answer.
 */
function loadBalancerPairTests(scrape: number) {
    const s = (n: number) => `${n * scrape}s`;
    const up = (host: string, address: string, values: string) =>
        series("up", { job: "haproxy", instance: `${address}:8404`, host }, values);
    const noStandby = {
        exp_labels: { severity: "critical" },
        exp_annotations: {
            summary: "The load-balancer pair has no standby left",
            description:
                "At most one of the pair's HAProxies answers: one more failure takes the site down. Restore the one FoobarLoadBalancerDown names.",
        },
    };
    return [
        {
            interval: `${scrape}s`,
            input_series: [up("server-3", "10.77.3.2", "1 1 1 1 1 1 1 1 1 1"), up("server-4", "10.77.3.5", "1 1 0 0 0 0 0 0 0 0")],
            alert_rule_test: [
                { eval_time: s(1), alertname: "FoobarLoadBalancerDown", exp_alerts: [] },
                { eval_time: s(1), alertname: "FoobarLoadBalancerNoStandby", exp_alerts: [] },
                // Down for one scrape only: pending.
                { eval_time: s(3), alertname: "FoobarLoadBalancerNoStandby", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarLoadBalancerDown",
                    exp_alerts: [
                        {
                            exp_labels: { severity: "warning", job: "haproxy", instance: "10.77.3.5:8404", host: "server-4" },
                            exp_annotations: {
                                summary: "HAProxy on server-4 does not answer metrics scrapes",
                                description:
                                    "The other load balancer has the site's address and carries it alone. Bring this one back: until then nothing stands by.",
                            },
                        },
                    ],
                },
                { eval_time: s(5), alertname: "FoobarLoadBalancerNoStandby", exp_alerts: [noStandby] },
            ],
        },
        {
            // Neither answers (e.g. each Prometheus sees both down): still no standby, and both down.
            interval: `${scrape}s`,
            input_series: [up("server-3", "10.77.3.2", "1 1 0 0 0 0 0 0"), up("server-4", "10.77.3.5", "1 1 0 0 0 0 0 0")],
            alert_rule_test: [{ eval_time: s(6), alertname: "FoobarLoadBalancerNoStandby", exp_alerts: [noStandby] }],
        },
    ];
}
