// buildTopology and planDockerNetworks: placement, flows, and networks as a least-privilege firewall.
import assert from "node:assert/strict";
import { validateArgs } from "../../components/config/validate";
import { buildTopology, service, Topology } from "../../components/topology";
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
                ["server-3", ["server-3-haproxy", "server-3-mariadb-primary", "server-3-prometheus"]],
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
                ["server-3-prometheus", "prometheus", "server-3", undefined],
            ],
        );
    });

    it("runs no Prometheus, and has no flow for one, with monitoring off", () => {
        const t = topologyOf({ monitoring: { enabled: false } });
        assert.equal(t.prometheus, undefined);
        assert.deepEqual(t.servers[2].services, ["server-3-haproxy", "server-3-mariadb-primary"]);
        assert.ok(t.flows.every((f) => f.from !== "operator" && !f.to.endsWith("prometheus") && f.port !== 8404));
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
        flows.push(
            ["server-1-mariadb-replica", P, 3306, "GTID replication"],
            ["server-2-mariadb-replica", P, 3306, "GTID replication"],
            ["server-3-prometheus", "server-3-haproxy", 8404, "metrics scrapes"],
            ["operator", "server-3-prometheus", 9090, "Prometheus UI, API and alerts, for operators"],
        );
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

    it("lays out edge, web, data and one /24 per web server in the default subnet; only edge is not internal", () => {
        const plan = planDockerNetworks(topologyOf({}));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.internal, s.subnet, s.gateway]),
            [
                ["edge", false, "10.77.0.0/24", "10.77.0.1"],
                ["web", true, "10.77.1.0/24", "10.77.1.1"],
                ["data", true, "10.77.2.0/24", "10.77.2.1"],
                ["server-1", true, "10.77.3.0/24", "10.77.3.1"],
                ["server-2", true, "10.77.4.0/24", "10.77.4.1"],
            ],
        );
    });

    it("gives each web server its own network after the shared ones (8 web servers)", () => {
        const plan = planDockerNetworks(topologyOf({ webServers: 8 }));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.internal, s.subnet, s.gateway]),
            [
                ["edge", false, "10.77.0.0/24", "10.77.0.1"],
                ["web", true, "10.77.1.0/24", "10.77.1.1"],
                ["data", true, "10.77.2.0/24", "10.77.2.1"],
                ...Array.from({ length: 8 }, (_, i) => [`server-${i + 1}`, true, `10.77.${i + 3}.0/24`, `10.77.${i + 3}.1`]),
            ],
        );
        for (let n = 1; n <= 8; n++) {
            assert.deepEqual(Object.fromEntries(plan.segments[n + 2].members), {
                [`server-${n}-app`]: `10.77.${n + 2}.2${n}`,
                [`server-${n}-nginx`]: `10.77.${n + 2}.1${n}`,
            });
        }
    });

    it("gives every service fixed addresses on exactly the networks it needs (defaults)", () => {
        const plan = planDockerNetworks(topologyOf({}));
        const members = Object.fromEntries(plan.segments.map((s) => [s.name, Object.fromEntries(s.members)]));
        assert.deepEqual(members, {
            // Prometheus is published from edge (to docker.bindAddress only) and scrapes HAProxy on web.
            edge: { "server-3-haproxy": "10.77.0.2", "server-3-prometheus": "10.77.0.4" },
            web: {
                "server-1-nginx": "10.77.1.11",
                "server-2-nginx": "10.77.1.12",
                "server-3-haproxy": "10.77.1.2",
                "server-3-prometheus": "10.77.1.4",
            },
            data: {
                "server-1-app": "10.77.2.21",
                "server-1-mariadb-replica": "10.77.2.31",
                "server-2-app": "10.77.2.22",
                "server-2-mariadb-replica": "10.77.2.32",
                "server-3-mariadb-primary": "10.77.2.3",
            },
            "server-1": { "server-1-app": "10.77.3.21", "server-1-nginx": "10.77.3.11" },
            "server-2": { "server-2-app": "10.77.4.22", "server-2-nginx": "10.77.4.12" },
        });
        assert.deepEqual(
            plan.segmentsOf("server-3-haproxy").map((s) => s.name),
            ["edge", "web"],
        );
        for (const n of [1, 2]) {
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-nginx`).map((s) => s.name),
                ["web", `server-${n}`],
            );
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-app`).map((s) => s.name),
                ["data", `server-${n}`],
            );
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-mariadb-replica`).map((s) => s.name),
                ["data"],
            );
        }
        assert.deepEqual(
            plan.segmentsOf("server-3-mariadb-primary").map((s) => s.name),
            ["data"],
        );
        assert.deepEqual(
            plan.segmentsOf("server-3-prometheus").map((s) => s.name),
            ["edge", "web"],
        );
    });

    it("keeps services off networks they have no business on", () => {
        const plan = planDockerNetworks(topologyOf({ webServers: 3 }));
        const forbidden: ReadonlyArray<[string, readonly SegmentName[]]> = [
            ["server-4-haproxy", ["data", "server-1", "server-2", "server-3"]],
            ["server-1-nginx", ["edge", "data", "server-2", "server-3"]],
            ["server-2-nginx", ["edge", "data", "server-1", "server-3"]],
            ["server-1-app", ["edge", "web", "server-2", "server-3"]],
            ["server-3-app", ["edge", "web", "server-1", "server-2"]],
            ["server-1-mariadb-replica", ["edge", "web", "server-1", "server-2", "server-3"]],
            ["server-4-mariadb-primary", ["edge", "web", "server-1", "server-2", "server-3"]],
            ["server-4-prometheus", ["data", "server-1", "server-2", "server-3"]],
        ];
        for (const [key, segments] of forbidden) {
            const on = plan.segmentsOf(key).map((s) => s.name);
            for (const s of segments) assert.ok(!on.includes(s), `${key} must not be on ${s} (is on ${on.join(", ")})`);
        }
        assert.deepEqual(
            [...plan.segments[0].members.keys()],
            ["server-4-haproxy", "server-4-prometheus"],
            "only what is published is on edge",
        );
        // A web server's own network holds that server's nginx and app, and nothing else.
        for (const n of [1, 2, 3]) {
            assert.deepEqual(
                [...(plan.segments.find((s) => s.name === `server-${n}`)?.members.keys() ?? [])],
                [`server-${n}-app`, `server-${n}-nginx`],
            );
        }
    });

    it("puts each service on exactly the networks of its flows (3 web servers, 1 replica)", () => {
        const plan = planDockerNetworks(topologyOf({ webServers: 3, database: { replicas: 1 } }));
        assert.deepEqual(
            plan.segments.map((s) => s.name),
            ["edge", "web", "data", "server-1", "server-2", "server-3"],
        );
        const expected: ReadonlyArray<[string, string[]]> = [
            ["server-4-haproxy", ["edge", "web"]],
            ["server-1-nginx", ["web", "server-1"]],
            ["server-2-nginx", ["web", "server-2"]],
            ["server-3-nginx", ["web", "server-3"]],
            ["server-1-app", ["data", "server-1"]],
            ["server-2-app", ["data", "server-2"]],
            ["server-3-app", ["data", "server-3"]],
            ["server-1-mariadb-replica", ["data"]],
            ["server-4-mariadb-primary", ["data"]],
        ];
        for (const [key, names] of expected) {
            assert.deepEqual(
                plan.segmentsOf(key).map((s) => s.name),
                names,
                key,
            );
        }
        assert.deepEqual(Object.fromEntries(plan.segments[2].members), {
            "server-1-app": "10.77.2.21",
            "server-1-mariadb-replica": "10.77.2.31",
            "server-2-app": "10.77.2.22",
            "server-3-app": "10.77.2.23",
            "server-4-mariadb-primary": "10.77.2.3",
        });
    });

    for (const [name, args] of VARIANTS) {
        it(`joins both ends of every flow, and nothing else (${name})`, () => {
            const t = topologyOf(args);
            const plan = planDockerNetworks(t);
            for (const f of t.flows) {
                if (f.from === "internet" || f.from === "operator") {
                    assert.equal(plan.segmentsOf(f.to)[0].name, "edge");
                    continue;
                }
                assert.ok(
                    plan.segmentsOf(f.from).some((s) => s.members.has(f.to)),
                    `${f.from} -> ${f.to} share no network`,
                );
                // Database traffic on data, HAProxy -> nginx and the metrics scrape on web, nginx -> app on
                // the web server's own network.
                const to = service(t, f.to);
                const n = Number(to.server.replace("server-", ""));
                const carrier = to.kind.startsWith("mariadb") ? "data" : to.kind === "nginx" || to.kind === "haproxy" ? "web" : to.server;
                const index = plan.segments.findIndex((s) => s.name === carrier);
                assert.equal(index, carrier === "data" ? 2 : carrier === "web" ? 1 : 2 + n);
                assert.equal(plan.segments[index].subnet, `10.77.${index}.0/24`);
                const host = { haproxy: 2, "mariadb-primary": 3, prometheus: 4, nginx: 10 + n, app: 20 + n, "mariadb-replica": 30 + n }[
                    to.kind
                ];
                assert.equal(plan.reach(f.from, f.to), `10.77.${index}.${host}`, `${f.from} -> ${f.to}`);
            }
            // Least privilege: each membership is justified by a flow to or from a peer on that network.
            for (const segment of plan.segments) {
                for (const key of segment.members.keys()) {
                    const justified = t.flows.some(
                        (f) =>
                            ((f.from === "internet" || f.from === "operator") && f.to === key && segment.name === "edge") ||
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

    it("keeps one web server's nginx away from another server's app", () => {
        const plan = planDockerNetworks(topologyOf({}));
        const shared = (a: string, b: string) =>
            plan
                .segmentsOf(a)
                .filter((s) => s.members.has(b))
                .map((s) => s.name);
        assert.deepEqual(shared("server-1-nginx", "server-2-app"), []);
        assert.deepEqual(shared("server-2-nginx", "server-1-app"), []);
        assert.deepEqual(shared("server-1-nginx", "server-1-app"), ["server-1"]);
        assert.deepEqual(shared("server-2-nginx", "server-2-app"), ["server-2"]);
        assert.throws(() => plan.reach("server-1-nginx", "server-2-app"), {
            message: "no network joins server-1-nginx to server-2-app; add a flow in topology.ts",
        });
        assert.throws(() => plan.reach("server-2-nginx", "server-1-app"), {
            message: "no network joins server-2-nginx to server-1-app; add a flow in topology.ts",
        });
        assert.equal(plan.reach("server-1-nginx", "server-1-app"), "10.77.3.21");
        assert.equal(plan.reach("server-2-nginx", "server-2-app"), "10.77.4.22");
        // nginx-1 is not on server-2's network, and an app is not on another server's network.
        assert.ok(!plan.segmentsOf("server-1-nginx").some((s) => s.name === "server-2"));
        assert.ok(!plan.segmentsOf("server-2-app").some((s) => s.name === "server-1"));
    });

    it("carves a custom subnet into consecutive /24s", () => {
        const cases: ReadonlyArray<[string, number, string[], string, string]> = [
            [
                "172.20.0.0/16",
                2,
                ["172.20.0.0/24", "172.20.1.0/24", "172.20.2.0/24", "172.20.3.0/24", "172.20.4.0/24"],
                "172.20.2.3",
                "172.20.3.21",
            ],
            // A /22 holds exactly the four networks of one web server.
            ["192.168.4.0/22", 1, ["192.168.4.0/24", "192.168.5.0/24", "192.168.6.0/24", "192.168.7.0/24"], "192.168.6.3", "192.168.7.21"],
        ];
        for (const [subnet, webServers, expected, primaryAddress, app1Address] of cases) {
            const t = topologyOf({ webServers, docker: { subnet } });
            const plan = planDockerNetworks(t);
            assert.deepEqual(
                plan.segments.map((s) => s.subnet),
                expected,
            );
            assert.equal(plan.segments[0].gateway, expected[0].replace(".0/24", ".1"));
            assert.equal(plan.segments[0].members.get(t.haproxy), expected[0].replace(".0/24", ".2"));
            assert.equal(plan.reach("server-1-app", t.primary), primaryAddress);
            assert.equal(plan.reach("server-1-nginx", "server-1-app"), app1Address);
        }
    });
});
