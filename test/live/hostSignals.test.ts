// The signals beyond HAProxy and the databases, on a running stack (issue 13): Prometheus scrapes a
// node exporter on every server, each app's own /metrics, each nginx's exporter and its blackbox
// probe of the public URL.
// Proven the hard way: a test fills a small tmpfs that server-1's node exporter watches until
// FoobarDiskAlmostFull fires (and frees it until it resolves); the stack's certificate is made
// valid for 10 days only, so FoobarCertificateExpiresSoon must fire, and the probe must report the
// expiry of exactly the certificate in the outputs.
import * as assert from "node:assert/strict";
import * as path from "path";
import { X509Certificate } from "crypto";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack, removeLeftovers } from "./capture";
import { DockerDeployer } from "./deployer";
import { docker } from "./docker";
import { waitFor } from "./poll";
import { Site, getHttps, siteOf, waitServing } from "./probes";
import { alerts, query, valuesByHost, waitTargetsUp, withLogin } from "./prometheusProbe";

const ROOT = path.join(__dirname, "..", "..");
const STACK = "signals";
const VALIDITY_DAYS = 10;
/** Its own ports and range: it may run while another stack's containers are still going away. */
const OVERRIDES = {
    "foobar:docker": { httpPort: 36080, httpsPort: 36443, prometheusPort: 36090, bindAddress: "127.0.0.1", subnet: "10.85.0.0/16" },
    "foobar:tls": { mode: "self-signed", validityDays: VALIDITY_DAYS },
};
/** The tmpfs the test fills, where server-1's node exporter sees it (beside its data volumes). */
const FILL = { container: "server-1-node-exporter", mountpoint: "/srv/volumes/fill", bytes: 16 * 1024 * 1024 };

/** The stack as registered, and one tmpfs more on server-1's node exporter: the disk the test fills. */
function withFillableDisk(resources: readonly RecordedResource[], name: string): RecordedResource[] {
    const target = `${name}-${FILL.container}`;
    assert.ok(
        resources.some((r) => r.type === TYPES.container && r.name === target),
        `no container ${target}`,
    );
    return resources.map((r) =>
        r.type === TYPES.container && r.name === target
            ? {
                  ...r,
                  inputs: { ...r.inputs, mounts: [{ type: "tmpfs", target: FILL.mountpoint, tmpfsOptions: { sizeBytes: FILL.bytes } }] },
              }
            : r,
    );
}

describe("live: host, app, nginx and probe signals", function () {
    const deployer = new DockerDeployer(ROOT);
    let captured: CapturedStack;
    let site: Site;
    let url: string;

    before(async function () {
        this.timeout(20 * 60_000);
        captured = await captureStack(STACK, OVERRIDES);
        await removeLeftovers(captured.name);
        const started = Date.now();
        await deployer.deploy(withFillableDisk(captured.resources, captured.name));
        site = siteOf(captured);
        await waitServing(site, ["server-1", "server-2"]);
        url = withLogin(captured.outputs.monitoringUrl, captured.outputs.monitoringPassword);
        console.log(`      deployed ${captured.resources.length} resources of stack ${STACK}, serving after ${Date.now() - started} ms`);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await deployer.destroy();
        if (captured) await removeLeftovers(captured.name);
    });

    it("scrapes a node exporter on every server, each app's /metrics, each nginx's exporter and the probe of the public URL, which succeeds", async function () {
        this.timeout(3 * 60_000);
        const up = await waitTargetsUp(url, ["node", "app", "nginx", "blackbox"], 90_000);
        const hosts = (job: string) =>
            up
                .filter((t) => t.job === job)
                .map((t) => t.host)
                .sort();
        assert.deepEqual(hosts("node"), ["server-1", "server-2", "server-3"]);
        assert.deepEqual(hosts("app"), ["server-1", "server-2"]);
        assert.deepEqual(hosts("nginx"), ["server-1", "server-2"]);
        // Each nginx exporter reads its nginx's stub_status.
        assert.deepEqual(await valuesByHost(url, 'nginx_up{job="nginx"}'), { "server-1": 1, "server-2": 1 });
        assert.deepEqual(hosts("blackbox"), ["server-3"]);
        assert.deepEqual(await valuesByHost(url, 'probe_success{job="blackbox"}'), { "server-3": 1 });
        // Each app counts its pages and where their totals were read: its replica.
        for (let i = 0; i < 20; i++) assert.equal((await getHttps(site)).status, 200);
        const pages = await waitFor("each app's page views in Prometheus", 60_000, async () => {
            const byHost = await valuesByHost(url, 'sum by (host) (foobar_app_http_requests_total{route="/",status="200"})');
            return Object.keys(byHost).length === 2 && Object.values(byHost).every((n) => n > 0) ? byHost : undefined;
        });
        const replicaReads = await valuesByHost(url, 'foobar_app_reads_total{source="replica"}');
        console.log(`      pages by app: ${JSON.stringify(pages)}; reads from the replica: ${JSON.stringify(replicaReads)}`);
        assert.ok(Object.values(replicaReads).reduce((a, b) => a + b, 0) > 0, "some page read its total from a replica");
        // The node exporter sees the data volumes (read-only) and the test's tmpfs, not Docker's bind mounts.
        const mounts = (await query(url, 'node_filesystem_size_bytes{host="server-1"}')).map((s) => s.labels.mountpoint).sort();
        assert.deepEqual(mounts, [FILL.mountpoint, "/srv/volumes/mariadb-replica"]);
    });

    it(`reports the expiry of the certificate in the outputs, and FoobarCertificateExpiresSoon fires for one valid ${VALIDITY_DAYS} days`, async function () {
        this.timeout(2 * 60_000);
        const leaf = new X509Certificate(captured.outputs.certificatePem);
        const expiresAt = Math.round(Date.parse(leaf.validTo) / 1000);
        const probed = await waitFor("the probe's certificate expiry", 60_000, async () => {
            const [sample] = await query(url, 'probe_ssl_earliest_cert_expiry{job="blackbox"}');
            return sample?.value;
        });
        console.log(`      probe: certificate expires ${new Date(probed * 1000).toISOString()}; outputs' certificatePem: ${leaf.validTo}`);
        assert.equal(probed, expiresAt);
        const firing = await waitFor("FoobarCertificateExpiresSoon firing", 60_000, async () => {
            const now = (await alerts(url)).filter((a) => a.state === "firing" && a.name === "FoobarCertificateExpiresSoon");
            return now.length > 0 ? now : undefined;
        });
        assert.deepEqual(
            firing.map((a) => [a.labels.instance, a.labels.severity]),
            [["https://www.foobar.com/healthz", "warning"]],
        );
    });

    it("fires FoobarDiskAlmostFull when the tmpfs a node exporter watches is over 85% full, and resolves it once freed", async function () {
        this.timeout(3 * 60_000);
        const exporter = `${captured.name}-${FILL.container}`;
        const diskAlerts = async () => (await alerts(url)).filter((a) => a.name === "FoobarDiskAlmostFull");
        assert.deepEqual(await diskAlerts(), [], "no disk alert before the fill");
        const filledAt = Date.now();
        // 15 of its 16 MiB: 94%.
        await docker([
            "exec",
            "-u",
            "root",
            exporter,
            "dd",
            "if=/dev/zero",
            `of=${FILL.mountpoint}/fill`,
            "bs=1M",
            "count=15",
            "status=none",
        ]);
        const firing = await waitFor("FoobarDiskAlmostFull firing", 90_000, async () => {
            const now = (await diskAlerts()).filter((a) => a.state === "firing");
            return now.length > 0 ? now : undefined;
        });
        const firedMs = Date.now() - filledAt;
        assert.deepEqual(
            firing.map((a) => [a.labels.host, a.labels.mountpoint, a.labels.severity]),
            [["server-1", FILL.mountpoint, "warning"]],
        );
        await docker(["exec", "-u", "root", exporter, "rm", `${FILL.mountpoint}/fill`]);
        const freedAt = Date.now();
        await waitFor("FoobarDiskAlmostFull resolved", 90_000, async () => ((await diskAlerts()).length === 0 ? true : undefined));
        console.log(`      FoobarDiskAlmostFull firing ${firedMs} ms after the fill, resolved ${Date.now() - freedAt} ms after the rm`);
    });
});
