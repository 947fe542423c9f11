// buildTopology and planDockerNetworks: placement, flows, and networks as a least-privilege firewall.
import assert from "node:assert/strict";
import { validateArgs } from "../../components/config/validate";
import { buildTopology, Topology } from "../../components/topology";
import { planDockerNetworks, SegmentName } from "../../components/dockerPlan";

const topologyOf = (args: unknown): Topology => buildTopology(validateArgs(args));

describe("buildTopology", () => {
    it("names web servers server-1..N and the load balancer + database server server-(N+1)", () => {
        for (const n of [1, 2, 3, 8]) {
            const t = topologyOf({ webServers: n });
            const expected = [...Array.from({ length: n }, (_, i) => [`server-${i + 1}`, "web"]), [`server-${n + 1}`, "lb-db"]];
            assert.deepEqual(
                t.servers.map((s) => [s.name, s.role]),
                expected,
            );
            assert.equal(t.lbServer, `server-${n + 1}`);
            assert.equal(t.haproxy, `server-${n + 1}-haproxy`);
            assert.equal(t.primary, `server-${n + 1}-mariadb-primary`);
        }
    });

    it("places services on servers (defaults)", () => {
        const t = topologyOf({});
        assert.deepEqual(
            t.servers.map((s) => [s.name, s.services]),
            [
                ["server-1", ["server-1-nginx", "server-1-app", "server-1-mariadb-replica"]],
                ["server-2", ["server-2-nginx", "server-2-app", "server-2-mariadb-replica"]],
                ["server-3", ["server-3-haproxy", "server-3-mariadb-primary"]],
            ],
        );
        assert.deepEqual(
            t.services.map((s) => [s.key, s.kind, s.server, s.serverId]),
            [
                ["server-1-nginx", "nginx", "server-1", undefined],
                ["server-1-app", "app", "server-1", undefined],
                ["server-1-mariadb-replica", "mariadb-replica", "server-1", 101],
                ["server-2-nginx", "nginx", "server-2", undefined],
                ["server-2-app", "app", "server-2", undefined],
                ["server-2-mariadb-replica", "mariadb-replica", "server-2", 102],
                ["server-3-haproxy", "haproxy", "server-3", undefined],
                ["server-3-mariadb-primary", "mariadb-primary", "server-3", 1],
            ],
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
                t.replicas,
                Array.from({ length: c.replicas }, (_, i) => `server-${i + 1}-mariadb-replica`),
            );
            assert.deepEqual(
                t.web.map((w) => w.reader),
                c.readers,
            );
            const readFlows = t.flows.filter((f) => f.purpose === "reads");
            assert.equal(readFlows.length, c.replicas === 0 ? 0 : c.webServers);
        });
    }

    it("gives every MariaDB a unique server id (primary 1, replicas 100 + web index)", () => {
        const t = topologyOf({ webServers: 8 });
        const ids = t.services.filter((s) => s.kind.startsWith("mariadb")).map((s) => s.serverId);
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
            );
        }
        flows.push(["server-1-mariadb-replica", P, 3306, "GTID replication"], ["server-2-mariadb-replica", P, 3306, "GTID replication"]);
        assert.deepEqual(
            topologyOf({}).flows.map((f) => [f.from, f.to, f.port, f.purpose]),
            flows,
        );
    });
});

describe("planDockerNetworks", () => {
    const VARIANTS: ReadonlyArray<[string, unknown]> = [
        ["defaults", {}],
        ["1 web server", { webServers: 1 }],
        ["3 web servers, 1 replica", { webServers: 3, database: { replicas: 1 } }],
        ["8 web servers, no replica", { webServers: 8, database: { replicas: 0 } }],
    ];

    it("lays out four /24 networks in the default subnet; only edge is not internal", () => {
        const plan = planDockerNetworks(topologyOf({}));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.internal, s.subnet, s.gateway]),
            [
                ["edge", false, "10.77.0.0/24", "10.77.0.1"],
                ["web", true, "10.77.1.0/24", "10.77.1.1"],
                ["app", true, "10.77.2.0/24", "10.77.2.1"],
                ["data", true, "10.77.3.0/24", "10.77.3.1"],
            ],
        );
    });

    it("gives every service fixed addresses on exactly the networks it needs (defaults)", () => {
        const plan = planDockerNetworks(topologyOf({}));
        const members = Object.fromEntries(plan.segments.map((s) => [s.name, Object.fromEntries(s.members)]));
        assert.deepEqual(members, {
            edge: { "server-3-haproxy": "10.77.0.2" },
            web: { "server-1-nginx": "10.77.1.11", "server-2-nginx": "10.77.1.12", "server-3-haproxy": "10.77.1.2" },
            app: { "server-1-app": "10.77.2.21", "server-1-nginx": "10.77.2.11", "server-2-app": "10.77.2.22", "server-2-nginx": "10.77.2.12" },
            data: {
                "server-1-app": "10.77.3.21",
                "server-1-mariadb-replica": "10.77.3.31",
                "server-2-app": "10.77.3.22",
                "server-2-mariadb-replica": "10.77.3.32",
                "server-3-mariadb-primary": "10.77.3.3",
            },
        });
        assert.deepEqual(
            plan.segmentsOf("server-3-haproxy").map((s) => s.name),
            ["edge", "web"],
        );
        assert.deepEqual(
            plan.segmentsOf("server-1-nginx").map((s) => s.name),
            ["web", "app"],
        );
        assert.deepEqual(
            plan.segmentsOf("server-1-app").map((s) => s.name),
            ["app", "data"],
        );
    });

    it("keeps services off networks they have no business on", () => {
        const plan = planDockerNetworks(topologyOf({ webServers: 3 }));
        const forbidden: ReadonlyArray<[string, readonly SegmentName[]]> = [
            ["server-4-haproxy", ["app", "data"]],
            ["server-1-nginx", ["edge", "data"]],
            ["server-1-app", ["edge", "web"]],
            ["server-1-mariadb-replica", ["edge", "web", "app"]],
            ["server-4-mariadb-primary", ["edge", "web", "app"]],
        ];
        for (const [key, segments] of forbidden) {
            const on = plan.segmentsOf(key).map((s) => s.name);
            for (const s of segments) assert.ok(!on.includes(s), `${key} must not be on ${s} (is on ${on.join(", ")})`);
        }
        assert.deepEqual([...(plan.segments[0].members.keys())], ["server-4-haproxy"], "only HAProxy is on edge");
    });

    for (const [name, args] of VARIANTS) {
        it(`joins both ends of every flow, and nothing else (${name})`, () => {
            const t = topologyOf(args);
            const plan = planDockerNetworks(t);
            for (const f of t.flows) {
                if (f.from === "internet") {
                    assert.equal(plan.segmentsOf(f.to)[0].name, "edge");
                    continue;
                }
                assert.ok(plan.segmentsOf(f.from).some((s) => s.members.has(f.to)), `${f.from} -> ${f.to} share no network`);
                assert.match(plan.reach(f.from, f.to), /^10\.77\.[0-3]\.\d+$/);
            }
            // Least privilege: each membership is justified by a flow to or from a peer on that network.
            for (const segment of plan.segments) {
                for (const key of segment.members.keys()) {
                    const justified = t.flows.some(
                        (f) =>
                            (f.from === "internet" && f.to === key && segment.name === "edge") ||
                            (f.from === key && segment.members.has(f.to)) ||
                            (f.to === key && segment.members.has(f.from)),
                    );
                    assert.ok(justified, `${key} is on ${segment.name} without a flow there`);
                }
            }
            // Every address is unique within its network, and no service sits on the gateway.
            for (const segment of plan.segments) {
                const addresses = [...segment.members.values()];
                assert.equal(new Set(addresses).size, addresses.length, `${segment.name} has duplicate addresses`);
                assert.ok(!addresses.includes(segment.gateway));
            }
        });
    }

    it("refuses to reach across networks no flow joins", () => {
        const plan = planDockerNetworks(topologyOf({}));
        assert.throws(() => plan.reach("server-3-haproxy", "server-3-mariadb-primary"), {
            message: "no network joins server-3-haproxy to server-3-mariadb-primary; add a flow in topology.ts",
        });
        assert.throws(() => plan.reach("server-1-nginx", "server-3-mariadb-primary"), {
            message: "no network joins server-1-nginx to server-3-mariadb-primary; add a flow in topology.ts",
        });
    });

    it("carves a custom subnet into consecutive /24s", () => {
        const cases: ReadonlyArray<[string, string[], string]> = [
            ["172.20.0.0/16", ["172.20.0.0/24", "172.20.1.0/24", "172.20.2.0/24", "172.20.3.0/24"], "172.20.3.3"],
            ["192.168.4.0/22", ["192.168.4.0/24", "192.168.5.0/24", "192.168.6.0/24", "192.168.7.0/24"], "192.168.7.3"],
        ];
        for (const [subnet, expected, primaryAddress] of cases) {
            const t = topologyOf({ docker: { subnet } });
            const plan = planDockerNetworks(t);
            assert.deepEqual(
                plan.segments.map((s) => s.subnet),
                expected,
            );
            assert.equal(plan.segments[0].gateway, expected[0].replace(".0/24", ".1"));
            assert.equal(plan.segments[0].members.get("server-3-haproxy"), expected[0].replace(".0/24", ".2"));
            assert.equal(plan.reach("server-1-app", t.primary), primaryAddress);
        }
    });
});
