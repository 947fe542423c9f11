// promtool unit tests for the alerts on each server's own health (node exporters), on the site as a
// visitor sees it (the blackbox probe) and on notifications that fail (Alertmanager's own metrics):
// hand-written series in, the alerts out, and none while all is well. The rules are the ones the stack ships (components/render/hostAlerts.ts).
import { Labels, alert, series } from "./databaseAlertCases";

const fs = (host: string, mountpoint: string): Labels => ({
    job: "node",
    instance: `10.77.3.5${host.slice(-1)}:9100`,
    host,
    mountpoint,
    device: "/dev/vda",
    fstype: "ext4",
});
const node = (host: string): Labels => ({ job: "node", instance: `10.77.3.5${host.slice(-1)}:9100`, host });
const PROBE: Labels = { job: "blackbox", instance: "https://www.foobar.com/healthz", host: "server-3" };
const DAY = 86400;
const AM = (integration: string): Labels => ({ job: "alertmanager", instance: "10.77.3.7:9093", integration });

/** The cases, for a scrape (and evaluation) interval of `scrape` seconds. */
export function hostAlertTests(scrape: number): object[] {
    const s = (n: number) => `${n * scrape}s`;
    const steady = (value: string | number, seconds: number) => `${value}x${Math.ceil(seconds / scrape)}`;
    const full = fs("server-1", "/srv/volumes/mariadb-replica");
    const roomy = fs("server-3", "/srv/volumes/mariadb-primary");
    return [
        {
            // server-1's volume goes from half to 90% full at the 3rd scrape; server-3's stays at 20%.
            interval: `${scrape}s`,
            input_series: [
                series("node_filesystem_size_bytes", full, "100x8"),
                series("node_filesystem_avail_bytes", full, "50 50 10 10 10 10 10 10 10"),
                series("node_filesystem_size_bytes", roomy, "100x8"),
                series("node_filesystem_avail_bytes", roomy, "80x8"),
            ],
            alert_rule_test: [
                { eval_time: s(1), alertname: "FoobarDiskAlmostFull", exp_alerts: [] },
                // Over 85% for one scrape only: pending.
                { eval_time: s(2), alertname: "FoobarDiskAlmostFull", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarDiskAlmostFull",
                    exp_alerts: [
                        alert(
                            "warning",
                            full,
                            "/srv/volumes/mariadb-replica on server-1 is 90% full",
                            "Over 85%: a full disk stops the database (writes fail) and Prometheus. Free space or grow the volume.",
                        ),
                    ],
                },
            ],
        },
        {
            // server-2 has 5% of its memory available for 10 minutes; server-1 has 40%.
            interval: `${scrape}s`,
            input_series: [
                series("node_memory_MemTotal_bytes", node("server-2"), steady(100, 600)),
                series("node_memory_MemAvailable_bytes", node("server-2"), steady(5, 600)),
                series("node_memory_MemTotal_bytes", node("server-1"), steady(100, 600)),
                series("node_memory_MemAvailable_bytes", node("server-1"), steady(40, 600)),
            ],
            alert_rule_test: [
                { eval_time: "3m", alertname: "FoobarMemoryPressure", exp_alerts: [] },
                {
                    eval_time: "7m",
                    alertname: "FoobarMemoryPressure",
                    exp_alerts: [
                        alert(
                            "warning",
                            node("server-2"),
                            "server-2 has 5% of its memory available",
                            "Below 10%: the kernel is about to kill a process (MariaDB is the largest). Find what grew, or give the server more memory.",
                        ),
                    ],
                },
            ],
        },
        {
            // server-3's kernel reports its clock unsynchronised (and 16 s of error) and 100 ms off; server-1's is fine.
            interval: `${scrape}s`,
            input_series: [
                series("node_timex_sync_status", node("server-3"), steady(0, 1200)),
                series("node_timex_maxerror_seconds", node("server-3"), steady(16, 1200)),
                series("node_timex_offset_seconds", node("server-3"), steady(0.1, 1200)),
                series("node_timex_sync_status", node("server-1"), steady(1, 1200)),
                series("node_timex_maxerror_seconds", node("server-1"), steady(0.01, 1200)),
                series("node_timex_offset_seconds", node("server-1"), steady(0.001, 1200)),
            ],
            alert_rule_test: [
                { eval_time: "8m", alertname: "FoobarClockNotSynchronised", exp_alerts: [] },
                { eval_time: "8m", alertname: "FoobarClockSkew", exp_alerts: [] },
                {
                    eval_time: "15m",
                    alertname: "FoobarClockNotSynchronised",
                    exp_alerts: [
                        alert(
                            "warning",
                            node("server-3"),
                            "The clock of server-3 is not synchronised",
                            "No time source disciplines it: it drifts. Check its NTP client (systemd-timesyncd or chrony).",
                        ),
                    ],
                },
                {
                    eval_time: "15m",
                    alertname: "FoobarClockSkew",
                    exp_alerts: [
                        alert(
                            "warning",
                            node("server-3"),
                            "The clock of server-3 is 100ms off",
                            "Certificates, logs and metrics disagree on time. Check its NTP client and its time sources.",
                        ),
                    ],
                },
            ],
        },
        {
            // The probe of the public URL fails from the 3rd scrape on.
            interval: `${scrape}s`,
            input_series: [series("probe_success", PROBE, "1 1 0 0 0 0 0")],
            alert_rule_test: [
                { eval_time: s(1), alertname: "FoobarSiteUnreachable", exp_alerts: [] },
                { eval_time: s(2), alertname: "FoobarSiteUnreachable", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarSiteUnreachable",
                    exp_alerts: [
                        alert(
                            "critical",
                            PROBE,
                            "https://www.foobar.com/healthz fails from outside, probed from server-3",
                            "A visitor's request (DNS, the front address, TLS with the site's certificate, a load balancer, nginx, an app) fails. Open the URL; then look at the load balancers.",
                        ),
                    ],
                },
            ],
        },
        {
            // A certificate that expires 10 days after the test's start (promtool's clock starts at 0).
            interval: `${scrape}s`,
            input_series: [series("probe_ssl_earliest_cert_expiry", PROBE, steady(10 * DAY, 60))],
            alert_rule_test: [
                { eval_time: s(1), alertname: "FoobarCertificateExpiresSoon", exp_alerts: [] },
                {
                    eval_time: s(4),
                    alertname: "FoobarCertificateExpiresSoon",
                    exp_alerts: [
                        alert(
                            "warning",
                            PROBE,
                            `The certificate of https://www.foobar.com/healthz expires in 9d 23h 59m ${60 - 4 * scrape}s`,
                            "Within 14 days browsers will refuse the site. Renew it and deploy the new one (tls config).",
                        ),
                    ],
                },
            ],
        },
        {
            // The webhook refuses every notification from the 1st scrape on; e-mail goes through.
            interval: `${scrape}s`,
            input_series: [
                series("alertmanager_notifications_failed_total", AM("webhook"), `0+1x${Math.ceil(600 / scrape)}`),
                series("alertmanager_notifications_failed_total", AM("email"), steady(0, 600)),
            ],
            alert_rule_test: [
                { eval_time: "3m", alertname: "FoobarNotificationsFailing", exp_alerts: [] },
                {
                    eval_time: "8m",
                    alertname: "FoobarNotificationsFailing",
                    exp_alerts: [
                        alert(
                            "critical",
                            { instance: AM("webhook").instance, integration: "webhook" },
                            `Alertmanager ${AM("webhook").instance} fails to send webhook notifications`,
                            "Alerts do not reach the on-call receiver. Check monitoring.alerts (the URL, the SMTP login) and Alertmanager's log.",
                        ),
                    ],
                },
            ],
        },
        {
            // One that expires in 30 days, and a probe that succeeds: nothing.
            interval: `${scrape}s`,
            input_series: [
                series("probe_ssl_earliest_cert_expiry", PROBE, steady(30 * DAY, 60)),
                series("probe_success", PROBE, steady(1, 60)),
            ],
            alert_rule_test: [
                { eval_time: s(6), alertname: "FoobarCertificateExpiresSoon", exp_alerts: [] },
                { eval_time: s(6), alertname: "FoobarSiteUnreachable", exp_alerts: [] },
            ],
        },
    ];
}
