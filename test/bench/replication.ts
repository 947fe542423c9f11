// Target 5: replication lag at 500 writes/s, against the lag at 10 writes/s in the same run.
// Writers: mariadb clients inside the primary's container (root over its socket) fed INSERTs at a
// paced rate; each row keeps its primary timestamp. Pollers: one mariadb client inside each
// replica's container asking every 5 ms which new ids it has, with the replica's clock. A write's
// lag: the first poll that saw it on a replica minus its timestamp on the primary (one kernel clock).
import { spawn } from "child_process";
import { sql } from "../live/databaseProbes";
import { sleep } from "../live/docker";
import { waitFor } from "../live/poll";
import { Row, log, percentile, ratio, withTimeout } from "./rows";
import { BenchStack } from "./stack";
import { fmtMs } from "./wrk";

const TABLE = "foobar_bench.writes";
const WRITERS = 16;
const POLL_EVERY_MS = 5;
/** A poll asks for ids above (highest seen - WINDOW): writes of concurrent writers may commit out of id order. */
const WINDOW = 50;
const TARGET_P99_MS = 1000;
const HIGH = { rate: 500, seconds: 8 };
const LOW = { rate: 10, seconds: 4 };

/**
 * A long-lived mariadb client in a container (root, its socket), fed statements on stdin, unbuffered
 * output. `ready` resolves once it has answered a first statement: docker exec takes a while to
 * start, and statements sent before would run in a burst.
 */
class Client {
    readonly ready: Promise<void>;
    private readonly child;
    private readonly closed: Promise<void>;
    private buffered = "";
    private stderr = "";

    constructor(container: string, onLine: (line: string) => void = () => undefined) {
        let answered: () => void = () => undefined;
        this.ready = new Promise((resolve) => (answered = resolve));
        this.child = spawn("docker", ["exec", "-i", container, "mariadb", "-N", "-B", "--unbuffered"], { stdio: ["pipe", "pipe", "pipe"] });
        this.child.stdin.on("error", () => undefined); // reported by the exit status
        this.child.stdout.on("data", (d: Buffer) => {
            const parts = (this.buffered + d.toString()).split("\n");
            this.buffered = parts.pop() ?? "";
            for (const line of parts) {
                if (line === "ready") answered();
                else onLine(line);
            }
        });
        this.child.stderr.on("data", (d: Buffer) => (this.stderr += d.toString()));
        this.closed = new Promise((resolve, reject) =>
            this.child.on("close", (code) =>
                code === 0 ? resolve() : reject(new Error(`mariadb in ${container}: ${this.stderr.trim() || code}`)),
            ),
        );
        this.closed.catch(() => undefined); // awaited in end()
        this.send("SELECT 'ready';");
    }

    send(statement: string): void {
        this.child.stdin.write(`${statement}\n`);
    }

    end(): Promise<void> {
        this.child.stdin.end();
        return this.closed;
    }
}

/** Which ids a replica shows, and since when (its clock, seconds since the epoch). */
class Poller {
    readonly firstSeen = new Map<number, number>();
    private highest: number;
    private now = 0;
    private running = true;
    private readonly client: Client;

    constructor(container: string, from: number) {
        this.highest = from;
        this.client = new Client(container, (line) => this.onLine(line));
        void this.client.ready.then(() => this.ask());
    }

    get ready(): Promise<void> {
        return this.client.ready;
    }

    get maxSeen(): number {
        return this.highest;
    }

    private ask(): void {
        const floor = Math.max(0, this.highest - WINDOW);
        this.client.send(`SELECT CONCAT('t ', UNIX_TIMESTAMP(NOW(6))); SELECT id FROM ${TABLE} WHERE id > ${floor}; SELECT 'end';`);
    }

    private onLine(line: string): void {
        if (line.startsWith("t ")) this.now = Number(line.slice(2));
        else if (line === "end") {
            if (this.running) setTimeout(() => this.ask(), POLL_EVERY_MS);
        } else if (/^\d+$/.test(line)) {
            const id = Number(line);
            if (!this.firstSeen.has(id)) this.firstSeen.set(id, this.now);
            this.highest = Math.max(this.highest, id);
        }
    }

    stop(): Promise<void> {
        this.running = false;
        return this.client.end();
    }
}

export interface Lag {
    readonly phase: string;
    readonly wanted: number;
    /** Writes per second the primary actually ran (intervals over the span of their timestamps). */
    readonly achieved: number;
    readonly writes: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    /** Writes a poll never saw (should be 0). */
    readonly missed: number;
}

async function phase(stack: BenchStack, name: string, rate: number, seconds: number): Promise<Lag> {
    const before = Number(await sql(stack.primary, `SELECT COALESCE(MAX(id), 0) FROM ${TABLE}`));
    const pollers = stack.replicas.map((r) => new Poller(r, before));
    const writers = Array.from({ length: WRITERS }, () => new Client(stack.primary));
    await withTimeout(Promise.all([...pollers, ...writers].map((c) => c.ready)), 30_000, "the mariadb clients answering");
    const started = Date.now();
    let sent = 0;
    while (Date.now() - started < seconds * 1000) {
        const due = Math.floor(((Date.now() - started) / 1000) * rate);
        for (; sent < due; sent++) writers[sent % WRITERS].send(`INSERT INTO ${TABLE} (phase) VALUES ('${name}');`);
        await sleep(2);
    }
    await Promise.all(writers.map((w) => w.end()));
    const last = Number(await sql(stack.primary, `SELECT COALESCE(MAX(id), 0) FROM ${TABLE}`));
    await waitFor(`every replica at id ${last}`, 30_000, async () => (pollers.every((p) => p.maxSeen >= last) ? true : undefined), 50);
    await sleep(100);
    await Promise.all(pollers.map((p) => p.stop()));
    const rows = (await sql(stack.primary, `SELECT id, UNIX_TIMESTAMP(ts) FROM ${TABLE} WHERE phase = '${name}'`))
        .split("\n")
        .filter(Boolean)
        .map((l) => l.split("\t").map(Number));
    const lags: number[] = [];
    let missed = 0;
    for (const p of pollers) {
        for (const [id, ts] of rows) {
            const seen = p.firstSeen.get(id);
            if (seen === undefined) missed++;
            else lags.push(Math.max(0, (seen - ts) * 1000));
        }
    }
    lags.sort((a, b) => a - b);
    const times = rows.map((r) => r[1]);
    const span = Math.max(...times) - Math.min(...times);
    return {
        phase: name,
        wanted: rate,
        achieved: span > 0 ? (rows.length - 1) / span : rows.length,
        writes: rows.length,
        p50Ms: percentile(lags, 50),
        p99Ms: percentile(lags, 99),
        maxMs: lags[lags.length - 1] ?? NaN,
        missed,
    };
}

const describeLag = (l: Lag): string =>
    `${l.writes} writes at ${l.achieved.toFixed(0)}/s (asked ${l.wanted}/s): lag p50 ${fmtMs(l.p50Ms)}, p99 ${fmtMs(l.p99Ms)}, max ${fmtMs(l.maxMs)}`;

export async function replicationRow(stack: BenchStack): Promise<Row> {
    if (stack.replicas.length === 0) throw new Error("the stack has no replica");
    await sql(
        stack.primary,
        `CREATE DATABASE IF NOT EXISTS foobar_bench; CREATE TABLE IF NOT EXISTS ${TABLE} ` +
            "(id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, phase VARCHAR(8) NOT NULL, ts DATETIME(6) NOT NULL DEFAULT NOW(6))",
    );
    for (const r of stack.replicas) {
        await waitFor(`${TABLE} on ${r}`, 30_000, async () => ((await sql(r, `SELECT COUNT(*) FROM ${TABLE}`)) !== "" ? true : undefined));
    }
    log(`replication: ${LOW.rate} writes/s for ${LOW.seconds} s, then ${HIGH.rate} writes/s for ${HIGH.seconds} s`);
    const low = await phase(stack, "low", LOW.rate, LOW.seconds);
    const high = await phase(stack, "high", HIGH.rate, HIGH.seconds);
    return {
        id: "5",
        what: `Replication lag at ${HIGH.rate} writes/s (${stack.replicas.length} replicas)`,
        target: `p99 <= ${fmtMs(TARGET_P99_MS)} at ${HIGH.rate} writes/s`,
        measured: `p50 ${fmtMs(high.p50Ms)}, p99 ${fmtMs(high.p99Ms)}, max ${fmtMs(high.maxMs)} at ${high.achieved.toFixed(0)} writes/s`,
        reference: `at ${low.achieved.toFixed(0)} writes/s: p50 ${fmtMs(low.p50Ms)}, p99 ${fmtMs(low.p99Ms)}, max ${fmtMs(low.maxMs)}`,
        ratio: `p99 ${ratio(high.p99Ms, low.p99Ms, 1)}`,
        met: high.p99Ms <= TARGET_P99_MS && high.achieved >= HIGH.rate * 0.9 && high.missed === 0,
        details: [
            `${HIGH.rate}/s: ${describeLag(high)}; ${high.missed} write-replica pairs never seen by a poll.`,
            `${LOW.rate}/s (reference): ${describeLag(low)}.`,
            ...(high.achieved < HIGH.rate * 0.9
                ? [
                      `Missed the rate: asked ${HIGH.rate} writes/s, the primary committed ${high.achieved.toFixed(0)}/s from ${WRITERS} clients ` +
                          "(each autocommit waits for its binlog fsync and, with semi-sync, a replica's acknowledgement).",
                  ]
                : []),
            `${WRITERS} mariadb clients in the primary's container (autocommit INSERTs, root over the socket), paced from the host; ` +
                `one poller per replica every ${POLL_EVERY_MS} ms; lag = first poll that saw the row on a replica - the row's NOW(6) on the primary, over every replica.`,
        ],
    };
}
