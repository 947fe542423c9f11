// buildTopology: placement of services on servers, and the flows between them (planDockerNetworks
// turns those into networks: dockerPlan.test.ts).
import assert from "node:assert/strict";
import { MariadbPlan, primaryOf, replicasOf, serviceLabel } from "../../components/topology";
import { endKey, topologyOf } from "./topologyHelpers";

describe("buildTopology", () => {
    it("names web servers server-1..N and the load balancer + database server server-(N+1)", () => {
        for (const n of [1, 2, 3, 8]) {
            const t = topologyOf({ webServers: n });
            const expected = [...Array.from({ length: n }, (_, i) => [`server-${i + 1}`, "web"]), [`server-${n + 1}`, "lb-db"]];
            assert.deepEqual(
                t.servers.map((s) => [s.name, s.role]),
                expected,
            );
            assert.deepEqual(
                t.loadBalancers.map((lb) => [lb.server, lb.key]),
                [[`server-${n + 1}`, `server-${n + 1}-haproxy`]],
            );
            assert.equal(primaryOf(t).key, `server-${n + 1}-mariadb-primary`);
        }
    });

    it("places services on servers (defaults)", () => {
        const t = topologyOf({});
        assert.deepEqual(
            t.servers.map((s) => [s.name, s.services.map((x) => x.key)]),
            [
                ...[1, 2].map((n) => [
                    `server-${n}`,
                    [
                        `server-${n}-nginx`,
                        `server-${n}-app`,
                        `server-${n}-mariadb-replica`,
                        `server-${n}-mysqld-exporter`,
                        `server-${n}-nginx-exporter`,
                        `server-${n}-node-exporter`,
                    ],
                ]),
                [
                    "server-3",
                    [
                        "server-3-haproxy",
                        "server-3-mariadb-primary",
                        "server-3-prometheus",
                        "server-3-alertmanager",
                        "server-3-blackbox-exporter",
                        "server-3-mysqld-exporter",
                        "server-3-node-exporter",
                    ],
                ],
            ],
        );
        assert.deepEqual(
            t.services.map((s) => [s.key, serviceLabel(s), s.server, s.kind === "mariadb" ? s.serverId : undefined]),
            [
                ["server-1-nginx", "nginx", "server-1", undefined],
                ["server-1-app", "app", "server-1", undefined],
                ["server-1-mariadb-replica", "mariadb-replica", "server-1", 101],
                ["server-2-nginx", "nginx", "server-2", undefined],
                ["server-2-app", "app", "server-2", undefined],
                ["server-2-mariadb-replica", "mariadb-replica", "server-2", 102],
                ["server-3-haproxy", "haproxy", "server-3", undefined],
                ["server-3-mariadb-primary", "mariadb-primary", "server-3", 1],
                ["server-3-prometheus", "prometheus", "server-3", undefined],
                ["server-3-alertmanager", "alertmanager", "server-3", undefined],
                ["server-3-blackbox-exporter", "blackbox-exporter", "server-3", undefined],
                ["server-1-mysqld-exporter", "mysqld-exporter", "server-1", undefined],
                ["server-2-mysqld-exporter", "mysqld-exporter", "server-2", undefined],
                ["server-3-mysqld-exporter", "mysqld-exporter", "server-3", undefined],
                ["server-1-nginx-exporter", "nginx-exporter", "server-1", undefined],
                ["server-2-nginx-exporter", "nginx-exporter", "server-2", undefined],
                ["server-1-node-exporter", "node-exporter", "server-1", undefined],
                ["server-2-node-exporter", "node-exporter", "server-2", undefined],
                ["server-3-node-exporter", "node-exporter", "server-3", undefined],
            ],
        );
        // One exporter beside each database, on its server: the replicas' first, then the primary's.
        assert.deepEqual(
            t.exporters.map((e) => [e.key, e.watches.key]),
            [
                ["server-1-mysqld-exporter", "server-1-mariadb-replica"],
                ["server-2-mysqld-exporter", "server-2-mariadb-replica"],
                ["server-3-mysqld-exporter", "server-3-mariadb-primary"],
            ],
        );
    });

    it("runs no Prometheus and no exporter, and has no flow for them, with monitoring off", () => {
        const t = topologyOf({ monitoring: { enabled: false } });
        assert.deepEqual(t.monitors, []);
        assert.deepEqual(t.exporters, []);
        assert.deepEqual(
            t.servers[2].services.map((s) => s.key),
            ["server-3-haproxy", "server-3-mariadb-primary"],
        );
        assert.ok(t.flows.every((f) => f.from !== "operator" && !f.to.key.endsWith("prometheus") && f.port !== 8404 && f.port !== 9104));
    });

    it("runs no exporter for RDS (it reports to CloudWatch), and the primary's alone without replicas", () => {
        const managed = topologyOf({ platform: "aws", database: { mode: "managed" } });
        assert.deepEqual(managed.exporters, []);
        assert.deepEqual(
            managed.flows.filter((f) => f.port === 9104 || f.purpose === "server and replication status reads"),
            [],
        );
        assert.deepEqual(
            topologyOf({ database: { replicas: 0 } }).exporters.map((e) => e.key),
            ["server-3-mysqld-exporter"],
        );
    });

    const READERS: ReadonlyArray<{ webServers: number; replicas: number; readers: ReadonlyArray<string | undefined> }> = [
        { webServers: 2, replicas: 2, readers: ["server-1-mariadb-replica", "server-2-mariadb-replica"] },
        { webServers: 3, replicas: 1, readers: ["server-1-mariadb-replica", "server-1-mariadb-replica", "server-1-mariadb-replica"] },
        {
            webServers: 4,
            replicas: 2,
            readers: ["server-1-mariadb-replica", "server-2-mariadb-replica", "server-1-mariadb-replica", "server-2-mariadb-replica"],
        },
        { webServers: 2, replicas: 0, readers: [undefined, undefined] },
    ];
    for (const c of READERS) {
        it(`places ${c.replicas} replica(s) on the first web servers and spreads readers (${c.webServers} web servers)`, () => {
            const t = topologyOf({ webServers: c.webServers, database: { replicas: c.replicas } });
            assert.deepEqual(
                replicasOf(t).map((r) => r.key),
                Array.from({ length: c.replicas }, (_, i) => `server-${i + 1}-mariadb-replica`),
            );
            assert.deepEqual(
                t.web.map((w) => w.app.reader?.key),
                c.readers,
            );
            const readFlows = t.flows.filter((f) => f.purpose === "reads");
            assert.equal(readFlows.length, c.replicas === 0 ? 0 : c.webServers);
        });
    }

    it("gives every MariaDB a unique server id (primary 1, replicas 100 + web index)", () => {
        const t = topologyOf({ webServers: 8 });
        const ids = t.services.filter((s): s is MariadbPlan => s.kind === "mariadb").map((s) => s.serverId);
        assert.deepEqual(ids, [101, 102, 103, 104, 105, 106, 107, 108, 1]);
        assert.equal(new Set(ids).size, ids.length);
    });

    it("marks every web server but the first as backup in active-passive mode only", () => {
        assert.deepEqual(
            topologyOf({ webServers: 3, lb: { mode: "active-passive" } }).web.map((w) => w.backup),
            [false, true, true],
        );
        assert.deepEqual(
            topologyOf({ webServers: 3 }).web.map((w) => w.backup),
            [false, false, false],
        );
    });

    it("allows exactly the default flows", () => {
        const P = "server-3-mariadb-primary";
        const flows = [
            ["internet", "server-3-haproxy", 80, "HTTP, redirected to HTTPS"],
            ["internet", "server-3-haproxy", 443, "HTTPS"],
        ];
        for (const n of [1, 2]) {
            flows.push(
                ["server-3-haproxy", `server-${n}-nginx`, 80, "load-balanced requests and health checks"],
                [`server-${n}-nginx`, `server-${n}-app`, 3000, "dynamic requests"],
                [`server-${n}-app`, P, 3306, "writes (and reads when no replica answers)"],
                [`server-${n}-app`, `server-${n}-mariadb-replica`, 3306, "reads"],
                ["server-3-prometheus", `server-${n}-app`, 9301, "app metrics scrapes"],
            );
        }
        flows.push(
            ["server-1-mariadb-replica", P, 3306, "GTID replication"],
            ["server-2-mariadb-replica", P, 3306, "GTID replication"],
            ["server-3-prometheus", "server-3-haproxy", 8404, "metrics scrapes"],
            ["operator", "server-3-prometheus", 9090, "Prometheus UI, API and alerts, for operators"],
            ["server-3-prometheus", "server-3-alertmanager", 9093, "alerts to Alertmanager"],
        );
        for (const [n, db] of [
            [1, "server-1-mariadb-replica"],
            [2, "server-2-mariadb-replica"],
            [3, P],
        ] as const) {
            flows.push(
                ["server-3-prometheus", `server-${n}-mysqld-exporter`, 9104, "database metrics scrapes"],
                [`server-${n}-mysqld-exporter`, db, 3306, "server and replication status reads"],
            );
        }
        for (const n of [1, 2]) {
            flows.push(
                ["server-3-prometheus", `server-${n}-nginx-exporter`, 9113, "nginx metrics scrapes"],
                [`server-${n}-nginx-exporter`, `server-${n}-nginx`, 8081, "stub_status reads"],
            );
        }
        for (const n of [1, 2, 3]) flows.push(["server-3-prometheus", `server-${n}-node-exporter`, 9100, "host metrics scrapes"]);
        flows.push(
            ["server-3-prometheus", "server-3-blackbox-exporter", 9115, "probes of the public URL"],
            ["server-3-blackbox-exporter", "server-3-haproxy", 443, "probes of the public URL"],
        );
        assert.deepEqual(
            topologyOf({}).flows.map((f) => [endKey(f.from), f.to.key, f.port, f.purpose]),
            flows,
        );
    });
});
