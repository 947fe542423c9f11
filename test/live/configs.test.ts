// Every rendered config, exactly as the stack delivers it, checked by its real daemon in its image.
import * as assert from "node:assert/strict";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { alertRuleTests } from "./alertRuleCases";
import { captureStack } from "./capture";
import { DockerDeployer, runWithUploads } from "./deployer";
import { dockerRun, sleep } from "./docker";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

const VARIANTS: Record<string, Record<string, unknown>> = {
    dev: {},
    "one-web-server": { "foobar:webServers": 1, "foobar:database": { replicas: 1 } },
    "three-web-servers": { "foobar:webServers": 3, "foobar:database": { replicas: 3 } },
    "active-passive-leastconn": { "foobar:lb": { algorithm: "leastconn", mode: "active-passive" } },
    "load-balancer-pair": { "foobar:lb": { count: 2 } },
};

const serviceOf = (r: RecordedResource) =>
    r.inputs.labels.find((l: { label: string; value: string }) => l.label === "foobar.service").value as string;

async function sql(container: string, query: string): Promise<string> {
    const r = await dockerRun(["exec", container, "mariadb", "-N", "-B", "-e", query]);
    if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`);
    return r.stdout.trim();
}

async function startedMariadb(c: RecordedResource): Promise<string> {
    const { id } = await runWithUploads(c.inputs, undefined, true);
    for (let i = 0; i < 120; i++) {
        if ((await dockerRun(["exec", id, "mariadb-admin", "ping", "--silent"])).code === 0) return id;
        await sleep(250);
    }
    const logs = await dockerRun(["logs", id]);
    await dockerRun(["rm", "-f", "-v", id]);
    throw new Error(`mariadbd did not start on ${c.name}'s config:\n${logs.stdout}${logs.stderr}`);
}

describe("live: rendered configs pass their real daemons", function () {
    before(async function () {
        this.timeout(20 * 60_000);
        // The images the checks run in are the stack's own (a pair's stack registers every kind).
        const every = await captureStack("check-images", { "foobar:lb": { count: 2 } });
        const deployer = new DockerDeployer(ROOT);
        for (const image of every.resources.filter((r) => r.type === TYPES.image)) await deployer.buildImage(image);
    });

    for (const [variant, overrides] of Object.entries(VARIANTS)) {
        describe(variant, () => {
            let containers: RecordedResource[] = [];
            let primaryHost = "";
            const loadBalancers = () => containers.filter((r) => serviceOf(r) === "haproxy").length;
            before(async () => {
                const captured = await captureStack(`check-${variant}`, overrides);
                containers = captured.resources.filter((r) => r.type === TYPES.container);
                primaryHost = captured.outputs.databaseWriterEndpoint.split(":")[0];
            });
            // Users may connect from the data network only: its /24 as a MariaDB host pattern.
            const clientHost = () => `${primaryHost.split(".").slice(0, 3).join(".")}.%`;

            it("haproxy -c accepts each HAProxy's haproxy.cfg with the certificate bundle", async () => {
                const c = containers.filter((r) => serviceOf(r) === "haproxy");
                assert.equal(c.length, loadBalancers());
                for (const haproxy of c) {
                    const r = await runWithUploads(haproxy.inputs, ["haproxy", "-c", "-f", "/etc/haproxy/haproxy.cfg"], false);
                    assert.equal(r.code, 0, r.logs);
                    assert.match(r.logs, /Configuration file is valid/);
                }
            });

            it("keepalived --config-test accepts each keepalived.conf of a pair (none for one HAProxy)", async () => {
                const c = containers.filter((r) => serviceOf(r) === "keepalived");
                assert.equal(c.length, loadBalancers() > 1 ? loadBalancers() : 0);
                for (const keepalived of c) {
                    // The interface line the image's start script writes (images/keepalived/start.sh),
                    // naming an interface that exists: the check runs on Docker's default bridge.
                    // keepalived's config test always ends killed by SIGTERM (exit 143), so what it
                    // found is what it printed: an unknown keyword, a bad value, a missing interface.
                    const check =
                        'mkdir -p /run/keepalived && echo "\\$EDGE_INTERFACE=eth0" > /run/keepalived/interface.conf && keepalived --config-test 2>&1';
                    const r = await runWithUploads(keepalived.inputs, ["sh", "-c", check], false, "bridge");
                    assert.equal(
                        r.logs.replace(/^Terminated\n?/m, "").trim(),
                        "",
                        `keepalived --config-test on ${keepalived.name}:\n${r.logs}`,
                    );
                }
            });

            it("nginx -t accepts every web server's nginx.conf", async () => {
                const nginx = containers.filter((r) => serviceOf(r) === "nginx");
                assert.ok(nginx.length >= 1);
                for (const c of nginx) {
                    const r = await runWithUploads(c.inputs, ["nginx", "-t"], false);
                    assert.equal(r.code, 0, r.logs);
                    assert.match(r.logs, /test is successful/);
                }
            });

            it("a real mariadbd starts on the primary's config and bootstrap", async () => {
                const primary = containers.find((r) => serviceOf(r) === "mariadb-primary") as RecordedResource;
                const id = await startedMariadb(primary);
                try {
                    const replicas = containers.filter((r) => serviceOf(r) === "mariadb-replica").length;
                    assert.equal(
                        await sql(
                            id,
                            "SELECT @@server_id, @@read_only, @@log_bin, @@gtid_strict_mode, @@sync_binlog, @@rpl_semi_sync_master_enabled",
                        ),
                        `1\t0\t1\t1\t1\t${replicas > 0 ? 1 : 0}`,
                    );
                    const grants = await sql(
                        id,
                        "SELECT CONCAT(user, '@', host) FROM mysql.user WHERE user IN ('app', 'replicator') ORDER BY user",
                    );
                    assert.equal(grants, `app@${clientHost()}\nreplicator@${clientHost()}`);
                    assert.match(await sql(id, `SHOW GRANTS FOR 'app'@'${clientHost()}'`), /GRANT SELECT, INSERT ON `foobar`\.`visits`/);
                    assert.equal(await sql(id, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'foobar'"), "2");
                } finally {
                    await dockerRun(["rm", "-f", "-v", id]);
                }
            });

            it("a real mariadbd starts on each replica's config, read-only and set to replicate by GTID", async () => {
                for (const replica of containers.filter((r) => serviceOf(r) === "mariadb-replica")) {
                    const id = await startedMariadb(replica);
                    try {
                        assert.equal(await sql(id, "SELECT @@read_only, @@log_slave_updates, @@gtid_strict_mode"), "1\t1\t1");
                        // Vertical output: one "Field: value" a line.
                        const status = (await dockerRun(["exec", id, "mariadb", "-E", "-e", "SHOW SLAVE STATUS"])).stdout;
                        assert.match(status, new RegExp(`Master_Host: ${primaryHost.replace(/\./g, "\\.")}\n`));
                        assert.match(status, /Using_Gtid: Slave_Pos/);
                    } finally {
                        await dockerRun(["rm", "-f", "-v", id]);
                    }
                }
            });

            it("promtool accepts each Prometheus's prometheus.yml and the alert rules it loads", async () => {
                const c = containers.filter((r) => serviceOf(r) === "prometheus");
                assert.equal(c.length, loadBalancers());
                const r = await runWithUploads(c[0].inputs, ["promtool", "check", "config", "/etc/prometheus/prometheus.yml"], false);
                assert.equal(r.code, 0, r.logs);
                assert.match(r.logs, /SUCCESS: 1 rule files found/);
                // 5 from HAProxy's view (6 with a pair: no standby left); 4 more from the mysqld
                // exporters where the databases are ours, and the semi-sync one where the primary has replicas.
                const databases = containers.some((x) => serviceOf(x) === "mysqld-exporter");
                const replicas = containers.some((x) => serviceOf(x) === "mariadb-replica");
                const rules = (loadBalancers() > 1 ? 6 : 5) + (databases ? (replicas ? 5 : 4) : 0);
                assert.match(r.logs, new RegExp(`SUCCESS: ${rules} rules found`));
                // Both of a pair scrape the same targets and evaluate the same rules.
                for (const other of c.slice(1)) assert.deepEqual(other.inputs.uploads, c[0].inputs.uploads);
                // The login every endpoint asks for.
                const web = await runWithUploads(c[0].inputs, ["promtool", "check", "web-config", "/etc/prometheus/web.yml"], false);
                assert.equal(web.code, 0, web.logs);
                assert.match(web.logs, /SUCCESS/);
            });
        });
    }

    for (const [stack, overrides, pair] of [
        ["check-alerts", {}, false],
        ["check-alerts-pair", { "foobar:lb": { count: 2 } }, true],
    ] as const) {
        it(`promtool's rule tests (${pair ? "a load-balancer pair" : "one load balancer"}): each alert fires when it should, and none while all is well`, async () => {
            const captured = await captureStack(stack, overrides);
            const prometheus = captured.resources.find(
                (r) => r.type === TYPES.container && serviceOf(r) === "prometheus",
            ) as RecordedResource;
            const tests = { file: "/tmp/foobar-alerts.test.yml", content: alertRuleTests(5, pair) };
            const inputs = { ...prometheus.inputs, uploads: [...prometheus.inputs.uploads, tests] };
            const r = await runWithUploads(inputs, ["promtool", "test", "rules", tests.file], false);
            assert.equal(r.code, 0, r.logs);
            assert.match(r.logs, /SUCCESS/);
        });
    }
});
