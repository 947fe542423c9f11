// lb.count 2 on docker: the topology's pair, keepalived beside each HAProxy, the virtual IP beyond
// edge's IPAM range, and the containers that carry it (under the mocks).
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { planDockerNetworks } from "../../components/platforms/docker/plan";
import { dockerView } from "../../components/platforms/docker/view";
import { HAPROXY_CONFIG_PATH } from "../../components/render/haproxy";
import { KEEPALIVED_CONFIG_PATH } from "../../components/render/keepalived";
import { renderService } from "../../components/services";
import { ServicePlan, Topology, serviceLabel } from "../../components/topology";
import { TYPES, byType, unwrap } from "../helpers/pulumiMocks";
import { GOLDEN_DIR } from "./golden";
import { container, containers, runDev } from "./stackHelpers";
import { byKey, topologyOf } from "./topologyHelpers";

const PAIR = { lb: { count: 2 } };
const STACK_PAIR = { "foobar:lb": { count: 2 } };

/** A whole rendered file against test/unit/golden/<name>; UPDATE_GOLDEN=1 writes it first. */
function assertWholeFile(name: string, actual: string): void {
    const file = path.join(GOLDEN_DIR, name);
    if (process.env.UPDATE_GOLDEN === "1") fs.writeFileSync(file, actual);
    assert.equal(actual, fs.readFileSync(file, "utf8"), `${name} differs from its golden file; rerun with UPDATE_GOLDEN=1 if intended`);
}

function fileOf(topology: Topology, service: ServicePlan, filePath: string): string {
    const context = { topology, view: dockerView(topology, planDockerNetworks(topology)) };
    const file = renderService(context, service).files.find((f) => f.path === filePath);
    assert.ok(file && "content" in file, `${service.key} has no plain file ${filePath}`);
    return file.content;
}

describe("lb.count 2: the topology", () => {
    it("adds server-(N+2) with HAProxy and Prometheus; the primary stays on server-(N+1)", () => {
        const t = topologyOf(PAIR);
        assert.deepEqual(
            t.servers.map((s) => [s.name, s.role, s.services.map(serviceLabel)]),
            [
                ["server-1", "web", ["nginx", "app", "mariadb-replica", "mysqld-exporter", "nginx-exporter", "node-exporter"]],
                ["server-2", "web", ["nginx", "app", "mariadb-replica", "mysqld-exporter", "nginx-exporter", "node-exporter"]],
                [
                    "server-3",
                    "lb-db",
                    [
                        "haproxy",
                        "keepalived",
                        "mariadb-primary",
                        "prometheus",
                        "alertmanager",
                        "blackbox-exporter",
                        "mysqld-exporter",
                        "node-exporter",
                    ],
                ],
                ["server-4", "lb", ["haproxy", "keepalived", "prometheus", "alertmanager", "blackbox-exporter", "node-exporter"]],
            ],
        );
        assert.deepEqual(
            t.loadBalancers.map((l) => l.key),
            ["server-3-haproxy", "server-4-haproxy"],
        );
        assert.deepEqual(
            t.monitors.map((m) => m.key),
            ["server-3-prometheus", "server-4-prometheus"],
        );
    });

    it("floats the address with keepalived on docker (the server without the database preferred), an NLB on aws, nothing for one", () => {
        const docker = topologyOf(PAIR);
        assert.equal(docker.front, "keepalived");
        assert.deepEqual(
            docker.keepalived.map((k) => [k.key, k.haproxy.key, k.priority]),
            [
                ["server-3-keepalived", "server-3-haproxy", 100],
                ["server-4-keepalived", "server-4-haproxy", 150],
            ],
        );
        const aws = topologyOf({ ...PAIR, platform: "aws" });
        assert.equal(aws.front, "nlb");
        assert.deepEqual(aws.keepalived, []);
        assert.equal(topologyOf({}).front, "single");
        assert.deepEqual(topologyOf({}).keepalived, []);
    });

    it("lets both Prometheus scrape both HAProxies and every exporter, and alert both Alertmanagers, which gossip", () => {
        const t = topologyOf(PAIR);
        assert.deepEqual(
            t.flows
                .filter((f) => typeof f.from !== "string" && f.from.kind === "alertmanager")
                .map((f) => `${(f.from as ServicePlan).key} -> ${f.to.key}:${f.protocol ?? "tcp"}/${f.port}`),
            [
                "server-4-alertmanager -> server-3-alertmanager:tcp/9094",
                "server-4-alertmanager -> server-3-alertmanager:udp/9094",
                "server-3-alertmanager -> server-4-alertmanager:tcp/9094",
                "server-3-alertmanager -> server-4-alertmanager:udp/9094",
            ],
        );
        const scrapes = t.flows.filter((f) => typeof f.from !== "string" && f.from.kind === "prometheus" && f.to.kind !== "alertmanager");
        // Each scrapes everything but the other's blackbox exporter: each probes the site from its own server.
        const everything = (p: string) => [
            `${p}-prometheus -> server-1-app:9301`,
            `${p}-prometheus -> server-1-mysqld-exporter:9104`,
            `${p}-prometheus -> server-1-nginx-exporter:9113`,
            `${p}-prometheus -> server-1-node-exporter:9100`,
            `${p}-prometheus -> server-2-app:9301`,
            `${p}-prometheus -> server-2-mysqld-exporter:9104`,
            `${p}-prometheus -> server-2-nginx-exporter:9113`,
            `${p}-prometheus -> server-2-node-exporter:9100`,
            ...(p === "server-3" ? [`${p}-prometheus -> server-3-blackbox-exporter:9115`] : []),
            `${p}-prometheus -> server-3-haproxy:8404`,
            `${p}-prometheus -> server-3-mysqld-exporter:9104`,
            `${p}-prometheus -> server-3-node-exporter:9100`,
            ...(p === "server-4" ? [`${p}-prometheus -> server-4-blackbox-exporter:9115`] : []),
            `${p}-prometheus -> server-4-haproxy:8404`,
            `${p}-prometheus -> server-4-node-exporter:9100`,
        ];
        assert.deepEqual(scrapes.map((f) => `${(f.from as ServicePlan).key} -> ${f.to.key}:${f.port}`).sort(), [
            ...everything("server-3"),
            ...everything("server-4"),
        ]);
    });
});

describe("lb.count 2 on docker: the plan and the configs", () => {
    it("accepts a pair with every number of web servers and either mode, each address used once per network", () => {
        for (const webServers of [1, 2, 3, 8]) {
            for (const mode of webServers > 1 ? ["active-active", "active-passive"] : ["active-active"]) {
                const t = topologyOf({ webServers, lb: { count: 2, mode } });
                assert.deepEqual(
                    t.loadBalancers.map((l) => l.server),
                    [`server-${webServers + 1}`, `server-${webServers + 2}`],
                );
                for (const segment of planDockerNetworks(t).segments) {
                    // keepalived shares its HAProxy's address: one address per network namespace.
                    const owners = [...segment.members].filter(([key]) => !key.endsWith("-keepalived")).map(([, a]) => a);
                    assert.equal(new Set(owners).size, owners.length, `${webServers} web servers, ${segment.name}: ${owners.join(" ")}`);
                    assert.ok(!owners.includes("10.77.0.254"));
                }
            }
        }
    });

    const t = topologyOf(PAIR);
    const plan = planDockerNetworks(t);

    it("puts the virtual IP at .254 of edge, beyond the lower half Docker may allocate from", () => {
        assert.equal(plan.floatingAddress, "10.77.0.254/24");
        const edge = plan.segments.find((s) => s.name === "edge");
        assert.equal(edge?.ipRange, "10.77.0.0/25");
        assert.deepEqual(
            plan.segments.filter((s) => s.ipRange !== undefined).map((s) => s.name),
            ["edge"],
        );
        assert.equal(planDockerNetworks(topologyOf({})).floatingAddress, undefined);
        assert.equal(planDockerNetworks(topologyOf({})).segments[0].ipRange, undefined);
    });

    it("gives keepalived its HAProxy's networks and addresses; the first load balancer keeps the addresses it had alone", () => {
        const addresses = (key: string) =>
            Object.fromEntries(plan.segmentsOf(byKey(t, key)).map((s) => [s.name, plan.addressOn(s.name, byKey(t, key))]));
        assert.deepEqual(addresses("server-3-haproxy"), { edge: "10.77.0.2", web: "10.77.1.2", metrics: "10.77.3.2" });
        assert.deepEqual(addresses("server-3-keepalived"), addresses("server-3-haproxy"));
        assert.deepEqual(addresses("server-4-haproxy"), { edge: "10.77.0.5", web: "10.77.1.5", metrics: "10.77.3.5" });
        assert.deepEqual(addresses("server-4-keepalived"), addresses("server-4-haproxy"));
        assert.deepEqual(addresses("server-3-prometheus"), { edge: "10.77.0.4", metrics: "10.77.3.4" });
        assert.deepEqual(addresses("server-4-prometheus"), { edge: "10.77.0.6", metrics: "10.77.3.6" });
    });

    it("renders keepalived.conf: unicast to the peer's edge address, the VIP, nopreempt, a track script on HAProxy's health frontend", () => {
        assertWholeFile("keepalived-server-4.conf", fileOf(t, byKey(t, "server-4-keepalived"), KEEPALIVED_CONFIG_PATH));
        const server3 = fileOf(t, byKey(t, "server-3-keepalived"), KEEPALIVED_CONFIG_PATH).split("\n");
        for (const line of [
            "    unicast_src_ip 10.77.0.2",
            "        10.77.0.5",
            "    priority 100",
            "    vrrp_startup_delay 3",
            "        10.77.0.254/24 dev $EDGE_INTERFACE",
            '    script "/usr/bin/curl -fsS -m 1 -o /dev/null http://127.0.0.1:8405/healthz"',
        ]) {
            assert.ok(server3.includes(line), `server-3's keepalived.conf lacks ${JSON.stringify(line)}`);
        }
        assert.ok(!server3.some((l) => /vrrp_strict|multicast/.test(l) && !l.trim().startsWith("#")));
    });

    it("renders each HAProxy of the pair with grace, Connection: close while stopping and the health frontend; port 443 in redirects", () => {
        assertWholeFile("haproxy-pair.cfg", fileOf(t, byKey(t, "server-4-haproxy"), HAPROXY_CONFIG_PATH));
        const server3 = fileOf(t, byKey(t, "server-3-haproxy"), HAPROXY_CONFIG_PATH);
        assert.equal(
            server3,
            fileOf(t, byKey(t, "server-4-haproxy"), HAPROXY_CONFIG_PATH).replace("bind 10.77.3.5:8404", "bind 10.77.3.2:8404"),
        );
        const single = fileOf(topologyOf({}), byKey(topologyOf({}), "server-3-haproxy"), HAPROXY_CONFIG_PATH);
        assert.doesNotMatch(single, /grace|frontend health|stopping|accept-proxy/);
    });
});

describe("lb.count 2 on docker: the containers (mocks)", () => {
    it("gives only keepalived NET_ADMIN, and runs each HAProxy in its keepalived's network namespace, publishing nothing", async () => {
        const run = await runDev(STACK_PAIR);
        const withCapabilities = containers(run).filter((c) => c.inputs.capabilities !== undefined);
        assert.deepEqual(
            withCapabilities.map((c) => [c.name, c.inputs.capabilities]),
            [
                ["foobar-dev-server-4-keepalived", { adds: ["NET_ADMIN"] }],
                ["foobar-dev-server-3-keepalived", { adds: ["NET_ADMIN"] }],
            ],
        );
        for (const server of ["server-3", "server-4"]) {
            const haproxy = container(run, `foobar-dev-${server}-haproxy`);
            assert.equal(haproxy.inputs.networkMode, `container:foobar-dev-${server}-keepalived-id`);
            for (const absent of ["networksAdvanced", "ports", "hostname", "capabilities"]) {
                assert.equal(haproxy.inputs[absent], undefined, `${haproxy.name}.${absent}`);
            }
            const keepalived = container(run, `foobar-dev-${server}-keepalived`);
            assert.deepEqual(keepalived.inputs.ports, []);
            assert.deepEqual(
                keepalived.inputs.networksAdvanced.map((n: { name: string }) => n.name),
                ["foobar-dev-edge", "foobar-dev-web", "foobar-dev-metrics"],
            );
        }
        const edge = byType(run.resources, TYPES.network).find((n) => n.name === "foobar-dev-edge");
        assert.deepEqual(edge?.inputs.ipamConfigs, [{ subnet: "10.77.0.0/24", gateway: "10.77.0.1", ipRange: "10.77.0.0/25" }]);
    });

    it("publishes each Prometheus on its own port and names the virtual IP in url, loadBalancerAddress and the certificate", async () => {
        const run = await runDev(STACK_PAIR);
        const ports = (name: string) =>
            container(run, name).inputs.ports.map((p: { internal: number; external: number }) => [p.internal, p.external]);
        assert.deepEqual(ports("foobar-dev-server-3-prometheus"), [[9090, 9090]]);
        assert.deepEqual(ports("foobar-dev-server-4-prometheus"), [[9090, 9091]]);
        const outputs = await unwrap(run.outputs);
        assert.equal(outputs.url, "https://10.77.0.254/");
        assert.equal(outputs.loadBalancerAddress, "10.77.0.254:443");
        assert.equal(outputs.monitoringUrl, "http://127.0.0.1:9090/");
        const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest" && r.name.endsWith("-site-csr"));
        assert.deepEqual(csr?.inputs.ipAddresses, ["127.0.0.1", "10.77.0.254"]);
    });

    it("starts the preferred load balancer first, and the other only once the first is healthy", async () => {
        const run = await runDev(STACK_PAIR);
        const urn = (name: string) => container(run, name).urn;
        const server3 = ["keepalived", "haproxy"].map((s) => container(run, `foobar-dev-server-3-${s}`));
        for (const c of server3) {
            for (const waited of ["keepalived", "haproxy"]) {
                assert.ok(
                    c.options.dependencies.includes(urn(`foobar-dev-server-4-${waited}`)),
                    `${c.name} waits for server-4's ${waited}`,
                );
            }
        }
        assert.deepEqual(
            ["keepalived", "haproxy"].map((s) => container(run, `foobar-dev-server-4-${s}`).inputs.wait),
            [true, true],
        );
        assert.deepEqual(
            server3.map((c) => c.inputs.wait),
            [false, false],
        );
    });
});
