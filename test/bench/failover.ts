// Target 4: a web server SIGKILLed (every container of it) under 50 keep-alive HTTPS clients, and
// the same with a graceful `docker stop` as the reference: what the clients saw (wrk), how long
// until HAProxy marks the server DOWN, and how long after `docker start` it is UP again.
import * as http from "http";
import { docker, dockerRun, sleep } from "../live/docker";
import { backendStatus, labelledContainers, waitReplicating, waitServing } from "../live/probes";
import { Row, log, seconds } from "./rows";
import { BenchStack } from "./stack";
import { WrkResult, describeWrk, failedRequests, fmtMs, runWrk } from "./wrk";

const CLIENTS = 50;
const LOAD_SECONDS = 12;
const STOP_AT_MS = 4000;
/** How long the server stays out before `docker start`, once HAProxy has marked it DOWN. */
const OUT_FOR_MS = 1000;
const TARGET = { maxLatencyMs: 3000, outMs: 3000, backMs: 5000 };

export interface Round {
    readonly how: "kill" | "stop";
    readonly wrk: WrkResult;
    /** From the kill (or the start of `docker stop`) to HAProxy's DOWN. */
    readonly outMs: number;
    /** From `docker start` to HAProxy's UP. */
    readonly backMs: number;
    /** What HAProxy logged of requests that did not end 200 meanwhile, counted: why requests failed. */
    readonly unusual: string;
}

/** HAProxy's log lines since `since` of requests that did not end 200, counted by status, termination state and server. */
async function unusualRequests(stack: BenchStack, since: number): Promise<string> {
    const logs = await dockerRun(["logs", "--since", `${Math.ceil((Date.now() - since) / 1000) + 1}s`, stack.haproxy.container]);
    const counts = new Map<string, number>();
    for (const line of `${logs.stdout}\n${logs.stderr}`.split("\n")) {
        // httplog: ... frontend backend/server Tq/Tw/Tc/Tr/Ta status bytes cookie cookie termination-state ...
        const m = / (\S+\/\S+) [-+\d]+\/[-+\d]+\/[-+\d]+\/[-+\d]+\/[-+\d]+ (\d{3}) [-+\d]+ \S+ \S+ (\S{4}) /.exec(line);
        if (!m || m[2] === "200") continue;
        const key = `${m[2]} ${m[3]} ${m[1]}`;
        counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    return [...counts].map(([k, n]) => `${n}x ${k}`).join(", ");
}

/** HAProxy's stats CSV, read from the host over the metrics network (a bridge the host is on), else with docker exec. */
async function statusOf(stack: BenchStack, server: string): Promise<string | undefined> {
    const csv = await new Promise<string>((resolve, reject) => {
        const req = http.get({ host: stack.haproxy.stats, port: 8404, path: "/stats;csv", timeout: 1000 }, (res) => {
            let body = "";
            res.on("data", (d: Buffer) => (body += d.toString()));
            res.on("end", () => resolve(body));
        });
        req.on("timeout", () => req.destroy(new Error("stats timed out")));
        req.on("error", reject);
    }).catch(() => undefined);
    if (csv === undefined) return (await backendStatus(stack.haproxy.container, stack.haproxy.stats))[server];
    const rows = csv.split("\n").map((l) => l.split(","));
    const header = rows[0].map((h) => h.replace(/^# /, ""));
    const [px, sv, st] = ["pxname", "svname", "status"].map((h) => header.indexOf(h));
    return rows.find((r) => r[px] === "web" && r[sv] === server)?.[st];
}

/** Milliseconds from `since` until HAProxy shows `server` with `status` (polled every 50 ms). */
async function until(stack: BenchStack, server: string, status: string, since: number, timeoutMs: number): Promise<number> {
    let last: string | undefined;
    while (Date.now() - since < timeoutMs) {
        last = await statusOf(stack, server).catch(() => undefined);
        if (last === status) return Date.now() - since;
        await sleep(50);
    }
    throw new Error(`HAProxy did not show ${server} ${status} within ${timeoutMs} ms (last ${last})`);
}

export async function failoverRound(stack: BenchStack, how: "kill" | "stop"): Promise<Round> {
    const server = stack.webServers[0];
    const containers = await labelledContainers(stack.name, ["foobar.server", server]);
    if (containers.length === 0) throw new Error(`no containers labelled foobar.server=${server}`);
    log(`failover (${how}): ${containers.join(", ")} under ${CLIENTS} clients`);
    const load = runWrk({ url: `${stack.base}/`, host: stack.host, connections: CLIENTS, seconds: LOAD_SECONDS, timeoutSeconds: 10 });
    load.catch(() => undefined); // awaited below
    await sleep(STOP_AT_MS);
    const stoppedAt = Date.now();
    const stopping =
        how === "kill" ? docker(["kill", "--signal", "KILL", ...containers]) : docker(["stop", ...containers], { timeoutMs: 60_000 });
    stopping.catch(() => undefined); // awaited below
    let outMs: number;
    let backMs: number;
    try {
        outMs = await until(stack, server, "DOWN", stoppedAt, 30_000);
        await stopping;
        await sleep(OUT_FOR_MS);
        const startedAt = Date.now();
        await docker(["start", ...containers]);
        backMs = await until(stack, server, "UP", startedAt, 60_000);
    } catch (err) {
        // Whatever went wrong, the server comes back for what the bench measures next.
        await stopping.catch(() => undefined);
        await docker(["start", ...containers]).catch(() => undefined);
        throw err;
    }
    const wrk = await load;
    const unusual = await unusualRequests(stack, stoppedAt - STOP_AT_MS);
    // Back to where the next measurement expects the stack: serving from every web server, replicating.
    await waitServing(stack.site, stack.webServers, 60_000);
    if (stack.replicas.length > 0) await waitReplicating(stack.replicas, 60_000);
    return { how, wrk, outMs, backMs, unusual };
}

const summary = (r: Round): string =>
    `${failedRequests(r.wrk)} failed, max ${fmtMs(r.wrk.maxMs)}, out ${seconds(r.outMs)}, back ${seconds(r.backMs)}`;

export function failoverRow(kill: Round, stop: Round | undefined, stopError?: string): Row {
    const misses = [
        failedRequests(kill.wrk) > 0 ? `${failedRequests(kill.wrk)} failed requests` : "",
        kill.wrk.maxMs > TARGET.maxLatencyMs ? `a response took ${fmtMs(kill.wrk.maxMs)}` : "",
        kill.outMs > TARGET.outMs ? `out of rotation after ${seconds(kill.outMs)}` : "",
        kill.backMs > TARGET.backMs ? `back after ${seconds(kill.backMs)}` : "",
    ].filter(Boolean);
    return {
        id: "4",
        what: `Failover: SIGKILL of a web server (all its containers) under ${CLIENTS} keep-alive HTTPS clients`,
        target: `0 failed, max latency <= ${seconds(TARGET.maxLatencyMs, 0)}, out <= ${seconds(TARGET.outMs, 0)}, back <= ${seconds(TARGET.backMs, 0)} after start`,
        measured: summary(kill),
        reference: stop ? `docker stop: ${summary(stop)}` : `docker stop: not measured (${stopError})`,
        ratio: stop
            ? `out ${(kill.outMs / stop.outMs).toFixed(2)}x, max latency ${(kill.wrk.maxMs / stop.wrk.maxMs).toFixed(2)}x stop`
            : "-",
        met: misses.length === 0,
        details: [
            `SIGKILL (docker kill --signal KILL, at ${STOP_AT_MS / 1000} s of ${LOAD_SECONDS} s of GET /): ${describeWrk(kill.wrk)}.`,
            ...(stop ? [`docker stop (graceful), same load: ${describeWrk(stop.wrk)}.`] : []),
            "Out: from the kill (or the start of docker stop) to DOWN in HAProxy's stats; back: from docker start to UP. " +
                `The server was started ${OUT_FOR_MS / 1000} s after it was DOWN, during the load.`,
            ...[kill, stop]
                .filter((r): r is Round => r !== undefined && r.unusual !== "")
                .map((r) => `HAProxy's log of requests that did not end 200 (${r.how}): ${r.unusual} (status, termination state, server).`),
            ...(misses.length > 0 ? [`Missed: ${misses.join("; ")}.`] : []),
        ],
    };
}
