// `npm run bench`: measures every target of issue 9 against its own reference in the same run,
// prints the figures and writes docs/benchmarks.md. It fails only when it cannot run at all (no
// wrk, no Docker engine, a stack that does not deploy), never on a figure: a measurement that
// fails is reported as "not measured" with its reason, and the next one runs.
//
// Order: the program under the mocks; the machine at rest with no stack; deploy; the stack at
// rest; TLS handshakes; the static file; the dynamic page; replication; failover (it disturbs the
// stack, so it comes last); the containers' memory; destroy (on failure too).
import { spawnSync } from "child_process";
import * as path from "path";
import { sleep } from "../live/docker";
import { failoverRound, failoverRow, Round } from "./failover";
import { CpuSample, idleRow, sampleCpu, stackContainersByService } from "./idle";
import { dynamicRow, staticRow } from "./paths";
import { ciRows, ciTimings, evaluationRow } from "./program";
import { replicationRow } from "./replication";
import { REPORT, containerStats, machine, renderReport, writeReport } from "./report";
import { Row, log, notMeasured } from "./rows";
import { BenchDeployment, BenchStack } from "./stack";
import { tlsRow } from "./tls";

const ROOT = path.join(__dirname, "..", "..");
const IDLE_SECONDS = 30;
const SETTLE_SECONDS = 20;
const QUIET_SECONDS = 5;

/** How long each part of the bench took, in seconds, for the report. */
const phases: Array<[string, number]> = [];

async function timed<T>(what: string, run: () => Promise<T>): Promise<T> {
    const started = Date.now();
    try {
        return await run();
    } finally {
        phases.push([what, (Date.now() - started) / 1000]);
    }
}

/** Runs one measurement; a failure becomes a "not measured" row, never the bench's failure. */
async function measure(id: string, what: string, target: string, run: () => Promise<Row>): Promise<Row> {
    try {
        const row = await timed(id, run);
        log(`${row.id} ${row.what}: ${row.measured} | reference ${row.reference} | ${row.ratio} | ${row.met ? "met" : "missed"}`);
        return row;
    } catch (err) {
        log(`${id} ${what}: not measured: ${String(err)}`);
        return notMeasured(id, what, target, err);
    }
}

/** The tools the bench cannot do without; missing ones stop it before anything is deployed. */
function checkTools(): void {
    for (const [tool, args] of [
        ["wrk", ["-v"]],
        ["openssl", ["version"]],
        ["docker", ["info", "--format", "{{.ServerVersion}}"]],
    ] as const) {
        const r = spawnSync(tool, args, { encoding: "utf8" });
        if (r.error) throw new Error(`${tool} is needed by the bench: ${r.error.message}`);
        if (tool === "docker" && r.status !== 0) throw new Error(`no Docker engine answers: ${r.stderr}`);
    }
}

async function failover(stack: BenchStack): Promise<Row> {
    // The graceful stop first: it is the reference, and a failing SIGKILL round then disturbs nothing after it.
    let stop: Round | undefined;
    let stopError: string | undefined;
    try {
        stop = await failoverRound(stack, "stop");
    } catch (err) {
        stopError = String(err).split("\n")[0];
    }
    return failoverRow(await failoverRound(stack, "kill"), stop, stopError);
}

async function measureStack(stack: BenchStack, idleReference: CpuSample | undefined): Promise<Row[]> {
    const rows: Row[] = [];
    // The stack rests SETTLE_SECONDS after its deployment before its idle sample; the program's
    // evaluation under the mocks (host CPU only, a few seconds) runs in that time, then QUIET_SECONDS
    // at least pass with the bench asleep.
    const deployed = Date.now();
    rows.push(await measure("7a", "Stack files under the mocks", "<= 2 s per stack", evaluationRow));
    const restMs = Math.max(QUIET_SECONDS * 1000, SETTLE_SECONDS * 1000 - (Date.now() - deployed));
    rows.push(
        await measure("1", "Idle stack", "containers <= 5% of one core", async () => {
            log(`idle: resting ${(restMs / 1000).toFixed(0)} s more, then sampling ${IDLE_SECONDS} s`);
            await sleep(restMs);
            const rest = await sampleCpu(IDLE_SECONDS, await stackContainersByService(stack.name));
            if (!idleReference) throw new Error("the machine's reference sample failed");
            return idleRow(idleReference, rest, (Date.now() - deployed) / 1000 - rest.seconds);
        }),
    );
    rows.push(await measure("6", "TLS handshakes", "ECDSA vs RSA", () => tlsRow(stack)));
    rows.push(await measure("2", "Static file", ">= 0.40x plain nginx, p99 <= 10 ms", () => staticRow(stack)));
    rows.push(await measure("3", "Dynamic page", ">= 10x old main, p99 <= 50 ms", () => dynamicRow(stack)));
    rows.push(await measure("5", "Replication lag", "p99 <= 1 s at 500 writes/s", () => replicationRow(stack)));
    rows.push(await measure("4", "Failover", "0 failed, max <= 3 s, out <= 3 s, back <= 5 s", () => failover(stack)));
    return rows;
}

async function main(): Promise<number> {
    const started = Date.now();
    checkTools();
    const base = spawnSync("bash", [path.join(ROOT, "scripts", "ensure-base-image.sh")], { stdio: "inherit" });
    if (base.status !== 0) throw new Error("the base image is missing and could not be made");
    const host = await machine();
    const rows: Row[] = [];
    log(`idle reference: the machine with no bench stack, ${IDLE_SECONDS} s`);
    const idleReference = await timed("idle reference", () => sampleCpu(IDLE_SECONDS)).catch(() => undefined);
    const deployment = new BenchDeployment();
    // Interrupted (Ctrl-C, a CI timeout): the stack goes too.
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            log(`${signal}: destroying the bench stack`);
            void deployment.destroy().finally(() => process.exit(130));
        });
    }
    let stats: string[] = [];
    let failure: unknown;
    try {
        const captured = await deployment.capture();
        log(`deploying ${captured.resources.length} resources of stack ${captured.stack}`);
        const stack = await timed("deploy", () => deployment.deploy(captured));
        log("deployed, serving and replicating");
        rows.push(...(await measureStack(stack, idleReference)));
        stats = await containerStats(stack.name);
    } catch (err) {
        failure = err;
    } finally {
        log("destroying the bench stack");
        await timed("destroy", () => deployment.destroy());
    }
    // Without a deployed stack, the program's evaluation is still measured.
    if (!rows.some((r) => r.id === "7a")) rows.push(await measure("7a", "Stack files under the mocks", "<= 2 s per stack", evaluationRow));
    const benchSeconds = (Date.now() - started) / 1000;
    rows.push(...ciRows(ciTimings(), benchSeconds));
    const order = ["1", "2", "3", "4", "5", "6", "7a", "7b", "7c"];
    rows.sort((a, b) => order.indexOf(a.id) - order.indexOf(b.id));
    const text = renderReport({ rows, machine: host, date: new Date(started), benchSeconds, phases, stats });
    writeReport(text);
    console.log(`\n${text}`);
    log(`wrote ${path.relative(ROOT, REPORT)} in ${benchSeconds.toFixed(0)} s`);
    if (failure) {
        console.error("the bench could not run against a deployed stack:", failure);
        return 1;
    }
    return 0;
}

// A stack file that fails under the mocks can reject registrations after its run has returned
// (the SDK rethrows them as unhandled rejections): that stack is already reported as failed.
process.on("unhandledRejection", (err) => log(`a late failure, already reported: ${String(err).split("\n")[0].slice(0, 160)}`));

main().then(
    (code) => process.exit(code),
    (err) => {
        console.error(err);
        process.exit(1);
    },
);
