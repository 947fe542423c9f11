// promtool unit tests for a Galera cluster's database alerts (database.failover automatic): the
// nodes are alike, labelled role "node", and the writer moves. The rules are the ones the stack ships.
import { Labels, alert, series } from "./databaseAlertCases";

const node = (host: string, address: string): Labels => ({ job: "mysqld", instance: `${address}:9104`, host, role: "node" });
const n1 = node("server-1", "10.77.3.41");
const n2 = node("server-2", "10.77.3.42");
const n3 = node("server-3", "10.77.3.43");
const GALERA_ALERTS = [
    "FoobarDatabaseNodeDown",
    "FoobarDatabaseNodeOutsideMajority",
    "FoobarDatabaseNodeNotSynced",
    "FoobarDatabaseClusterShrunk",
    "FoobarDatabaseNoWriter",
    "FoobarDatabaseMultipleWriters",
    "FoobarDatabaseWriterMoved",
];
const nodeDown = (labels: Labels) =>
    alert(
        "warning",
        labels,
        `The Galera node on ${labels.host} does not answer`,
        "The others carry on while 2 of 3 reach each other; it rejoins by itself.",
    );
const writerMoved = (labels: Labels) =>
    alert(
        "warning",
        labels,
        `The database writer moved to ${labels.host}`,
        "A failover: find why the old writer lost the address. Resolves in 10 minutes.",
    );
const noWriter = alert(
    "critical",
    {},
    "No Galera node takes writes",
    "Visits are not recorded: no majority, or no node holds the write address (README runbook).",
);
/** A node's read_only and wsrep_ready, as the exporter reports them (OFF 0, ON 1). */
const writable = (labels: Labels, readOnly: string, ready: string) => [
    series("mysql_global_variables_read_only", labels, readOnly),
    series("mysql_global_status_wsrep_ready", labels, ready),
];

/** promtool test cases for a Galera cluster of three nodes (server-1..3), at an interval of `scrape` seconds. */
export function galeraAlertTests(scrape: number): unknown[] {
    const s = (n: number) => `${n * scrape}s`;
    const steady = (v: string, n = 8) => Array.from({ length: n }, () => v).join(" ");
    // Enough samples for `seconds` of a series.
    const lasting = (seconds: number) => Math.ceil(seconds / scrape);
    return [
        {
            // server-1's mariadbd stops answering its exporter from the 3rd scrape on; server-2's
            // whole server goes away (its exporter too); server-3 stays up.
            interval: `${scrape}s`,
            input_series: [
                series("up", n1, steady("1")),
                series("mysql_up", n1, "1 1 0 0 0 0 0 0"),
                series("up", n2, "1 1 0 0 0 0 0 0"),
                series("up", n3, steady("1")),
                series("mysql_up", n3, steady("1")),
            ],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarDatabaseNodeDown", exp_alerts: [] },
                { eval_time: s(5), alertname: "FoobarDatabaseNodeDown", exp_alerts: [nodeDown(n1), nodeDown(n2)] },
            ],
        },
        {
            // server-3 is cut off from the others: they count two nodes in the cluster, it counts
            // its own component (one). The alert says the majority's view.
            interval: `${scrape}s`,
            input_series: [
                series("mysql_global_status_wsrep_cluster_size", n1, "3 3 2 2 2 2 2 2"),
                series("mysql_global_status_wsrep_cluster_size", n2, "3 3 2 2 2 2 2 2"),
                series("mysql_global_status_wsrep_cluster_size", n3, "3 3 1 1 1 1 1 1"),
            ],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarDatabaseClusterShrunk", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarDatabaseClusterShrunk",
                    exp_alerts: [
                        alert(
                            "warning",
                            {},
                            "The Galera cluster has 2 of its 3 nodes",
                            "Each missing node brings it closer to no majority.",
                        ),
                    ],
                },
            ],
        },
        {
            // The writer (server-3) and server-2 die together: server-1 alone is no majority, so it
            // is not ready (and keepalived's notify keeps its read_only on). Nobody takes writes.
            interval: `${scrape}s`,
            input_series: [
                ...writable(n3, "0 0 stale", "1 1 stale"),
                ...writable(n2, "1 1 stale", "1 1 stale"),
                ...writable(n1, steady("1"), "1 1 0 0 0 0 0 0"),
            ],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarDatabaseNoWriter", exp_alerts: [] },
                { eval_time: s(5), alertname: "FoobarDatabaseNoWriter", exp_alerts: [noWriter] },
                { eval_time: s(5), alertname: "FoobarDatabaseMultipleWriters", exp_alerts: [] },
                { eval_time: s(5), alertname: "FoobarDatabaseWriterMoved", exp_alerts: [] },
            ],
        },
        {
            // A failover: the writer (server-3) dies, server-1 takes the write address two scrapes
            // later. No writer for two evaluations is no alert; the move is one, for 10 minutes.
            interval: `${scrape}s`,
            input_series: [
                ...writable(n3, "0 0 stale", "1 1 stale"),
                ...writable(n1, `1 1 1 1 0x${lasting(720)}`, `1x${lasting(720) + 4}`),
                ...writable(n2, `1x${lasting(720) + 4}`, `1x${lasting(720) + 4}`),
            ],
            alert_rule_test: [
                ...[2, 3, 4, 6].map((n) => ({ eval_time: s(n), alertname: "FoobarDatabaseNoWriter", exp_alerts: [] })),
                { eval_time: s(3), alertname: "FoobarDatabaseWriterMoved", exp_alerts: [] },
                { eval_time: s(4), alertname: "FoobarDatabaseWriterMoved", exp_alerts: [writerMoved(n1)] },
                { eval_time: "9m", alertname: "FoobarDatabaseWriterMoved", exp_alerts: [writerMoved(n1)] },
                { eval_time: "11m", alertname: "FoobarDatabaseWriterMoved", exp_alerts: [] },
                { eval_time: s(4), alertname: "FoobarDatabaseMultipleWriters", exp_alerts: [] },
            ],
        },
        {
            // The first election: server-3 turns read_only off two scrapes after Prometheus first
            // saw every node read-only. No writer moved, and two evaluations without one page nobody.
            interval: `${scrape}s`,
            input_series: [
                ...writable(n3, `1 1 0x${lasting(60)}`, `1x${lasting(60) + 2}`),
                ...writable(n1, `1x${lasting(60) + 2}`, `1x${lasting(60) + 2}`),
                ...writable(n2, `1x${lasting(60) + 2}`, `1x${lasting(60) + 2}`),
            ],
            alert_rule_test: [1, 10].flatMap((n) =>
                ["FoobarDatabaseNoWriter", "FoobarDatabaseWriterMoved"].map((alertname) => ({
                    eval_time: s(n),
                    alertname,
                    exp_alerts: [],
                })),
            ),
        },
        {
            // server-1 turns read_only off beside the writer (server-3): two writers. server-2 has
            // read_only off too but is not ready (outside the majority): it takes no statement.
            interval: `${scrape}s`,
            input_series: [...writable(n3, "0x12", "1x12"), ...writable(n1, "1 1 0x10", "1x12"), ...writable(n2, "0x12", "0x12")],
            alert_rule_test: [
                { eval_time: s(3), alertname: "FoobarDatabaseMultipleWriters", exp_alerts: [] },
                {
                    eval_time: s(5),
                    alertname: "FoobarDatabaseMultipleWriters",
                    exp_alerts: [
                        alert("critical", {}, "2 Galera nodes take writes", "Writes on two nodes abort each other (README runbook)."),
                    ],
                },
            ],
        },
        {
            // server-3 is cut off from the others for good; server-2 for 30 s only (a restart);
            // server-1 stays in the majority but never gets past "joined".
            interval: `${scrape}s`,
            input_series: [
                series("mysql_global_status_wsrep_cluster_status", n1, `1x${lasting(200)}`),
                series("mysql_global_status_wsrep_local_state", n1, `4 4 3x${lasting(200)}`),
                series("mysql_global_status_wsrep_cluster_status", n2, `1 1 0 0 0 0 0 0 1x${lasting(200)}`),
                series("mysql_global_status_wsrep_local_state", n2, `4 4 0 0 0 0 0 0 4x${lasting(200)}`),
                series("mysql_global_status_wsrep_cluster_status", n3, `1 1 0x${lasting(200)}`),
                series("mysql_global_status_wsrep_local_state", n3, `4 4 0x${lasting(200)}`),
            ],
            alert_rule_test: [
                { eval_time: "30s", alertname: "FoobarDatabaseNodeOutsideMajority", exp_alerts: [] },
                { eval_time: "30s", alertname: "FoobarDatabaseNodeNotSynced", exp_alerts: [] },
                {
                    eval_time: "90s",
                    alertname: "FoobarDatabaseNodeOutsideMajority",
                    exp_alerts: [
                        alert(
                            "warning",
                            n3,
                            "The Galera node on server-3 is outside the cluster's majority",
                            "It refuses statements; it rejoins once it reaches the others.",
                        ),
                    ],
                },
                {
                    eval_time: "90s",
                    alertname: "FoobarDatabaseNodeNotSynced",
                    exp_alerts: [
                        alert(
                            "warning",
                            n1,
                            "The Galera node on server-1 is not synced (wsrep_local_state 3)",
                            "A state transfer stuck or slow: see the WSREP lines of its log.",
                        ),
                    ],
                },
            ],
        },
        {
            // All well: every node answers, synced in a cluster of three (server-2 a donor),
            // server-3 the one writer.
            interval: `${scrape}s`,
            input_series: [
                ...[n1, n2, n3].flatMap((n) => [
                    series("up", n, steady("1", 30)),
                    series("mysql_up", n, steady("1", 30)),
                    series("mysql_global_status_wsrep_cluster_size", n, steady("3", 30)),
                    series("mysql_global_status_wsrep_cluster_status", n, steady("1", 30)),
                    series("mysql_global_status_wsrep_local_state", n, steady(n === n2 ? "2" : "4", 30)),
                    ...writable(n, steady(n === n3 ? "0" : "1", 30), steady("1", 30)),
                ]),
            ],
            alert_rule_test: GALERA_ALERTS.map((alertname) => ({ eval_time: s(25), alertname, exp_alerts: [] })),
        },
    ];
}
