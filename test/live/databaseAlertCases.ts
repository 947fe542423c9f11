// promtool unit tests for the database alerts (from the mysqld exporters): hand-written series
// in, the alerts a person on call should get out. The rules are the ones the stack ships.

export type Labels = Record<string, string>;

const exporter = (host: string, role: "primary" | "replica", address: string): Labels => ({
    job: "mysqld",
    instance: `${address}:9104`,
    host,
    role,
});
const replica1 = exporter("server-1", "replica", "10.77.3.41");
const replica2 = exporter("server-2", "replica", "10.77.3.42");
const primary = exporter("server-3", "primary", "10.77.3.43");
/**
 * The label the exporter adds to its mysql_slave_status_* series from MariaDB's SHOW SLAVE STATUS
 * (its channel, connection and UUID labels are empty there, and Prometheus drops empty labels).
 */
export const SLAVE_STATUS_LABELS: Labels = { master_host: "10.77.2.3" };
const channel = SLAVE_STATUS_LABELS;

export const series = (name: string, labels: Labels, values: string) => ({
    series: `${name}{${Object.entries(labels)
        .map(([k, v]) => `${k}="${v}"`)
        .join(",")}}`,
    values,
});

export const alert = (severity: string, labels: Labels, summary: string, description: string) => ({
    exp_labels: { severity, ...labels },
    exp_annotations: { summary, description },
});
const replicaDown = (labels: Labels) =>
    alert(
        "warning",
        labels,
        `The replica on ${labels.host} does not answer`,
        "Its readers fall back to the primary, which now carries every read as well as every write.",
    );

/** promtool test cases (for the `tests:` list), at a scrape and evaluation interval of `scrape` seconds. */
export function databaseAlertTests(scrape: number): unknown[] {
    const s = (n: number) => `${n * scrape}s`;
    const steady = (v: string, n = 8) => Array.from({ length: n }, () => v).join(" ");
    return [
        {
            // server-1's replica stops answering its exporter from the 3rd scrape on; server-2's
            // whole server goes away (its exporter too); the primary stays up.
            interval: `${scrape}s`,
            input_series: [
                series("up", replica1, steady("1")),
                series("mysql_up", replica1, "1 1 0 0 0 0 0 0"),
                series("up", replica2, "1 1 0 0 0 0 0 0"),
                series("up", primary, steady("1")),
                series("mysql_up", primary, steady("1")),
            ],
            alert_rule_test: [
                // Down for one scrape only: pending, nobody paged.
                { eval_time: s(3), alertname: "FoobarReplicaDatabaseDown", exp_alerts: [] },
                { eval_time: s(5), alertname: "FoobarReplicaDatabaseDown", exp_alerts: [replicaDown(replica1), replicaDown(replica2)] },
                { eval_time: s(5), alertname: "FoobarPrimaryDatabaseDown", exp_alerts: [] },
            ],
        },
        {
            // The primary stops answering.
            interval: `${scrape}s`,
            input_series: [series("up", primary, steady("1")), series("mysql_up", primary, "1 1 0 0 0 0 0 0")],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarPrimaryDatabaseDown", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarPrimaryDatabaseDown",
                    exp_alerts: [
                        alert(
                            "critical",
                            primary,
                            "The primary database on server-3 does not answer",
                            "Every write goes to the primary: while it is down, visits are not recorded and the site answers errors.",
                        ),
                    ],
                },
            ],
        },
        {
            // server-1's IO thread stops (e.g. the primary refuses it); server-2's SQL thread stops.
            interval: `${scrape}s`,
            input_series: [
                series("mysql_slave_status_slave_io_running", { ...replica1, ...channel }, "1 1 0 0 0 0 0 0"),
                series("mysql_slave_status_slave_sql_running", { ...replica1, ...channel }, steady("1")),
                series("mysql_slave_status_slave_io_running", { ...replica2, ...channel }, steady("1")),
                series("mysql_slave_status_slave_sql_running", { ...replica2, ...channel }, "1 1 1 0 0 0 0 0"),
            ],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarReplicationStopped", exp_alerts: [] },
                {
                    eval_time: s(6),
                    alertname: "FoobarReplicationStopped",
                    exp_alerts: [replica1, replica2].map((r) =>
                        alert(
                            "warning",
                            { ...r, ...channel },
                            `The replica on ${r.host} does not replicate`,
                            "Its reads fall further behind the primary. Check SHOW SLAVE STATUS there (and whether the primary is up).",
                        ),
                    ),
                },
            ],
        },
        {
            // server-1 falls 45 s behind and stays there; server-2 keeps up.
            interval: `${scrape}s`,
            input_series: [
                series("mysql_slave_status_seconds_behind_master", { ...replica1, ...channel }, `0 0 45x${Math.ceil(180 / scrape)}`),
                series("mysql_slave_status_seconds_behind_master", { ...replica2, ...channel }, `0x${Math.ceil(180 / scrape)}`),
            ],
            alert_rule_test: [
                { eval_time: "30s", alertname: "FoobarReplicationLagging", exp_alerts: [] },
                {
                    eval_time: "2m",
                    alertname: "FoobarReplicationLagging",
                    exp_alerts: [
                        alert(
                            "warning",
                            { ...replica1, ...channel },
                            "The replica on server-1 is 45 s behind the primary",
                            "Visit counts read there are stale by that much.",
                        ),
                    ],
                },
            ],
        },
        {
            // No replica acknowledges in time: the primary goes asynchronous from the 3rd scrape on.
            interval: `${scrape}s`,
            input_series: [series("mysql_global_status_rpl_semi_sync_master_status", primary, "1 1 0 0 0 0 0 0")],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarSemiSyncOff", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarSemiSyncOff",
                    exp_alerts: [
                        alert(
                            "warning",
                            primary,
                            "The primary on server-3 commits without waiting for a replica",
                            "No replica acknowledged a commit within the semi-sync timeout, so the primary went asynchronous: a write acknowledged now may be on the primary alone. It turns semi-sync on again once a replica catches up.",
                        ),
                    ],
                },
            ],
        },
        {
            // All well: every database answers, replicates and keeps up.
            interval: `${scrape}s`,
            input_series: [
                ...[replica1, replica2, primary].flatMap((r) => [series("up", r, steady("1", 30)), series("mysql_up", r, steady("1", 30))]),
                series("mysql_global_status_rpl_semi_sync_master_status", primary, steady("1", 30)),
                ...[replica1, replica2].flatMap((r) => [
                    series("mysql_slave_status_slave_io_running", { ...r, ...channel }, steady("1", 30)),
                    series("mysql_slave_status_slave_sql_running", { ...r, ...channel }, steady("1", 30)),
                    series("mysql_slave_status_seconds_behind_master", { ...r, ...channel }, steady("0", 30)),
                ]),
            ],
            alert_rule_test: [
                "FoobarPrimaryDatabaseDown",
                "FoobarReplicaDatabaseDown",
                "FoobarReplicationStopped",
                "FoobarReplicationLagging",
                "FoobarSemiSyncOff",
            ].map((alertname) => ({ eval_time: s(25), alertname, exp_alerts: [] })),
        },
    ];
}

/** A Galera node's exporter target (database.failover automatic): role "node", the writer moves. */
