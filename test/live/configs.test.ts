// Every rendered config, exactly as the stack delivers it, checked by its real daemon in its image.
import * as assert from "node:assert/strict";
import { PROMETHEUS_CONFIG_PATH as PROMETHEUS_CONFIG, PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { alertRuleTests } from "./alertRuleCases";
import { captureStack } from "./capture";
import { DockerDeployer, runWithUploads } from "./deployer";
import { docker, dockerRun, sleep } from "./docker";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");

const VARIANTS: Record<string, Record<string, unknown>> = {
    dev: {},
    "one-web-server": { "foobar:webServers": 1, "foobar:database": { replicas: 1 } },
    "three-web-servers": { "foobar:webServers": 3, "foobar:database": { replicas: 3 } },
    "active-passive-leastconn": { "foobar:lb": { algorithm: "leastconn", mode: "active-passive" } },
    // With both receivers: a webhook (the config a secret upload) and e-mail with a login (its password apart).
    "load-balancer-pair": {
        "foobar:lb": { count: 2 },
        "foobar:monitoring": {
            alerts: {
                webhookUrl: "https://hooks.example.org/alertmanager/T0KEN",
                email: {
                    to: "oncall@example.org",
                    from: "alerts@foobar.com",
                    smarthost: "smtp.example.org:587",
                    username: "alerts",
                    password: "s3cret",
                },
            },
        },
    },
};
/** database.failover automatic: a Galera cluster of the primary and two replicas. */
const GALERA = { "foobar:database": { mode: "self-managed", replicas: 2, failover: "automatic" } };
/** A Galera node's state as its keepalived check and the alert rules read it. */
const GALERA_STATUS =
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_size', 'wsrep_cluster_status', 'wsrep_local_state', 'wsrep_ready')";

const serviceOf = (r: RecordedResource) =>
    r.inputs.labels.find((l: { label: string; value: string }) => l.label === "foobar.service").value as string;

async function sql(container: string, query: string): Promise<string> {
    const r = await dockerRun(["exec", container, "mariadb", "-N", "-B", "-e", query]);
    if (r.code !== 0) throw new Error(`${query}: ${r.stderr}`);
    return r.stdout.trim();
}

/** A mariadbd on the container's uploads; `args` go to mariadbd (a Galera node alone: --wsrep-new-cluster). */
async function startedMariadb(c: RecordedResource, args?: string[]): Promise<string> {
    const { id } = await runWithUploads(c.inputs, args, true);
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
                // exporters where the databases are ours, and the semi-sync one where the primary has
                // replicas; 4 from the node exporters, 2 from the probe, 1 from the Alertmanagers.
                const databases = containers.some((x) => serviceOf(x) === "mysqld-exporter");
                const replicas = containers.some((x) => serviceOf(x) === "mariadb-replica");
                const rules = (loadBalancers() > 1 ? 6 : 5) + (databases ? (replicas ? 5 : 4) : 0) + 7;
                assert.match(r.logs, new RegExp(`SUCCESS: ${rules} rules found`));
                // Both of a pair scrape the same targets and evaluate the same rules, but each its own
                // blackbox exporter (each probes the site from its own server).
                const file = (x: RecordedResource, path: string) =>
                    (x.inputs.uploads as Array<{ file: string; content: string }>).find((u) => u.file === path)?.content ?? "";
                const ownProbe = (text: string) =>
                    text
                        .replace(/replacement: [\d.]+:9115/, "replacement: <own>")
                        .replace(/host: server-\d+\n(\s+relabel)/, "host: <own>\n$1");
                for (const other of c.slice(1)) {
                    assert.equal(file(other, PROMETHEUS_RULES_PATH), file(c[0], PROMETHEUS_RULES_PATH));
                    assert.equal(ownProbe(file(other, PROMETHEUS_CONFIG)), ownProbe(file(c[0], PROMETHEUS_CONFIG)));
                }
                // The login every endpoint asks for.
                const web = await runWithUploads(c[0].inputs, ["promtool", "check", "web-config", "/etc/prometheus/web.yml"], false);
                assert.equal(web.code, 0, web.logs);
                assert.match(web.logs, /SUCCESS/);
            });

            it("amtool check-config accepts each Alertmanager's config (one per Prometheus)", async () => {
                const c = containers.filter((r) => serviceOf(r) === "alertmanager");
                assert.equal(c.length, loadBalancers());
                for (const am of c) {
                    const r = await runWithUploads(am.inputs, ["amtool", "check-config", "/etc/prometheus/alertmanager.yml"], false);
                    assert.equal(r.code, 0, r.logs);
                    assert.match(r.logs, /SUCCESS/);
                    assert.match(r.logs, /1 receivers/);
                    assert.match(r.logs, /1 inhibit rules/);
                }
            });

            it("the blackbox exporter accepts its module and the nginx and node exporters their flags, each in its image", async () => {
                const of = (kind: string) => containers.filter((r) => serviceOf(r) === kind);
                assert.equal(of("blackbox-exporter").length, loadBalancers());
                for (const b of of("blackbox-exporter")) {
                    const r = await runWithUploads(
                        b.inputs,
                        ["prometheus-blackbox-exporter", "--config.check", "--config.file=/etc/prometheus/blackbox.yml"],
                        false,
                    );
                    assert.equal(r.code, 0, r.logs);
                    assert.match(r.logs, /Config file is ok/);
                }
                // Their ARGS as the image's command reads them: an unknown flag would end them at once.
                const flags = (file: string, binary: string) => ["sh", "-c", `. ${file} && exec ${binary} $ARGS --help`];
                for (const n of of("nginx-exporter")) {
                    const r = await runWithUploads(
                        n.inputs,
                        flags("/etc/default/prometheus-nginx-exporter", "prometheus-nginx-exporter"),
                        false,
                    );
                    assert.equal(r.code, 0, r.logs);
                }
                for (const n of of("node-exporter")) {
                    const r = await runWithUploads(
                        n.inputs,
                        flags("/etc/default/prometheus-node-exporter", "prometheus-node-exporter"),
                        false,
                    );
                    assert.equal(r.code, 0, r.logs);
                }
            });
        });
    }

    galeraChecks();

    for (const [stack, overrides, pair, galera] of [
        ["check-alerts", {}, false, false],
        ["check-alerts-pair", { "foobar:lb": { count: 2 } }, true, false],
        ["check-alerts-galera", GALERA, false, true],
    ] as const) {
        const what = galera ? "a Galera cluster" : pair ? "a load-balancer pair" : "one load balancer";
        it(`promtool's rule tests (${what}): each alert fires when it should, and none while all is well`, async () => {
            const captured = await captureStack(stack, overrides);
            const prometheus = captured.resources.find(
                (r) => r.type === TYPES.container && serviceOf(r) === "prometheus",
            ) as RecordedResource;
            const shipped = prometheus.inputs.uploads.find((u: { file: string }) => u.file === PROMETHEUS_RULES_PATH).content as string;
            assert.equal(
                /alert: FoobarDatabaseNoWriter/.test(shipped),
                galera,
                `${stack}: the Galera rules are shipped exactly with Galera`,
            );
            const tests = { file: "/tmp/foobar-alerts.test.yml", content: alertRuleTests(5, pair, galera) };
            const inputs = { ...prometheus.inputs, uploads: [...prometheus.inputs.uploads, tests] };
            const r = await runWithUploads(inputs, ["promtool", "test", "rules", tests.file], false);
            assert.equal(r.code, 0, r.logs);
            assert.match(r.logs, /SUCCESS/);
        });
    }
});

/** database.failover automatic: each node's keepalived.conf and my.cnf, the scripts and the metrics the alerts read. */
function galeraChecks(): void {
    describe("galera (database.failover automatic)", () => {
        let nodes: RecordedResource[] = [];
        let prometheus: RecordedResource | undefined;
        before(async () => {
            const captured = await captureStack("check-galera", GALERA);
            const containers = captured.resources.filter((r) => r.type === TYPES.container);
            nodes = containers.filter((r) => serviceOf(r).startsWith("mariadb-"));
            prometheus = containers.find((r) => serviceOf(r) === "prometheus");
        });

        it("keepalived --config-test accepts each node's keepalived.conf (the write address, in the node's own image)", async () => {
            assert.equal(nodes.length, 3);
            for (const node of nodes) {
                // As images/mariadb/galera/start.sh writes it; the rest as for a pair's (above).
                const check =
                    'mkdir -p /run/keepalived && echo "\\$DATA_INTERFACE=eth0" > /run/keepalived/data-interface.conf && keepalived --config-test 2>&1';
                const r = await runWithUploads(node.inputs, ["sh", "-c", check], false, "bridge");
                assert.equal(r.logs.replace(/^Terminated\n?/m, "").trim(), "", `keepalived --config-test on ${node.name}:\n${r.logs}`);
            }
        });

        it("a real mariadbd starts on each node's my.cnf as a cluster of one; the bootstrap SQL, the check and the role script work", async () => {
            for (const node of nodes) {
                const server = node.inputs.labels.find((l: { label: string }) => l.label === "foobar.server").value as string;
                const id = await startedMariadb(node, ["--wsrep-new-cluster"]);
                try {
                    assert.equal(
                        await sql(
                            id,
                            "SELECT @@wsrep_on, @@read_only, @@wsrep_sync_wait, @@innodb_autoinc_lock_mode, @@wsrep_node_name, @@init_file IS NULL",
                        ),
                        `1\t1\t1\t2\t${server}\t1`,
                    );
                    assert.deepEqual((await sql(id, GALERA_STATUS)).split("\n").sort(), [
                        "wsrep_cluster_size\t1",
                        "wsrep_cluster_status\tPrimary",
                        "wsrep_local_state\t4",
                        "wsrep_ready\tON",
                    ]);
                    const options = (await sql(id, "SELECT @@wsrep_provider_options")).split("; ");
                    // Group traffic over TLS with the node's certificate, and the timeouts the failover relies on.
                    for (const option of [
                        "gmcast.listen_addr = ssl://0.0.0.0:4567",
                        "socket.ssl = YES",
                        "socket.ssl_cert = /etc/mysql/foobar/server-cert.pem",
                        "socket.ssl_ca = /etc/foobar/db-ca.pem",
                        "evs.suspect_timeout = PT3S",
                        "evs.inactive_timeout = PT6S",
                        "pc.recovery = true",
                        "gcache.size = 256M",
                    ]) {
                        assert.ok(options.includes(option), `${node.name}: no ${option} in ${options.join("; ")}`);
                    }
                    // No init_file: the node's start script applies the bootstrap SQL once it is synced.
                    assert.equal(await sql(id, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'foobar'"), "0");
                    assert.equal((await dockerRun(["exec", id, "sh", "-c", "mariadb < /etc/mysql/foobar/bootstrap.sql"])).code, 0);
                    assert.equal(await sql(id, "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema = 'foobar'"), "2");
                    // keepalived runs the check as nobody, who logs in through the socket (unix_socket).
                    const check = await dockerRun(["exec", "-u", "nobody", id, "foobar-galera-check"]);
                    assert.equal(check.code, 0, check.stderr);
                    for (const [state, readOnly] of [
                        ["MASTER", "0"],
                        ["BACKUP", "1"],
                        ["FAULT", "1"],
                    ]) {
                        const role = await dockerRun(["exec", id, "foobar-galera-role", "INSTANCE", "database", state, "150"]);
                        assert.equal(role.code, 0, role.stderr);
                        assert.equal(await sql(id, "SELECT @@read_only"), readOnly, `${node.name} after ${state}`);
                    }
                } finally {
                    await dockerRun(["rm", "-f", "-v", id]);
                }
            }
        });

        it("Debian's mysqld exporter reports on a real node the series the Galera rules read, with these values", async () => {
            const id = await startedMariadb(nodes[0], ["--wsrep-new-cluster"]);
            try {
                // The exporter package of the exporter image is in the base image too: run it beside the
                // server, over the socket as root (the rules read names and values, not the login).
                await docker([
                    "exec",
                    "-d",
                    "-e",
                    "DATA_SOURCE_NAME=root@unix(/run/mysqld/mysqld.sock)/",
                    id,
                    "prometheus-mysqld-exporter",
                    "--web.listen-address=127.0.0.1:9104",
                ]);
                const metrics = async () => {
                    for (let i = 0; i < 40; i++) {
                        const r = await dockerRun(["exec", id, "curl", "-fsS", "http://127.0.0.1:9104/metrics"]);
                        if (r.code === 0)
                            return r.stdout
                                .split("\n")
                                .filter((l) =>
                                    /^mysql_(up|global_status_wsrep_(cluster_size|cluster_status|local_state|ready)|global_variables_read_only) /.test(
                                        l,
                                    ),
                                );
                        await sleep(250);
                    }
                    throw new Error("the exporter did not answer");
                };
                const expected = (readOnly: number) => [
                    "mysql_global_status_wsrep_cluster_size 1",
                    "mysql_global_status_wsrep_cluster_status 1",
                    "mysql_global_status_wsrep_local_state 4",
                    "mysql_global_status_wsrep_ready 1",
                    `mysql_global_variables_read_only ${readOnly}`,
                    "mysql_up 1",
                ];
                assert.deepEqual((await metrics()).sort(), expected(1));
                assert.equal((await dockerRun(["exec", id, "foobar-galera-role", "INSTANCE", "database", "MASTER", "150"])).code, 0);
                assert.deepEqual((await metrics()).sort(), expected(0));
            } finally {
                await dockerRun(["rm", "-f", "-v", id]);
            }
        });

        it("promtool accepts prometheus.yml, every exporter's target labelled role node, and the Galera rules in place of replication's", async () => {
            assert.ok(prometheus);
            const config = prometheus.inputs.uploads.find((u: { file: string }) => u.file === "/etc/prometheus/prometheus.yml")
                .content as string;
            assert.deepEqual(config.match(/role: \w+/g), ["role: node", "role: node", "role: node"], "Galera nodes' targets are role node");
            const r = await runWithUploads(prometheus.inputs, ["promtool", "check", "config", "/etc/prometheus/prometheus.yml"], false);
            assert.equal(r.code, 0, r.logs);
            // 5 from HAProxy's view, 7 from the Galera nodes' exporters, 7 from the node exporters, the probe and the Alertmanager.
            assert.match(r.logs, /SUCCESS: 19 rules found/);
        });
    });
}
