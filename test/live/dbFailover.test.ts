// Automatic database failover on docker (database.failover automatic): the primary and its two
// replicas are a Galera cluster and keepalived moves the write address to a node of the
// majority. Proven the hard way while clients make visits: SIGKILL of the writer, then the writer
// cut off the data network (docker network disconnect) and its return; and a node left out of any
// cluster (Disconnected, as a failed join leaves it) is restarted by its start script. No
// acknowledged visit may be lost, the nodes must end identical (CHECKSUM TABLE), and only one node
// ever takes writes.
import * as assert from "node:assert/strict";
import * as path from "path";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack, removeLeftovers } from "./capture";
import { DockerDeployer } from "./deployer";
import { docker, sleep } from "./docker";
import { sql } from "./databaseProbes";
import { Node, checksums, clusterSize, inMajority, readOnly, visitsHeld, waitWriter } from "./galeraProbes";
import { waitFor } from "./poll";
import { Site, siteOf, waitServing } from "./probes";
import { alerts, valuesByHost, withLogin } from "./prometheusProbe";
import { Visit, acknowledged, failuresOf, resumedAfter, runVisits } from "./visitRun";

const ROOT = path.join(__dirname, "..", "..");
const STACK = "galera";
/** Its own ports and range: it may run while another stack's containers are still going away. */
const OVERRIDES = {
    "foobar:database": { mode: "self-managed", replicas: 2, failover: "automatic" },
    "foobar:docker": { httpPort: 37080, httpsPort: 37443, prometheusPort: 37090, bindAddress: "127.0.0.1", subnet: "10.87.0.0/16" },
};
/** The bounds. */
const WRITES_RESUME_WITHIN_MS = 30_000;
const ISOLATED_STOPS_WITHIN_MS = 10_000;
const APP_RECONNECTS_WITHIN_MS = 2000;
/** The start script's 30 s of patience with a Disconnected node, its restart and a state transfer. */
const DISCONNECTED_BACK_WITHIN_MS = 90_000;
const VISITS = 1000;
const CLIENTS = 8;

/** A new input on every database node's container, as a new image would bring: the provider replaces them. */
function changeDatabaseNodes(resources: readonly RecordedResource[]): RecordedResource[] {
    const isNode = (r: RecordedResource) =>
        r.type === TYPES.container &&
        r.inputs.labels?.some((l: { label: string; value: string }) => l.label === "foobar.service" && l.value.startsWith("mariadb-"));
    return resources.map((r) =>
        isNode(r) ? { ...r, inputs: { ...r.inputs, labels: [...r.inputs.labels, { label: "foobar.revision", value: "2" }] } } : r,
    );
}

function report(what: string, visits: readonly Visit[], extra: string): void {
    const ok = acknowledged(visits).length;
    console.log(
        `      ${what}: ${ok} acknowledged, ${visits.length - ok} not, ${extra}; not acknowledged: ${JSON.stringify(failuresOf(visits))}`,
    );
}

describe("live: automatic database failover (Galera, keepalived write address)", function () {
    const deployer = new DockerDeployer(ROOT);
    let captured: CapturedStack;
    let site: Site;
    let writeIp: string;
    let nodes: Node[];
    const prometheus = () => withLogin(captured.outputs.monitoringUrl, captured.outputs.monitoringPassword);

    /** Every node back in the majority, one writer, and all of them holding the same rows. */
    async function converged(): Promise<string> {
        await waitFor("every node in the majority", 180_000, async () =>
            (await Promise.all(nodes.map(inMajority))).every(Boolean) ? true : undefined,
        );
        await waitWriter(nodes, writeIp, 30_000);
        return waitFor("the same CHECKSUM TABLE on every node", 30_000, async () => {
            const sums = await Promise.all(nodes.map(checksums));
            return sums.every((s) => s === sums[0]) ? sums[0] : undefined;
        });
    }

    before(async function () {
        this.timeout(20 * 60_000);
        captured = await captureStack(STACK, OVERRIDES);
        await removeLeftovers(captured.name);
        const started = Date.now();
        await deployer.deploy(captured.resources);
        site = siteOf(captured);
        writeIp = captured.outputs.databaseWriterEndpoint.split(":")[0];
        nodes = captured.outputs.servers.flatMap((s) =>
            s.services
                .filter((svc) => svc.service.includes("-mariadb-"))
                .map((svc) => ({ server: s.name, container: `${captured.name}-${svc.service}`, address: svc.addresses.data ?? "" })),
        );
        assert.equal(nodes.length, 3, "three database nodes");
        await converged();
        await waitServing(site, ["server-1", "server-2"]);
        console.log(`      deployed and converged in ${Date.now() - started} ms; write address ${writeIp}`);
    });

    after(async function () {
        this.timeout(120_000);
        if (!process.env.KEEP_STACK && captured) await removeLeftovers(captured.name);
    });

    it("starts with one writer, the preferred node, and every other node read_only", async function () {
        this.timeout(60_000);
        const writer = await waitWriter(nodes, writeIp, 30_000);
        assert.equal(writer.server, "server-3", "the plan's primary starts with the write address");
        assert.deepEqual(
            await Promise.all(nodes.map(readOnly)),
            nodes.map((n) => (n === writer ? 0 : 1)),
        );
        assert.deepEqual(await Promise.all(nodes.map(clusterSize)), [3, 3, 3]);
    });

    it("a change to every database node replaces them one at a time under visits: every acknowledged visit kept, the cluster whole", async function () {
        this.timeout(15 * 60_000);
        const next = await captureStack(STACK, OVERRIDES, "dev", captured.resources);
        const run = runVisits(site, VISITS, CLIENTS / 2);
        const started = Date.now();
        const steps = await deployer.apply(changeDatabaseNodes(next.resources));
        const tookMs = Date.now() - started;
        const visits = await run.finished;
        const replaced = steps.filter((s) => s.op === "replace").map((s) => s.name);
        report("every node replaced", visits, `${replaced.length} containers replaced in ${tookMs} ms`);
        assert.deepEqual(replaced.sort(), nodes.map((n) => n.container).sort());
        const order = nodes
            .map((n) => steps.find((s) => s.name === n.container))
            .map((s) => [s?.start ?? 0, s?.end ?? 0])
            .sort((a, b) => a[0] - b[0]);
        for (let i = 1; i < order.length; i++)
            assert.ok(order[i - 1][1] <= order[i][0], `replacements overlapped: ${JSON.stringify(order)}`);
        await converged();
        const acked = acknowledged(visits);
        assert.ok(acked.length >= VISITS * 0.95, `${acked.length} of ${VISITS} acknowledged`);
        for (const n of nodes) assert.equal(await visitsHeld(n, acked), acked.length, `${n.server} holds every acknowledged visit`);
    });

    it("SIGKILL of the writer during 1,000 visits: every acknowledged visit is on every surviving node, writes resume within 30 s", async function () {
        this.timeout(10 * 60_000);
        const writer = await waitWriter(nodes, writeIp, 30_000);
        const survivors = nodes.filter((n) => n !== writer);
        const run = runVisits(site, VISITS, CLIENTS);
        await waitFor("a quarter of the visits", 120_000, async () => (run.done() >= VISITS / 4 ? true : undefined), 10);
        // From the moment the kill has happened: a visit that started while `docker kill` ran may
        // still have been written by the writer before it died.
        await docker(["kill", "--signal", "KILL", writer.container]);
        const killedAt = Date.now();
        const newWriter = await waitWriter(survivors, writeIp, WRITES_RESUME_WITHIN_MS);
        const movedMs = Date.now() - killedAt;
        const visits = await run.finished;
        const acked = acknowledged(visits);
        const resumedMs = resumedAfter(visits, killedAt);
        report(
            "writer SIGKILLed",
            visits,
            `write address on ${newWriter.server} after ${movedMs} ms, first acknowledged visit ${resumedMs} ms after the kill`,
        );
        assert.ok(resumedMs !== undefined && resumedMs <= WRITES_RESUME_WITHIN_MS, `writes resumed after ${resumedMs} ms`);
        // The app reconnects at once: its first acknowledged write comes within 2 s of the address moving.
        assert.ok(
            resumedMs <= movedMs + APP_RECONNECTS_WITHIN_MS,
            `first write ${resumedMs} ms after the kill, the address moved after ${movedMs} ms`,
        );
        assert.ok(acked.length >= VISITS * 0.9, `${acked.length} of ${VISITS} acknowledged`);
        for (const n of survivors) assert.equal(await visitsHeld(n, acked), acked.length, `${n.server} holds every acknowledged visit`);
        const sums = await Promise.all(survivors.map(checksums));
        assert.equal(sums[0], sums[1], "the survivors' tables are identical");

        // Monitoring follows: the dead node is down, the new writer is the one with read_only 0.
        const url = prometheus();
        const followed = await waitFor("Prometheus to see the new roles", 90_000, async () => {
            const up = await valuesByHost(url, 'mysql_up{job="mysqld"}');
            const ro = await valuesByHost(url, 'mysql_global_variables_read_only{job="mysqld"}');
            return up[writer.server] !== 1 && ro[newWriter.server] === 0 ? { up, ro } : undefined;
        });
        console.log(`      Prometheus: mysql_up ${JSON.stringify(followed.up)}, read_only ${JSON.stringify(followed.ro)}`);
        const firing = await waitFor("the failover's alerts to fire", 120_000, async () => {
            const names = (await alerts(url))
                .filter((a) => a.state === "firing" && /^FoobarDatabase(NodeDown|WriterMoved)$/.test(a.name))
                .map((a) => `${a.name}{${a.labels.host ?? ""}}`);
            // The dead node, and the failover itself.
            const both = [`FoobarDatabaseNodeDown{${writer.server}}`, "FoobarDatabaseWriterMoved{"].every((n) =>
                names.some((m) => m.startsWith(n)),
            );
            return both ? names : undefined;
        });
        console.log(`      firing: ${firing.join(", ")}`);

        // The killed node returns as a reader, with the rows it missed.
        await docker(["start", writer.container]);
        const checksum = await converged();
        assert.equal(await readOnly(writer), 1, "the returning node stays read_only");
        for (const n of nodes) assert.equal(await visitsHeld(n, acked), acked.length, `${n.server} holds every acknowledged visit`);
        console.log(`      ${writer.server} rejoined; checksum on all three: ${checksum.replace(/\s+/g, " ")}`);
    });

    it("the writer cut off the data network: it stops taking writes within 10 s, the majority takes over, and nothing diverges after it returns", async function () {
        this.timeout(10 * 60_000);
        const writer = await waitWriter(nodes, writeIp, 30_000);
        const others = nodes.filter((n) => n !== writer);
        const network = `${captured.name}-data`;
        const run = runVisits(site, VISITS / 2, CLIENTS);
        await waitFor("a quarter of the visits", 120_000, async () => (run.done() >= VISITS / 8 ? true : undefined), 10);
        // From before the cut: the isolated node's time to refuse statements is not shortened by it.
        const cutAt = Date.now();
        await docker(["network", "disconnect", network, writer.container]);
        try {
            const stoppedMs = await waitFor(
                "the isolated node to refuse statements",
                30_000,
                async () => {
                    const ready = await docker([
                        "exec",
                        writer.container,
                        "mariadb",
                        "-N",
                        "-B",
                        "-e",
                        "SHOW GLOBAL STATUS LIKE 'wsrep_ready'",
                    ]);
                    return ready.includes("OFF") ? Date.now() - cutAt : undefined;
                },
                100,
            );
            const newWriter = await waitWriter(others, writeIp, 30_000);
            const movedMs = Date.now() - cutAt;
            const visits = await run.finished;
            report(
                "writer cut off",
                visits,
                `isolated node refused statements after ${stoppedMs} ms, write address on ${newWriter.server} after ${movedMs} ms`,
            );
            assert.ok(stoppedMs <= ISOLATED_STOPS_WITHIN_MS, `the isolated node took statements for ${stoppedMs} ms`);
            const acked = acknowledged(visits);
            for (const n of others) assert.equal(await visitsHeld(n, acked), acked.length, `${n.server} holds every acknowledged visit`);
        } finally {
            await docker(["network", "connect", "--ip", writer.address, network, writer.container]);
        }
        const checksum = await converged();
        assert.equal(await readOnly(writer), 1, "the returning node stays read_only");
        console.log(`      ${writer.server} back on the network and rejoined; checksum on all three: ${checksum.replace(/\s+/g, " ")}`);
        await sleep(0);
    });

    it("a node left Disconnected (as after a failed join) is restarted by its start script and back in the majority within 90 s", async function () {
        this.timeout(5 * 60_000);
        const writer = await waitWriter(nodes, writeIp, 30_000);
        const node = nodes.find((n) => n !== writer) ?? nodes[0];
        const restartsBefore = Number(await docker(["inspect", "-f", "{{.RestartCount}}", node.container]));
        // What a join that fails after its state transfer leaves: mariadbd up, out of any cluster.
        await sql(node.container, "SET GLOBAL wsrep_cluster_address = ''");
        const leftAt = Date.now();
        assert.match(await sql(node.container, "SHOW GLOBAL STATUS LIKE 'wsrep_connected'"), /OFF/);
        const backMs = await waitFor(
            `${node.server} restarted and back in the majority`,
            DISCONNECTED_BACK_WITHIN_MS,
            async () => {
                const restarts = Number(await docker(["inspect", "-f", "{{.RestartCount}}", node.container]));
                return restarts > restartsBefore && (await inMajority(node)) ? Date.now() - leftAt : undefined;
            },
            500,
        );
        console.log(`      ${node.server} Disconnected, restarted by its start script and synced again after ${backMs} ms`);
        await converged();
    });
});
