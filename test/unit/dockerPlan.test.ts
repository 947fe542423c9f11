// planDockerNetworks: the topology's flows as docker networks, a least-privilege firewall.
import assert from "node:assert/strict";
import { DockerPlan, SegmentName, planDockerNetworks } from "../../components/platforms/docker/plan";
import { Topology, primaryOf, serviceLabel } from "../../components/topology";
import { byKey, topologyOf } from "./topologyHelpers";

/** The plan, asked by service key. */
function planFor(t: Topology) {
    const plan: DockerPlan = planDockerNetworks(t);
    return {
        segments: plan.segments,
        segmentsOf: (key: string) => plan.segmentsOf(byKey(t, key)),
        reach: (from: string, to: string) => plan.reach(byKey(t, from), byKey(t, to)),
    };
}

describe("planDockerNetworks", () => {
    const VARIANTS: ReadonlyArray<[string, unknown]> = [
        ["defaults", {}],
        ["1 web server", { webServers: 1 }],
        ["3 web servers, 1 replica", { webServers: 3, database: { replicas: 1 } }],
        ["8 web servers, no replica", { webServers: 8, database: { replicas: 0 } }],
    ];

    it("lays out edge, web, data, metrics and one /24 per web server in the default subnet; only edge is not internal", () => {
        const plan = planFor(topologyOf({}));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.internal, s.subnet, s.gateway]),
            [
                ["edge", false, "10.77.0.0/24", "10.77.0.1"],
                ["web", true, "10.77.1.0/24", "10.77.1.1"],
                ["data", true, "10.77.2.0/24", "10.77.2.1"],
                ["metrics", true, "10.77.3.0/24", "10.77.3.1"],
                ["server-1", true, "10.77.4.0/24", "10.77.4.1"],
                ["server-2", true, "10.77.5.0/24", "10.77.5.1"],
            ],
        );
    });

    it("creates no metrics network with monitoring off, and keeps its /24 free so no address moves", () => {
        const plan = planFor(topologyOf({ monitoring: { enabled: false } }));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.subnet]),
            [
                ["edge", "10.77.0.0/24"],
                ["web", "10.77.1.0/24"],
                ["data", "10.77.2.0/24"],
                ["server-1", "10.77.4.0/24"],
                ["server-2", "10.77.5.0/24"],
            ],
        );
    });

    it("gives each web server its own network after the shared ones (8 web servers)", () => {
        const plan = planFor(topologyOf({ webServers: 8 }));
        assert.deepEqual(
            plan.segments.map((s) => [s.name, s.internal, s.subnet, s.gateway]),
            [
                ["edge", false, "10.77.0.0/24", "10.77.0.1"],
                ["web", true, "10.77.1.0/24", "10.77.1.1"],
                ["data", true, "10.77.2.0/24", "10.77.2.1"],
                ["metrics", true, "10.77.3.0/24", "10.77.3.1"],
                ...Array.from({ length: 8 }, (_, i) => [`server-${i + 1}`, true, `10.77.${i + 4}.0/24`, `10.77.${i + 4}.1`]),
            ],
        );
        for (let n = 1; n <= 8; n++) {
            assert.deepEqual(Object.fromEntries(plan.segments[n + 3].members), {
                [`server-${n}-app`]: `10.77.${n + 3}.2${n}`,
                [`server-${n}-nginx`]: `10.77.${n + 3}.1${n}`,
                [`server-${n}-nginx-exporter`]: `10.77.${n + 3}.7${n}`,
            });
        }
    });

    it("gives every service fixed addresses on exactly the networks it needs (defaults)", () => {
        const plan = planFor(topologyOf({}));
        const members = Object.fromEntries(plan.segments.map((s) => [s.name, Object.fromEntries(s.members)]));
        assert.deepEqual(members, {
            // Prometheus is published from edge (to docker.bindAddress only) and scrapes HAProxy on metrics.
            // Alertmanager too, for its route out to the receivers (it listens on metrics only); the
            // blackbox exporter visits the site there, as a client would.
            edge: {
                "server-3-alertmanager": "10.77.0.7",
                "server-3-blackbox-exporter": "10.77.0.63",
                "server-3-haproxy": "10.77.0.2",
                "server-3-prometheus": "10.77.0.4",
            },
            web: {
                "server-1-nginx": "10.77.1.11",
                "server-2-nginx": "10.77.1.12",
                "server-3-haproxy": "10.77.1.2",
            },
            data: {
                "server-1-app": "10.77.2.21",
                "server-1-mariadb-replica": "10.77.2.31",
                "server-1-mysqld-exporter": "10.77.2.41",
                "server-2-app": "10.77.2.22",
                "server-2-mariadb-replica": "10.77.2.32",
                "server-2-mysqld-exporter": "10.77.2.42",
                "server-3-mariadb-primary": "10.77.2.3",
                "server-3-mysqld-exporter": "10.77.2.43",
            },
            // The monitoring network: the exporters and HAProxy's stats listen here only, for Prometheus.
            // Each app serves its own /metrics there too.
            metrics: {
                "server-3-alertmanager": "10.77.3.7",
                "server-3-haproxy": "10.77.3.2",
                "server-1-app": "10.77.3.21",
                "server-1-mysqld-exporter": "10.77.3.41",
                "server-1-nginx-exporter": "10.77.3.71",
                "server-1-node-exporter": "10.77.3.51",
                "server-2-app": "10.77.3.22",
                "server-2-mysqld-exporter": "10.77.3.42",
                "server-2-nginx-exporter": "10.77.3.72",
                "server-2-node-exporter": "10.77.3.52",
                "server-3-node-exporter": "10.77.3.53",
                "server-3-blackbox-exporter": "10.77.3.63",
                "server-3-mysqld-exporter": "10.77.3.43",
                "server-3-prometheus": "10.77.3.4",
            },
            "server-1": { "server-1-app": "10.77.4.21", "server-1-nginx": "10.77.4.11", "server-1-nginx-exporter": "10.77.4.71" },
            "server-2": { "server-2-app": "10.77.5.22", "server-2-nginx": "10.77.5.12", "server-2-nginx-exporter": "10.77.5.72" },
        });
        assert.deepEqual(
            plan.segmentsOf("server-3-haproxy").map((s) => s.name),
            ["edge", "web", "metrics"],
        );
        for (const n of [1, 2]) {
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-nginx`).map((s) => s.name),
                ["web", `server-${n}`],
            );
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-app`).map((s) => s.name),
                ["data", "metrics", `server-${n}`],
            );
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-mariadb-replica`).map((s) => s.name),
                ["data"],
            );
        }
        for (const n of [1, 2, 3]) {
            assert.deepEqual(
                plan.segmentsOf(`server-${n}-mysqld-exporter`).map((s) => s.name),
                ["data", "metrics"],
            );
        }
        assert.deepEqual(
            plan.segmentsOf("server-3-mariadb-primary").map((s) => s.name),
            ["data"],
        );
        assert.deepEqual(
            plan.segmentsOf("server-3-prometheus").map((s) => s.name),
            ["edge", "metrics"],
        );
        assert.equal(plan.reach("server-3-prometheus", "server-3-mysqld-exporter"), "10.77.3.43");
        assert.equal(plan.reach("server-1-mysqld-exporter", "server-1-mariadb-replica"), "10.77.2.31");
    });

    it("keeps services off networks they have no business on", () => {
        const plan = planFor(topologyOf({ webServers: 3 }));
        const forbidden: ReadonlyArray<[string, readonly SegmentName[]]> = [
            ["server-4-haproxy", ["data", "server-1", "server-2", "server-3"]],
            ["server-1-nginx", ["edge", "data", "metrics", "server-2", "server-3"]],
            ["server-2-nginx", ["edge", "data", "metrics", "server-1", "server-3"]],
            // On metrics for its own /metrics, which Prometheus scrapes there.
            ["server-1-app", ["edge", "web", "server-2", "server-3"]],
            ["server-3-app", ["edge", "web", "server-1", "server-2"]],
            ["server-1-mariadb-replica", ["edge", "web", "metrics", "server-1", "server-2", "server-3"]],
            ["server-4-mariadb-primary", ["edge", "web", "metrics", "server-1", "server-2", "server-3"]],
            // Off web: nothing but the monitoring network and edge (to publish its UI) reaches it.
            ["server-4-prometheus", ["web", "data", "server-1", "server-2", "server-3"]],
            ["server-4-alertmanager", ["web", "data", "server-1", "server-2", "server-3"]],
            ["server-1-mysqld-exporter", ["edge", "web", "server-1", "server-2", "server-3"]],
            ["server-4-mysqld-exporter", ["edge", "web", "server-1", "server-2", "server-3"]],
        ];
        for (const [key, segments] of forbidden) {
            const on = plan.segmentsOf(key).map((s) => s.name);
            for (const s of segments) assert.ok(!on.includes(s), `${key} must not be on ${s} (is on ${on.join(", ")})`);
        }
        assert.deepEqual(
            [...plan.segments[0].members.keys()],
            ["server-4-alertmanager", "server-4-blackbox-exporter", "server-4-haproxy", "server-4-prometheus"],
            "only what is published, Alertmanager (the only way out) and the probe of the site are on edge",
        );
        // A web server's own network holds that server's nginx, its app and its nginx's exporter, and nothing else.
        for (const n of [1, 2, 3]) {
            assert.deepEqual(
                [...(plan.segments.find((s) => s.name === `server-${n}`)?.members.keys() ?? [])],
                [`server-${n}-app`, `server-${n}-nginx`, `server-${n}-nginx-exporter`],
            );
        }
    });

    it("puts each service on exactly the networks of its flows (3 web servers, 1 replica)", () => {
        const plan = planFor(topologyOf({ webServers: 3, database: { replicas: 1 } }));
        assert.deepEqual(
            plan.segments.map((s) => s.name),
            ["edge", "web", "data", "metrics", "server-1", "server-2", "server-3"],
        );
        const expected: ReadonlyArray<[string, string[]]> = [
            ["server-4-haproxy", ["edge", "web", "metrics"]],
            ["server-1-nginx", ["web", "server-1"]],
            ["server-2-nginx", ["web", "server-2"]],
            ["server-3-nginx", ["web", "server-3"]],
            ["server-1-app", ["data", "metrics", "server-1"]],
            ["server-2-app", ["data", "metrics", "server-2"]],
            ["server-3-app", ["data", "metrics", "server-3"]],
            ["server-1-mariadb-replica", ["data"]],
            ["server-4-mariadb-primary", ["data"]],
            ["server-4-prometheus", ["edge", "metrics"]],
            ["server-1-mysqld-exporter", ["data", "metrics"]],
            ["server-4-mysqld-exporter", ["data", "metrics"]],
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
            "server-1-mysqld-exporter": "10.77.2.41",
            "server-2-app": "10.77.2.22",
            "server-3-app": "10.77.2.23",
            "server-4-mariadb-primary": "10.77.2.3",
            "server-4-mysqld-exporter": "10.77.2.44",
        });
    });

    for (const [name, args] of VARIANTS) {
        it(`joins both ends of every flow, and nothing else (${name})`, () => {
            const t = topologyOf(args);
            const plan = planFor(t);
            for (const f of t.flows) {
                if (f.from === "internet" || f.from === "operator") {
                    assert.equal(plan.segmentsOf(f.to.key)[0].name, "edge");
                    continue;
                }
                assert.ok(
                    plan.segmentsOf(f.from.key).some((s) => s.members.has(f.to.key)),
                    `${f.from.key} -> ${f.to.key} share no network`,
                );
                // Database traffic (the exporters' status reads too) on data, HAProxy -> nginx on web, the
                // scrapes (HAProxy's, the apps' and the exporters') on metrics, nginx -> app and the nginx
                // exporter -> nginx on the web server's own network, the probe -> HAProxy on edge.
                const to = f.to;
                const n = Number(to.server.replace("server-", ""));
                const label = serviceLabel(to);
                const scraped = ["mysqld-exporter", "alertmanager", "node-exporter", "nginx-exporter", "blackbox-exporter"];
                const carrier = label.startsWith("mariadb")
                    ? "data"
                    : label === "nginx"
                      ? f.from.kind === "nginx-exporter"
                          ? to.server
                          : "web"
                      : label === "haproxy" && f.from.kind === "blackbox-exporter"
                        ? "edge"
                        : scraped.includes(label) || label === "haproxy" || f.from.kind === "prometheus"
                          ? "metrics"
                          : to.server;
                const index = plan.segments.findIndex((s) => s.name === carrier);
                assert.equal(index, ({ edge: 0, web: 1, data: 2, metrics: 3 } as Record<string, number>)[carrier] ?? 3 + n);
                assert.equal(plan.segments[index].subnet, `10.77.${index}.0/24`);
                const host = {
                    haproxy: 2,
                    "mariadb-primary": 3,
                    prometheus: 4,
                    alertmanager: 7,
                    nginx: 10 + n,
                    app: 20 + n,
                    "mariadb-replica": 30 + n,
                    "mysqld-exporter": 40 + n,
                    "node-exporter": 50 + n,
                    "blackbox-exporter": 60 + n,
                    "nginx-exporter": 70 + n,
                }[label];
                assert.equal(plan.reach(f.from.key, f.to.key), `10.77.${index}.${host}`, `${f.from.key} -> ${f.to.key}`);
            }
            // Least privilege: each membership is justified by a flow to or from a peer on that network.
            for (const segment of plan.segments) {
                for (const key of segment.members.keys()) {
                    // Alertmanager's receivers are outside the stack: edge is the only network with a route out.
                    const egress = segment.name === "edge" && t.alertmanagers.some((a) => a.key === key);
                    const justified =
                        egress ||
                        t.flows.some((f) =>
                            typeof f.from === "string"
                                ? f.to.key === key && segment.name === "edge"
                                : (f.from.key === key && segment.members.has(f.to.key)) ||
                                  (f.to.key === key && segment.members.has(f.from.key)),
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
        const plan = planFor(topologyOf({}));
        assert.throws(() => plan.reach("server-3-haproxy", "server-3-mariadb-primary"), {
            message: "no network joins server-3-haproxy to server-3-mariadb-primary; add a flow in components/topology/flows.ts",
        });
        assert.throws(() => plan.reach("server-1-nginx", "server-3-mariadb-primary"), {
            message: "no network joins server-1-nginx to server-3-mariadb-primary; add a flow in components/topology/flows.ts",
        });
        // Prometheus reaches the exporters on metrics, never a database on data.
        assert.throws(() => plan.reach("server-3-prometheus", "server-1-mariadb-replica"), {
            message: "no network joins server-3-prometheus to server-1-mariadb-replica; add a flow in components/topology/flows.ts",
        });
    });

    it("keeps one web server's nginx away from another server's app", () => {
        const plan = planFor(topologyOf({}));
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
            message: "no network joins server-1-nginx to server-2-app; add a flow in components/topology/flows.ts",
        });
        assert.throws(() => plan.reach("server-2-nginx", "server-1-app"), {
            message: "no network joins server-2-nginx to server-1-app; add a flow in components/topology/flows.ts",
        });
        assert.equal(plan.reach("server-1-nginx", "server-1-app"), "10.77.4.21");
        assert.equal(plan.reach("server-2-nginx", "server-2-app"), "10.77.5.22");
        // nginx-1 is not on server-2's network, and an app is not on another server's network.
        assert.ok(!plan.segmentsOf("server-1-nginx").some((s) => s.name === "server-2"));
        assert.ok(!plan.segmentsOf("server-2-app").some((s) => s.name === "server-1"));
    });

    it("carves a custom subnet into consecutive /24s", () => {
        const cases: ReadonlyArray<[string, number, string[], string, string]> = [
            [
                "172.20.0.0/16",
                2,
                ["172.20.0.0/24", "172.20.1.0/24", "172.20.2.0/24", "172.20.3.0/24", "172.20.4.0/24", "172.20.5.0/24"],
                "172.20.2.3",
                "172.20.4.21",
            ],
            // A /21 holds exactly the eight networks of four web servers.
            ["192.168.8.0/21", 4, Array.from({ length: 8 }, (_, i) => `192.168.${8 + i}.0/24`), "192.168.10.3", "192.168.12.21"],
        ];
        for (const [subnet, webServers, expected, primaryAddress, app1Address] of cases) {
            const t = topologyOf({ webServers, docker: { subnet } });
            const plan = planFor(t);
            assert.deepEqual(
                plan.segments.map((s) => s.subnet),
                expected,
            );
            assert.equal(plan.segments[0].gateway, expected[0].replace(".0/24", ".1"));
            assert.equal(plan.segments[0].members.get(t.loadBalancers[0].key), expected[0].replace(".0/24", ".2"));
            assert.equal(plan.reach("server-1-app", primaryOf(t).key), primaryAddress);
            assert.equal(plan.reach("server-1-nginx", "server-1-app"), app1Address);
        }
    });
});
