// The live suite: deploys what the dev stack registers to the real Docker engine and probes the site.
import * as assert from "node:assert/strict";
import * as path from "path";
import { CapturedStack, captureStack, removeLeftovers } from "./capture";
import { SLAVE_STATUS_LABELS } from "./databaseAlertCases";
import { login, maxVisitId, passwordOf, sql, visitIdsAfter } from "./databaseProbes";
import { DockerDeployer } from "./deployer";
import { docker, dockerRun, sleep } from "./docker";
import { keepAliveClients } from "./keepAliveClients";
import { checkReadYourWrites } from "./readYourWrites";
import { waitFor } from "./poll";
import { alerts, alertsButUnsyncedClock, query, valuesByHost, waitTargetsUp, withLogin } from "./prometheusProbe";
import {
    Site,
    canConnect,
    execIn,
    getHttp,
    getHttps,
    labelledContainers,
    requestLoop,
    siteOf,
    visitLag,
    waitBackend,
    waitOnlyFrom,
    waitReadingFromReplica,
    waitReplicating,
    waitServing,
} from "./probes";

const ROOT = path.join(__dirname, "..", "..");

function webServers(captured: CapturedStack): string[] {
    return captured.outputs.servers.filter((s) => s.role === "web").map((s) => s.name);
}

function addressOf(captured: CapturedStack, service: string, network: string): string {
    const found = captured.outputs.servers.flatMap((s) => s.services).find((s) => s.service === service);
    const address = found?.addresses[network];
    if (!address) throw new Error(`${service} has no address on ${network}`);
    return address;
}

/** HAProxy's container name and its internal stats address. */
function haproxyOf(captured: CapturedStack): [string, string] {
    const lb = captured.outputs.servers.find((s) => s.role === "lb-db")?.name;
    return [`${captured.name}-${lb}-haproxy`, addressOf(captured, `${lb}-haproxy`, "metrics")];
}

const allUp = (servers: readonly string[]) => Object.fromEntries(servers.map((s) => [s, "UP"]));

/** Deploys a captured stack for the duration of a describe block; removes it afterwards, on failure too. */
function deployed(stack: string, overrides: Record<string, unknown> = {}, active?: readonly string[]) {
    const state = { captured: undefined as unknown as CapturedStack, site: undefined as unknown as Site };
    const deployer = new DockerDeployer(ROOT);
    before(async function () {
        this.timeout(20 * 60_000);
        state.captured = await captureStack(stack, overrides);
        await removeLeftovers(state.captured.name);
        const started = Date.now();
        await deployer.deploy(state.captured.resources);
        state.site = siteOf(state.captured);
        const [haproxy, stats] = haproxyOf(state.captured);
        await waitBackend(haproxy, stats, allUp(webServers(state.captured)), 90_000);
        await waitServing(state.site, active ?? webServers(state.captured));
        const replicas = await labelledContainers(state.captured.name, ["foobar.service", "mariadb-replica"]);
        if (replicas.length > 0) {
            await waitReplicating(replicas, 60_000);
            // With any replica, every web server's app reads from one (topology.ts spreads them).
            await waitReadingFromReplica(state.site, active ?? webServers(state.captured), 30_000);
        }
        console.log(
            `      deployed ${state.captured.resources.length} resources of stack ${stack}, serving after ${Date.now() - started} ms`,
        );
    });
    after(async function () {
        this.timeout(5 * 60_000);
        await deployer.destroy();
        if (state.captured) await removeLeftovers(state.captured.name);
    });
    return state;
}

/**
 * Stops a server's containers during a request loop, waits until HAProxy has taken it out and only
 * the others answer, then starts them and waits until it answers again. Returns what the loop saw.
 */
async function failoverRound(captured: CapturedStack, site: Site, server: string, others: readonly string[]) {
    const [haproxy, stats] = haproxyOf(captured);
    const containers = await labelledContainers(captured.name, ["foobar.server", server]);
    assert.ok(containers.length >= 2, `expected ${server}'s containers, found ${containers.join(", ")}`);
    const loop = requestLoop(site);
    await sleep(1500);
    const stopped = Date.now();
    await docker(["stop", ...containers]);
    await waitBackend(haproxy, stats, { [server]: "DOWN" }, 30_000);
    const downAfterMs = Date.now() - stopped;
    await waitOnlyFrom(site, others, 10_000);
    await docker(["start", ...containers]);
    const started = Date.now();
    await waitBackend(haproxy, stats, { [server]: "UP" }, 60_000);
    await waitServing(site, [server], 30_000);
    const backAfterMs = Date.now() - started;
    await sleep(1000);
    const result = { ...(await loop.stop()), downAfterMs, backAfterMs };
    if (result.failures.length > 0) {
        // HAProxy's log says which server and which termination state each failure had.
        const logs = await dockerRun(["logs", "--since", `${Math.ceil((Date.now() - stopped) / 1000) + 5}s`, haproxy]);
        const unusual = `${logs.stdout}${logs.stderr}`.split("\n").filter((l) => l.includes("www") && !/ 200 \d+ - - ---- /.test(l));
        console.log(`      HAProxy log lines of unusual requests:\n${unusual.slice(0, 20).join("\n")}`);
    }
    return result;
}

describe("live: the dev stack on the local Docker engine", function () {
    const dev = deployed("dev");

    it("serves HTTPS that verifies against the CA certificate from the outputs", async () => {
        const r = await getHttps(dev.site);
        assert.equal(r.status, 200);
        assert.match(r.body, /<title>www\.foobar\.com<\/title>/);
        assert.equal(r.headers["strict-transport-security"], "max-age=63072000");
        await assert.rejects(getHttps(dev.site, "/", { ca: null }), /self[- ]signed|unable to (get|verify)/i);
    });

    it("redirects HTTP to HTTPS on the published port", async () => {
        const r = await getHttp(dev.site, "/some/page?x=1");
        assert.equal(r.status, 301);
        assert.equal(r.headers.location, `https://${dev.site.domain}:${dev.site.httpsPort}/some/page?x=1`);
    });

    it("serves static assets from nginx, not the app", async () => {
        const r = await getHttps(dev.site, "/static/style.css");
        assert.equal(r.status, 200);
        assert.match(String(r.headers["content-type"]), /text\/css/);
        assert.equal(r.headers["x-served-by"], undefined, "the app would have set X-Served-By");
        assert.match(String(r.headers["x-web-server"]), /^server-\d$/);
    });

    it("spreads successive requests round-robin over the web servers", async () => {
        const servers = webServers(dev.captured);
        const order: string[] = [];
        for (let i = 0; i < servers.length * 5; i++) order.push(String((await getHttps(dev.site)).headers["x-served-by"]));
        for (const s of servers) assert.equal(order.filter((o) => o === s).length, 5, `order: ${order.join(" ")}`);
        for (let i = 1; i < order.length; i++) assert.notEqual(order[i], order[i - 1], `order: ${order.join(" ")}`);
    });

    it("records every visit on the primary and shows it on every replica within 2 s", async () => {
        const r = await getHttps(dev.site);
        const id = Number(r.headers["x-visit-id"]);
        assert.ok(id > 0, `X-Visit-Id ${r.headers["x-visit-id"]}`);
        const replicas = dev.captured.outputs.databaseReaderEndpoints.length;
        assert.equal(replicas, 2);
        const lag = await visitLag(await labelledContainers(dev.captured.name, ["foobar.service", "mariadb-replica"]), id, 2000);
        assert.equal(lag.length, replicas);
        console.log(`      visit ${id} on ${lag.length} replicas after ${Math.max(...lag)} ms (docker exec included)`);
    });

    it("shows on every page a total that includes that page's own visit, over 200 consecutive visits", async () => {
        const r = await checkReadYourWrites(dev.site, { visits: 200 });
        console.log(
            `      read-your-writes: ${r.visits} pages, ${r.fromReplica} totals from a replica, ${r.fromPrimary} from the primary, ` +
                `served by ${JSON.stringify([...r.servedBy])}`,
        );
        // Both web servers answered, and the replicas answered most totals (the primary is the fallback).
        assert.equal(r.servedBy.size, 2);
        assert.ok(r.fromReplica >= r.visits / 2, `only ${r.fromReplica} of ${r.visits} totals came from a replica`);
    });

    it("records one visit per request id, however often a request is replayed", async () => {
        const primary = `${dev.captured.name}-server-3-mariadb-primary`;
        const nginx = `${dev.captured.name}-server-1-nginx`;
        const app = addressOf(dev.captured, "server-1-app", "server-1");
        const id = `live-replay-${Date.now()}`;
        // As HAProxy replays a request on another server: the same X-Request-Id, straight to an app.
        const ask = async () => {
            const headers = await execIn(nginx, [
                "curl",
                "-fsS",
                "-o",
                "/dev/null",
                "-D",
                "-",
                "-H",
                `X-Request-Id: ${id}`,
                `http://${app}:3000/`,
            ]);
            return Number(/^x-visit-id: (\d+)/im.exec(headers)?.[1]);
        };
        const before = await maxVisitId(primary);
        const first = await ask();
        assert.equal(await ask(), first, "the replay answers with the visit it already recorded");
        assert.deepEqual(await visitIdsAfter(primary, before), [first]);
        assert.equal(await sql(primary, `SELECT request_id FROM foobar.visits WHERE id = ${first}`), id);
    });

    it("adds the request id to a visits table made before it, at the next start of the bootstrap", async () => {
        const primary = `${dev.captured.name}-server-3-mariadb-primary`;
        const column =
            "SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = 'foobar' AND table_name = 'visits' AND column_name = 'request_id'";
        await sql(primary, "ALTER TABLE foobar.visits DROP KEY request_id, DROP COLUMN request_id");
        assert.equal(await sql(primary, column), "0");
        // What init_file runs at every start, run again as it is.
        await execIn(primary, ["sh", "-c", "mariadb < /etc/mysql/foobar/bootstrap.sql"]);
        assert.equal(await sql(primary, column), "1");
        assert.match(await sql(primary, "SHOW CREATE TABLE foobar.visits"), /UNIQUE KEY `request_id` \(`request_id`\)/);
        // The change replicates like any other.
        await waitFor("the column on server-1's replica", 10_000, async () =>
            (await sql(`${dev.captured.name}-server-1-mariadb-replica`, column)) === "1" ? true : undefined,
        );
    });

    it("speaks TLS only to its databases, each verified for the address its clients use", async () => {
        const name = dev.captured.name;
        const primaryIp = addressOf(dev.captured, "server-3-mariadb-primary", "data");
        const replica = `${name}-server-1-mariadb-replica`;
        const password = passwordOf(dev.captured, "db-replication-password");
        const verified = ["--ssl-ca=/etc/foobar/db-ca.pem", "--ssl-verify-server-cert"];
        const ok = await login(replica, primaryIp, "replicator", password, verified);
        assert.equal(ok.code, 0, ok.output);
        assert.match(ok.output, /^Ssl_version\tTLSv1\.[23]$/m);
        // Without TLS the server refuses, whoever asks.
        const plain = await login(replica, primaryIp, "replicator", password, ["--skip-ssl"]);
        assert.notEqual(plain.code, 0, plain.output);
        assert.match(plain.output, /insecure transport are prohibited|Access denied/);
        // A name the certificate does not hold (Docker's DNS name of the same server) fails verification:
        // a client never talks to an impostor that holds a certificate of the same CA for another address.
        const elsewhere = await login(replica, `${name}-server-3-mariadb-primary`, "replicator", password, verified);
        assert.notEqual(elsewhere.code, 0, elsewhere.output);
        assert.match(elsewhere.output, /certificate|SSL/i);
        // Replication, the app and the exporters log in over TLS only.
        const status = await execIn(replica, ["mariadb", "-e", "SHOW SLAVE STATUS\\G"]);
        assert.match(status, /Master_SSL_Allowed: Yes/);
        assert.match(status, /Master_SSL_Verify_Server_Cert: Yes/);
        for (const user of ["app", "replicator", "foobar_monitor"]) {
            const grants = await sql(`${name}-server-3-mariadb-primary`, `SHOW GRANTS FOR '${user}'@'10.77.2.%'`);
            assert.match(grants, /REQUIRE SSL/, user);
        }
    });

    it("reads counts from a replica and falls back to the primary while it is down", async () => {
        const replica = `${dev.captured.name}-server-1-mariadb-replica`;
        const fromServer1 = async () => {
            // Round-robin over two servers: server-1 answers within a few requests.
            for (let i = 0; i < 20; i++) {
                const r = await getHttps(dev.site);
                if (r.headers["x-served-by"] === "server-1") return r;
            }
            throw new Error("server-1 answered none of 20 requests");
        };
        assert.equal((await fromServer1()).headers["x-read-from"], "replica");
        await docker(["stop", replica]);
        try {
            const r = await fromServer1();
            assert.equal(r.status, 200);
            assert.equal(r.headers["x-read-from"], "primary");
        } finally {
            await docker(["start", replica]);
        }
    });

    it("serves stats and Prometheus metrics on the monitoring network only", async () => {
        const haproxy = `${dev.captured.name}-server-3-haproxy`;
        const monitoring = addressOf(dev.captured, "server-3-haproxy", "metrics");
        const metrics = await execIn(haproxy, ["curl", "-fsS", `http://${monitoring}:8404/metrics`]);
        assert.match(metrics, /^haproxy_backend_active_servers\{proxy="web"\} 2$/m);
        for (const network of ["edge", "web"]) {
            const address = addressOf(dev.captured, "server-3-haproxy", network);
            const other = await docker(["exec", haproxy, "curl", "-sS", "-m", "2", `http://${address}:8404/metrics`]).catch((e) =>
                String(e),
            );
            assert.match(other, /Connection refused|Failed to connect/, network);
        }
        const published = await docker(["port", haproxy]);
        assert.deepEqual(published.trim().split("\n").sort(), ["443/tcp -> 127.0.0.1:8443", "80/tcp -> 127.0.0.1:8080"]);
    });

    it("keeps the database and app ports out of reach from outside the stack's networks", async () => {
        const image = "foobar-infra/app:local";
        const targets = [
            [addressOf(dev.captured, "server-3-mariadb-primary", "data"), 3306],
            [addressOf(dev.captured, "server-1-mariadb-replica", "data"), 3306],
            [addressOf(dev.captured, "server-1-app", "server-1"), 3000],
            [addressOf(dev.captured, "server-1-app", "data"), 3000],
            [addressOf(dev.captured, "server-1-nginx", "web"), 80],
        ] as const;
        // The same probe on the stack's data network reaches the primary: the probe itself works.
        assert.equal(await canConnect(image, `${dev.captured.name}-data`, targets[0][0], 3306), true);
        for (const [host, port] of targets) {
            assert.equal(await canConnect(image, "bridge", host, port), false, `${host}:${port} reachable from the default bridge`);
        }
        assert.equal(
            await canConnect(image, `${dev.captured.name}-edge`, targets[0][0], 3306),
            false,
            "primary reachable from the edge network",
        );
        // One web server's own network does not reach another's app (stands for its loopback).
        const app2 = addressOf(dev.captured, "server-2-app", "server-2");
        assert.equal(
            await canConnect(image, `${dev.captured.name}-server-1`, app2, 3000),
            false,
            "server-2's app reachable from server-1's network",
        );
    });

    it("monitors HAProxy and every database with Prometheus, published on loopback only", async function () {
        this.timeout(2 * 60_000);
        assert.equal(dev.captured.outputs.monitoringUrl, "http://127.0.0.1:9090/");
        // Without the operator's password, Prometheus answers nothing.
        const edge = addressOf(dev.captured, "server-3-prometheus", "edge");
        const haproxy = `${dev.captured.name}-server-3-haproxy`;
        const anonymous = await docker([
            "exec",
            haproxy,
            "curl",
            "-s",
            "-o",
            "/dev/null",
            "-w",
            "%{http_code}",
            `http://${edge}:9090/api/v1/targets`,
        ]);
        assert.equal(anonymous.trim(), "401");
        const url = withLogin(dev.captured.outputs.monitoringUrl, dev.captured.outputs.monitoringPassword);
        const up = await waitTargetsUp(url, ["haproxy", "mysqld", "prometheus"], 60_000);
        const stats = addressOf(dev.captured, "server-3-haproxy", "metrics");
        assert.ok(up.some((t) => t.job === "haproxy" && t.scrapeUrl === `http://${stats}:8404/metrics`));
        // Each database's exporter, scraped over the metrics network, logs in and reads its status.
        const exporters = up
            .filter((t) => t.job === "mysqld")
            .map((t) => [t.host, t.scrapeUrl])
            .sort();
        assert.deepEqual(
            exporters,
            ["server-1", "server-2", "server-3"].map((s) => [
                s,
                `http://${addressOf(dev.captured, `${s}-mysqld-exporter`, "metrics")}:9104/metrics`,
            ]),
        );
        const byHost = (promql: string) => valuesByHost(url, promql);
        await waitFor("every database answering its exporter", 30_000, async () =>
            Object.keys(await byHost("mysql_up == 1")).length === 3 ? true : undefined,
        );
        assert.deepEqual(await byHost("mysql_up"), { "server-1": 1, "server-2": 1, "server-3": 1 });
        assert.deepEqual(await byHost("mysql_slave_status_slave_io_running"), { "server-1": 1, "server-2": 1 });
        assert.deepEqual(await byHost("mysql_slave_status_slave_sql_running"), { "server-1": 1, "server-2": 1 });
        assert.deepEqual(await byHost("mysql_slave_status_seconds_behind_master"), { "server-1": 0, "server-2": 0 });
        // The primary waits for a replica (FoobarSemiSyncOff watches this), before its commit is visible.
        assert.deepEqual(await byHost(`mysql_global_status_rpl_semi_sync_master_status{role="primary"}`), { "server-3": 1 });
        // The promtool cases (databaseAlertCases.ts) give these series the labels they really have.
        const target = ["__name__", "job", "instance", "host", "role"];
        for (const sample of await query(url, "mysql_slave_status_slave_io_running")) {
            const own = Object.entries(sample.labels).filter(([k]) => !target.includes(k));
            assert.deepEqual(Object.fromEntries(own), SLAVE_STATUS_LABELS);
        }
        // The exporter's user may read status, not data.
        const login = `${dev.captured.name}-server-3-mariadb-primary`;
        const grants = await execIn(login, ["mariadb", "-N", "-B", "-e", "SHOW GRANTS FOR 'foobar_monitor'@'10.77.2.%'"]);
        assert.match(grants, /^GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON \*\.\* TO `foobar_monitor`@`10\.77\.2\.%`/);
        assert.doesNotMatch(grants, /SELECT|INSERT|UPDATE|ALL PRIVILEGES/);
        const semiSync = await execIn(login, [
            "mariadb",
            "-N",
            "-B",
            "-e",
            "SELECT @@rpl_semi_sync_master_enabled, @@rpl_semi_sync_master_wait_point, @@rpl_semi_sync_master_timeout",
        ]);
        assert.equal(semiSync.trim(), "1\tAFTER_SYNC\t1000");
        const prometheus = `${dev.captured.name}-server-3-prometheus`;
        assert.deepEqual((await docker(["port", prometheus])).trim().split("\n"), ["9090/tcp -> 127.0.0.1:9090"]);
        assert.deepEqual(await alertsButUnsyncedClock(url), [], "no alert while all is well");
    });

    it("alerts while server-1 is down: its web server and its replica, nothing else", async function () {
        this.timeout(3 * 60_000);
        const url = withLogin(dev.captured.outputs.monitoringUrl, dev.captured.outputs.monitoringPassword);
        const containers = await labelledContainers(dev.captured.name, ["foobar.server", "server-1"]);
        const stopped = Date.now();
        await docker(["stop", ...containers]);
        const expected = ["FoobarReplicaDatabaseDown", "FoobarWebServerDown"];
        try {
            const firing = await waitFor(`${expected.join(" and ")} firing for server-1`, 90_000, async () => {
                const now = (await alerts(url)).filter((a) => a.state === "firing");
                return expected.every((name) => now.some((a) => a.name === name)) ? now : undefined;
            });
            console.log(`      ${expected.join(" and ")} firing ${Date.now() - stopped} ms after docker stop began`);
            const web = firing.find((a) => a.name === "FoobarWebServerDown");
            assert.deepEqual([web?.labels.server, web?.labels.severity], ["server-1", "warning"]);
            assert.equal(web?.labels.site, undefined, "external labels go to Alertmanager, not onto alerts in the API");
            const db = firing.find((a) => a.name === "FoobarReplicaDatabaseDown");
            assert.deepEqual([db?.labels.host, db?.labels.role, db?.labels.severity], ["server-1", "replica", "warning"]);
            const others = (await alertsButUnsyncedClock(url)).filter((a) => !expected.includes(a.name));
            assert.deepEqual(others, [], "one web server down: the site and the other databases are fine");
        } finally {
            await docker(["start", ...containers]);
        }
        const started = Date.now();
        await waitFor("the alerts resolved", 90_000, async () => ((await alertsButUnsyncedClock(url)).length === 0 ? true : undefined));
        console.log(`      resolved ${Date.now() - started} ms after docker start`);
        await waitServing(dev.site, ["server-1", "server-2"], 60_000);
    });

    it("loses no request when server-1 stops, and gives it traffic again when it starts", async () => {
        const result = await failoverRound(dev.captured, dev.site, "server-1", ["server-2"]);
        console.log(
            `      failover: ${result.ok} ok, ${result.failures.length} failed, served by ${JSON.stringify([...result.servedBy])}, ` +
                `server-1 out of rotation ${result.downAfterMs} ms after docker stop began, back ${result.backAfterMs} ms after docker start`,
        );
        assert.deepEqual(result.failures, []);
        assert.ok(result.ok > 20, `only ${result.ok} requests during the failover`);
    });

    it("counts exactly one visit per acknowledged request across a failover", async () => {
        const primary = `${dev.captured.name}-server-3-mariadb-primary`;
        const [haproxy, stats] = haproxyOf(dev.captured);
        const containers = await labelledContainers(dev.captured.name, ["foobar.server", "server-1"]);
        const before = await maxVisitId(primary);
        // Only this loop asks for / meanwhile: HAProxy's checks and the waits below use other paths.
        const loop = requestLoop(dev.site);
        await sleep(1500);
        await docker(["stop", ...containers]);
        await waitBackend(haproxy, stats, { "server-1": "DOWN" }, 30_000);
        await sleep(1500);
        await docker(["start", ...containers]);
        await waitBackend(haproxy, stats, { "server-1": "UP" }, 60_000);
        await sleep(1500);
        const result = await loop.stop();
        assert.deepEqual(result.failures, []);
        const recorded = await visitIdsAfter(primary, before);
        console.log(`      failover: ${result.ok} acknowledged requests, ${recorded.length} visits recorded`);
        assert.deepEqual(
            recorded,
            [...result.visitIds].sort((a, b) => a - b),
        );
    });

    it("loses no request when server-1 is SIGKILLed under 50 keep-alive clients: none slower than 3 s, out of rotation within 3 s, back within 5 s of its start", async () => {
        const [haproxy, stats] = haproxyOf(dev.captured);
        const containers = await labelledContainers(dev.captured.name, ["foobar.server", "server-1"]);
        const clients = keepAliveClients(dev.site, 50);
        await sleep(2000);
        // No graceful stop: the processes die at once and send no RST for what they were serving.
        const killed = Date.now();
        await docker(["kill", "--signal", "KILL", ...containers]);
        let downAfterMs: number;
        try {
            await waitBackend(haproxy, stats, { "server-1": "DOWN" }, 30_000);
            downAfterMs = Date.now() - killed;
            await sleep(3000);
        } finally {
            await docker(["start", ...containers]);
        }
        const started = Date.now();
        await waitBackend(haproxy, stats, { "server-1": "UP" }, 60_000);
        const backAfterMs = Date.now() - started;
        await sleep(1500);
        const result = await clients.stop();
        console.log(
            `      SIGKILL: ${result.ok} ok, ${result.failures.length} failed, slowest ${result.slowestMs} ms, served by ` +
                `${JSON.stringify([...result.servedBy])}, server-1 out of rotation ${downAfterMs} ms after the kill, ` +
                `back ${backAfterMs} ms after docker start; slowest: ${JSON.stringify(result.slowest)}`,
        );
        assert.deepEqual(result.failures, []);
        assert.ok(result.slowestMs <= 3000, `a request took ${result.slowestMs} ms: ${JSON.stringify(result.slowest)}`);
        assert.ok(downAfterMs <= 3000, `server-1 left rotation only ${downAfterMs} ms after the kill`);
        assert.ok(backAfterMs <= 5000, `server-1 came back only ${backAfterMs} ms after docker start`);
        await waitServing(dev.site, ["server-1", "server-2"], 60_000);
    });
});

describe("live: active-passive", function () {
    const ap = deployed("ap", { "foobar:lb": { algorithm: "roundrobin", mode: "active-passive" } }, ["server-1"]);

    it("sends every request to server-1 while it is up", async () => {
        for (let i = 0; i < 10; i++) assert.equal((await getHttps(ap.site)).headers["x-served-by"], "server-1");
    });

    it("fails over to server-2 with no failed request and back to server-1 when it returns", async () => {
        const result = await failoverRound(ap.captured, ap.site, "server-1", ["server-2"]);
        console.log(
            `      active-passive failover: ${result.ok} ok, ${result.failures.length} failed, served by ${JSON.stringify([...result.servedBy])}, ` +
                `back to server-1 ${result.backAfterMs} ms after docker start`,
        );
        assert.deepEqual(result.failures, []);
        for (let i = 0; i < 5; i++) assert.equal((await getHttps(ap.site)).headers["x-served-by"], "server-1");
    });
});
