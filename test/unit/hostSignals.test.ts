// The signals beyond HAProxy and the databases (issue 13): a node exporter on every server (its
// disks, memory and clock) and a blackbox exporter beside each Prometheus probing the public URL
// (down from outside, the certificate's expiry). Renderers, topology and both platforms' wiring.
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { WATCHED_VOLUMES_ROOT } from "../../components/platforms/docker/containers";
import {
    BLACKBOX_CONFIG_PATH,
    BLACKBOX_SITE_CERTIFICATE_PATH,
    publicProbeUrl,
    renderBlackboxConfig,
    renderBlackboxDefaults,
} from "../../components/render/blackbox";
import { hostRules, probeRules } from "../../components/render/hostAlerts";
import { IGNORED_MOUNT_POINTS, NODE_EXPORTER_DEFAULTS_PATH, renderNodeExporterDefaults } from "../../components/render/nodeExporter";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { PORTS } from "../../components/topology";
import { upload } from "./stackHelpers";
import { container, runDev } from "./stackHelpers";
import { runStack, sgRules } from "./awsHelpers";
import { endKey, topologyOf } from "./topologyHelpers";

const PAIR = { "foobar:lb": { count: 2 } };
type ScrapeConfig = {
    job_name: string;
    static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
    relabel_configs?: unknown[];
    params?: unknown;
    metrics_path?: string;
};
const scrapeJobs = (text: string) => (yaml.load(text) as { scrape_configs: ScrapeConfig[] }).scrape_configs;
const ruleNames = (text: string) =>
    (yaml.load(text) as { groups: Array<{ rules: Array<{ alert: string }> }> }).groups.flatMap((g) => g.rules.map((r) => r.alert));

describe("host and probe signals: renderers", () => {
    it("the node exporter listens only where Prometheus scrapes it and ignores the system's own filesystems", () => {
        assert.equal(
            renderNodeExporterDefaults({ listenAddress: "10.77.3.53", listenPort: 9100 }),
            [
                "# Rendered by foobar-infra (components/render/nodeExporter.ts). Do not edit by hand.",
                `ARGS="--web.listen-address=10.77.3.53:9100 --collector.filesystem.mount-points-exclude=${IGNORED_MOUNT_POINTS}"`,
                "",
            ].join("\n"),
        );
        // Docker's bind-mounted /etc/hosts and the VMs' /run tmpfs are ignored; data volumes are not.
        const ignored = new RegExp(IGNORED_MOUNT_POINTS);
        for (const m of ["/etc/hosts", "/run", "/run/lock", "/dev/shm", "/proc", "/sys/fs/cgroup"]) assert.ok(ignored.test(m), m);
        for (const m of ["/", "/var/lib/mysql", `${WATCHED_VOLUMES_ROOT}/mariadb-primary`, "/srv/volumes/fill", "/etcetera"])
            assert.ok(!ignored.test(m), m);
        assert.throws(() => renderNodeExporterDefaults({ listenAddress: "0.0.0.0 --evil", listenPort: 9100 }), /refusing to render/);
    });

    it("the blackbox module asks for 200 over TLS, trusting the site's own certificate only", () => {
        const config = yaml.load(renderBlackboxConfig()) as { modules: Record<string, { prober: string; http: Record<string, unknown> }> };
        assert.deepEqual(config.modules, {
            foobar_https: {
                prober: "http",
                timeout: "5s",
                http: {
                    method: "GET",
                    valid_status_codes: [200],
                    fail_if_not_ssl: true,
                    preferred_ip_protocol: "ip4",
                    tls_config: { ca_file: BLACKBOX_SITE_CERTIFICATE_PATH },
                },
            },
        });
        assert.equal(
            renderBlackboxDefaults({ listenAddress: "127.0.0.1", listenPort: 9115 }).split("\n")[1],
            `ARGS="--config.file=${BLACKBOX_CONFIG_PATH} --web.listen-address=127.0.0.1:9115"`,
        );
        // /healthz: through every layer to an app, and no visit recorded.
        assert.equal(publicProbeUrl("www.foobar.com"), "https://www.foobar.com/healthz");
        assert.throws(() => publicProbeUrl("www.foobar.com/x y"), /refusing to render the site's domain/);
    });

    it("the rules: a disk over 85%, memory under 10%, a clock unsynchronised or off; the site down from outside, a certificate within 14 days", () => {
        const host = hostRules(5) as Array<{ alert: string; expr: string; for: string; labels: { severity: string } }>;
        assert.deepEqual(
            host.map((r) => [r.alert, r.labels.severity, r.for]),
            [
                ["FoobarDiskAlmostFull", "warning", "10s"],
                ["FoobarMemoryPressure", "warning", "5m"],
                ["FoobarClockNotSynchronised", "warning", "10m"],
                ["FoobarClockSkew", "warning", "10m"],
            ],
        );
        assert.match(host[0].expr, / > 85$/);
        const probes = probeRules(5) as Array<{ alert: string; expr: string; labels: { severity: string } }>;
        assert.deepEqual(
            probes.map((r) => [r.alert, r.labels.severity, r.expr]),
            [
                ["FoobarSiteUnreachable", "critical", 'probe_success{job="blackbox"} == 0'],
                ["FoobarCertificateExpiresSoon", "warning", 'probe_ssl_earliest_cert_expiry{job="blackbox"} - time() < 14 * 86400'],
            ],
        );
    });
});

describe("host and probe signals: topology", () => {
    it("a node exporter on every server and a blackbox exporter beside each Prometheus; none with monitoring off", () => {
        const t = topologyOf({ platform: "docker", lb: { count: 2 } });
        assert.deepEqual(
            t.nodeExporters.map((n) => n.key),
            ["server-1-node-exporter", "server-2-node-exporter", "server-3-node-exporter", "server-4-node-exporter"],
        );
        assert.deepEqual(
            t.probers.map((b) => b.key),
            ["server-3-blackbox-exporter", "server-4-blackbox-exporter"],
        );
        const off = topologyOf({ platform: "docker", monitoring: { enabled: false } });
        assert.deepEqual([off.nodeExporters, off.probers], [[], []]);
    });

    it("flows: every Prometheus scrapes every node exporter, each its own blackbox exporter, which goes to the load balancers' HTTPS", () => {
        const t = topologyOf({ platform: "docker", lb: { count: 2 } });
        const flows = t.flows
            .filter(
                (f) =>
                    typeof f.from !== "string" &&
                    ["node-exporter", "blackbox-exporter"].some((k) => endKey(f.to).endsWith(k) || endKey(f.from).endsWith(k)),
            )
            .map((f) => `${endKey(f.from)} -> ${endKey(f.to)}:${f.port}`);
        const servers = ["server-1", "server-2", "server-3", "server-4"];
        assert.deepEqual(flows, [
            ...servers.flatMap((s) => ["server-3", "server-4"].map((p) => `${p}-prometheus -> ${s}-node-exporter:${PORTS.nodeExporter}`)),
            ...["server-3", "server-4"].flatMap((p) => [
                `${p}-prometheus -> ${p}-blackbox-exporter:${PORTS.blackboxExporter}`,
                `${p}-blackbox-exporter -> server-3-haproxy:443`,
                `${p}-blackbox-exporter -> server-4-haproxy:443`,
            ]),
        ]);
    });
});

describe("host and probe signals: docker", () => {
    it("each node exporter mounts its server's data volumes read-only, and listens on the monitoring network", async () => {
        const run = await runDev();
        const volumesOf = (name: string) =>
            (container(run, name).inputs.volumes as Array<{ volumeName: string; containerPath: string; readOnly?: boolean }>).map(
                (v) => `${v.volumeName} ${v.containerPath}${v.readOnly ? " ro" : ""}`,
            );
        assert.deepEqual(volumesOf("foobar-dev-server-1-node-exporter"), [
            "foobar-dev-server-1-mariadb-replica-data /srv/volumes/mariadb-replica ro",
        ]);
        assert.deepEqual(volumesOf("foobar-dev-server-3-node-exporter"), [
            "foobar-dev-server-3-mariadb-primary-data /srv/volumes/mariadb-primary ro",
            "foobar-dev-server-3-prometheus-data /srv/volumes/prometheus ro",
            "foobar-dev-server-3-alertmanager-data /srv/volumes/alertmanager ro",
        ]);
        const exporter = container(run, "foobar-dev-server-3-node-exporter");
        const address = (exporter.inputs.networksAdvanced as Array<{ name: string; ipv4Address: string }>).map(
            (n) => `${n.name} ${n.ipv4Address}`,
        );
        assert.deepEqual(address, ["foobar-dev-metrics 10.77.3.53"]);
        assert.match(upload(exporter, NODE_EXPORTER_DEFAULTS_PATH), /--web.listen-address=10\.77\.3\.53:9100 /);
    });

    it("the blackbox exporter finds the site's name at the front address and trusts the site's certificate; Prometheus probes through it", async () => {
        for (const [overrides, front] of [
            [{}, "10.77.0.2"],
            [PAIR, "10.77.0.254"],
        ] as const) {
            const run = await runDev(overrides);
            const prober = container(run, "foobar-dev-server-3-blackbox-exporter");
            assert.deepEqual(prober.inputs.hosts, [{ host: "www.foobar.com", ip: front }]);
            assert.match(upload(prober, BLACKBOX_SITE_CERTIFICATE_PATH), /^-----BEGIN CERTIFICATE-----/);
            const networks = (prober.inputs.networksAdvanced as Array<{ name: string }>).map((n) => n.name);
            assert.deepEqual(networks.sort(), ["foobar-dev-edge", "foobar-dev-metrics"]);
            const jobs = scrapeJobs(upload(container(run, "foobar-dev-server-3-prometheus"), PROMETHEUS_CONFIG_PATH));
            const blackbox = jobs.find((j) => j.job_name === "blackbox");
            assert.deepEqual(blackbox?.static_configs, [{ targets: ["https://www.foobar.com/healthz"], labels: { host: "server-3" } }]);
            assert.deepEqual(blackbox?.relabel_configs?.at(-1), { target_label: "__address__", replacement: "10.77.3.63:9115" });
            const node = jobs.find((j) => j.job_name === "node");
            assert.equal(node?.static_configs.length, overrides === PAIR ? 4 : 3);
            const rules = ruleNames(upload(container(run, "foobar-dev-server-3-prometheus"), PROMETHEUS_RULES_PATH));
            for (const alert of ["FoobarDiskAlmostFull", "FoobarMemoryPressure", "FoobarSiteUnreachable", "FoobarCertificateExpiresSoon"])
                assert.ok(rules.includes(alert), alert);
        }
    });
});

describe("host and probe signals: aws", () => {
    it("Prometheus reaches the node exporters (host group, 9100); the probe goes out on 443 like any visitor's", async () => {
        const run = await runStack("staging");
        const rules = sgRules(run, "foobar-staging");
        assert.deepEqual(
            rules.filter((r) => / 9100 | 9115 /.test(r)),
            ["egress lb 9100 sg:host", "ingress host 9100 sg:lb"],
        );
        assert.ok(!rules.some((r) => / 443 sg:lb/.test(r)), "no lb-to-lb 443 rule: the probe comes back through the front");
    });
});
