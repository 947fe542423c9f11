// Day two on docker: a later `pulumi up` that changes every web server replaces their containers
// the way the engine and the provider would (test/live/deployer.ts: delete-before-replace, steps
// in dependency order, independent ones at once, a graceful stop of destroyGraceSeconds), while 20
// clients keep asking for the page. No request may fail, no visit may be lost, and the replicas
// must resume from their GTID positions on the data their volumes kept.
import * as assert from "node:assert/strict";
import * as path from "path";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack, removeLeftovers } from "./capture";
import { maxVisitId, sql, visitIdsAfter } from "./databaseProbes";
import { DockerDeployer, Step } from "./deployer";
import { dockerRun, sleep } from "./docker";
import {
    Site,
    execIn,
    getHttps,
    labelledContainers,
    requestLoop,
    replicationState,
    siteOf,
    visitLag,
    waitReplicating,
    waitServing,
} from "./probes";

const ROOT = path.join(__dirname, "..", "..");
/** Its own stack (name, ports, subnet), so nothing else in the suite shares its containers. */
const OVERRIDES = {
    "foobar:docker": { httpPort: 28080, httpsPort: 28443, prometheusPort: 29090, bindAddress: "127.0.0.1", subnet: "10.81.0.0/16" },
};
const WEB_SERVERS = ["server-1", "server-2"];
const CLIENTS = 20;
/** What the mariadb image's entrypoint prints when it initialises a data directory (images/mariadb). */
const INITIALISING = "initialising empty data directory";

const serverOf = (r: RecordedResource): string | undefined =>
    r.inputs.labels?.find((l: { label: string }) => l.label === "foobar.server")?.value;

/**
 * The change under test: a new input on every container of every web server, as new app code or
 * a new base image would bring. Labels cannot change in place: the provider replaces.
 */
function changeWebServers(resources: readonly RecordedResource[]): RecordedResource[] {
    return resources.map((r) =>
        r.type === TYPES.container && WEB_SERVERS.includes(serverOf(r) ?? "")
            ? { ...r, inputs: { ...r.inputs, labels: [...r.inputs.labels, { label: "foobar.revision", value: "2" }] } }
            : r,
    );
}

/** A replica's applied GTID position, as "domain-server-sequence" (one domain here). */
async function slavePos(container: string): Promise<number> {
    const pos = await sql(container, "SELECT @@gtid_slave_pos");
    const m = /^\d+-\d+-(\d+)$/.exec(pos);
    if (!m) throw new Error(`${container}: unexpected gtid_slave_pos ${JSON.stringify(pos)}`);
    return Number(m[1]);
}

describe("live: day two, a change to every web server", function () {
    let captured: CapturedStack;
    let site: Site;
    const deployer = new DockerDeployer(ROOT);

    before(async function () {
        this.timeout(20 * 60_000);
        captured = await captureStack("daytwo", OVERRIDES);
        await removeLeftovers(captured.name);
        await deployer.deploy(captured.resources);
        site = siteOf(captured);
        await waitServing(site, WEB_SERVERS);
        await waitReplicating(await labelledContainers(captured.name, ["foobar.service", "mariadb-replica"]), 60_000);
    });

    after(async function () {
        this.timeout(5 * 60_000);
        await deployer.destroy();
        if (captured) await removeLeftovers(captured.name);
    });

    it("plans nothing for a second `pulumi up` with the same config", async function () {
        this.timeout(60_000);
        const again = await captureStack("daytwo", OVERRIDES, "dev", captured.resources);
        const steps = await deployer.apply(again.resources);
        assert.deepEqual(
            steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`),
            [],
        );
    });

    it("replaces every web server's containers one server at a time: no failed request, every visit kept, replicas resume", async function () {
        this.timeout(10 * 60_000);
        const primary = `${captured.name}-server-3-mariadb-primary`;
        const replicas = WEB_SERVERS.map((s) => `${captured.name}-${s}-mariadb-replica`);
        const before = await maxVisitId(primary);
        const recordedFirst: number[] = [];
        for (let i = 0; i < 200; i++) {
            const r = await getHttps(site);
            assert.equal(r.status, 200, r.body.slice(0, 120));
            recordedFirst.push(Number(r.headers["x-visit-id"]));
        }
        await visitLag(replicas, Math.max(...recordedFirst), 10_000);
        const positions = await Promise.all(replicas.map(slavePos));

        const next = await captureStack("daytwo", OVERRIDES, "dev", captured.resources);
        const loop = requestLoop(site, CLIENTS);
        await sleep(1000);
        const started = Date.now();
        const steps = await deployer.apply(changeWebServers(next.resources));
        const tookMs = Date.now() - started;
        await sleep(1500);
        const result = await loop.stop();

        const replaced = steps.filter((s) => s.op === "replace");
        // What serves a web server goes one server at a time; the exporters that watch it are replaced
        // with the other watchers, after the load balancers, and serve nobody.
        const watcher = (s: Step) => /-(nginx|node)-exporter$/.test(s.name);
        const on = (server: string) => replaced.filter((s) => s.name.startsWith(`${captured.name}-${server}-`) && !watcher(s));
        const span = (ss: Step[]) => [Math.min(...ss.map((s) => s.start)), Math.max(...ss.map((s) => s.end))];
        const [first, second] = WEB_SERVERS.map((s) => span(on(s)));
        console.log(
            `      replaced ${replaced.length} containers in ${tookMs} ms: server-1 ${first[0]}-${first[1]} ms, server-2 ${second[0]}-${second[1]} ms; ` +
                `${CLIENTS} clients: ${result.ok} ok, ${result.failures.length} failed, slowest ${result.slowestMs} ms, served by ${JSON.stringify([...result.servedBy])}`,
        );
        assert.deepEqual(
            replaced.map((s) => s.name).sort(),
            WEB_SERVERS.flatMap((s) =>
                ["app", "mariadb-replica", "mysqld-exporter", "nginx", "nginx-exporter", "node-exporter"].map(
                    (k) => `${captured.name}-${s}-${k}`,
                ),
            ).sort(),
        );
        assert.deepEqual(
            steps.filter((s) => s.op !== "replace" && s.op !== "same").map((s) => `${s.op} ${s.name}`),
            [],
        );
        assert.ok(first[1] <= second[0], `server-2's replacement began (${second[0]} ms) before server-1's ended (${first[1]} ms)`);
        assert.deepEqual(result.failures.slice(0, 5), []);
        assert.ok(result.ok > 100, `only ${result.ok} requests during the replacement`);

        // Every visit acknowledged before and during the change, each once, and nothing else.
        const recorded = await visitIdsAfter(primary, before);
        assert.deepEqual(
            recorded,
            [...recordedFirst, ...result.visitIds].sort((a, b) => a - b),
        );
        // The new replicas started on their volumes' data and resumed from their GTID positions.
        await waitReplicating(replicas, 60_000);
        const lag = await visitLag(replicas, recorded[recorded.length - 1], 30_000);
        const after = await Promise.all(replicas.map(slavePos));
        // The primary's last transaction: visits are committed in batches (group commit), so the
        // sequence grows by one per batch, not per visit.
        const primaryLast = Number(/^\d+-\d+-(\d+)$/.exec(await sql(primary, "SELECT @@gtid_binlog_pos"))?.[1]);
        for (const [i, replica] of replicas.entries()) {
            const logs = await dockerRun(["logs", replica]);
            assert.ok(!`${logs.stdout}${logs.stderr}`.includes(INITIALISING), `${replica} initialised a new data directory`);
            const status = await execIn(replica, ["mariadb", "-e", "SHOW SLAVE STATUS\\G"]);
            assert.match(status, /Using_Gtid: Slave_Pos/, (await replicationState(replica)).summary);
            assert.ok(
                after[i] > positions[i] && after[i] === primaryLast,
                `${replica}: GTID ${positions[i]} before, ${after[i]} after; the primary is at ${primaryLast}`,
            );
            assert.equal(
                await sql(replica, "SELECT COUNT(*) FROM foobar.visits"),
                await sql(primary, "SELECT COUNT(*) FROM foobar.visits"),
            );
        }
        console.log(
            `      ${recorded.length} visits kept; replicas at GTID sequence ${after.join(", ")} (from ${positions.join(", ")}), caught up within ${Math.max(...lag)} ms`,
        );
    });
});
