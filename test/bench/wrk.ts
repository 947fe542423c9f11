// Runs wrk and reads its summary: throughput, latency percentiles, the slowest response, and every
// kind of failure it counts (socket errors by kind, timeouts, responses with a status >= 400).
import { spawn } from "child_process";

export interface WrkOptions {
    readonly url: string;
    /** The Host header; left to wrk (the URL's authority) when absent. */
    readonly host?: string;
    readonly connections: number;
    readonly seconds: number;
    readonly threads?: number;
    /**
     * wrk counts a response slower than this as a timeout and leaves it out of the latency figures.
     * Long, so that a slow response shows as a latency, not as a hole in the distribution.
     */
    readonly timeoutSeconds?: number;
}

export interface WrkResult {
    readonly requests: number;
    readonly rps: number;
    readonly p50Ms: number;
    readonly p99Ms: number;
    readonly maxMs: number;
    readonly connectErrors: number;
    readonly readErrors: number;
    readonly writeErrors: number;
    readonly timeouts: number;
    /** wrk's "Non-2xx or 3xx responses": status 400 and above. */
    readonly non2xx: number;
}

/** Requests that did not end in a 2xx/3xx response: socket errors, timeouts and status >= 400. */
export const failedRequests = (r: WrkResult): number => r.connectErrors + r.readErrors + r.writeErrors + r.timeouts + r.non2xx;

/** wrk's durations ("812.00us", "4.21ms", "1.30s", "1.02m") in milliseconds. */
export function durationMs(text: string): number {
    const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
    if (!m) throw new Error(`wrk: unexpected duration ${JSON.stringify(text)}`);
    const scale: Record<string, number> = { us: 0.001, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    return Number(m[1]) * scale[m[2]];
}

/** Reads wrk's --latency summary; throws when a figure every run prints is missing. */
export function parseWrk(out: string): WrkResult {
    const need = (re: RegExp, what: string): string => {
        const m = re.exec(out);
        if (!m) throw new Error(`wrk output has no ${what}:\n${out}`);
        return m[1];
    };
    const errors = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    return {
        requests: Number(need(/(\d+) requests in/, "request count")),
        rps: Number(need(/Requests\/sec:\s+([\d.]+)/, "Requests/sec")),
        p50Ms: durationMs(need(/^\s+50%\s+(\S+)/m, "50th percentile")),
        p99Ms: durationMs(need(/^\s+99%\s+(\S+)/m, "99th percentile")),
        maxMs: durationMs(need(/^\s+Latency\s+\S+\s+\S+\s+(\S+)/m, "Max latency")),
        connectErrors: Number(errors?.[1] ?? 0),
        readErrors: Number(errors?.[2] ?? 0),
        writeErrors: Number(errors?.[3] ?? 0),
        timeouts: Number(errors?.[4] ?? 0),
        non2xx: Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0),
    };
}

/** Runs wrk until its -d ends and parses its summary; throws when wrk fails or prints no summary. */
export function runWrk(o: WrkOptions): Promise<WrkResult> {
    const args = [
        `-t${o.threads ?? 2}`,
        `-c${o.connections}`,
        `-d${o.seconds}s`,
        `--timeout`,
        `${o.timeoutSeconds ?? 10}s`,
        "--latency",
        ...(o.host ? ["-H", `Host: ${o.host}`] : []),
        o.url,
    ];
    return new Promise((resolve, reject) => {
        const child = spawn("wrk", args, { stdio: ["ignore", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        // wrk ends by itself after -d; a wrk that hangs well past it is killed and reported.
        const timer = setTimeout(() => child.kill("SIGKILL"), (o.seconds + (o.timeoutSeconds ?? 10) + 30) * 1000);
        child.stdout.on("data", (d: Buffer) => out.push(d));
        child.stderr.on("data", (d: Buffer) => err.push(d));
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`wrk could not run: ${e.message}`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            const text = Buffer.concat(out).toString();
            if (code !== 0) reject(new Error(`wrk ${args.join(" ")} exited ${code}: ${Buffer.concat(err).toString()}${text}`));
            else {
                try {
                    resolve(parseWrk(text));
                } catch (e) {
                    reject(e);
                }
            }
        });
    });
}

/** One line for the report: "6,210 req/s, p50 4.2 ms, p99 11 ms, max 40 ms, 0 failed". */
export function describeWrk(r: WrkResult): string {
    const failed = failedRequests(r);
    const kinds = [
        ["connect", r.connectErrors],
        ["read", r.readErrors],
        ["write", r.writeErrors],
        ["timeout", r.timeouts],
        ["status>=400", r.non2xx],
    ]
        .filter(([, n]) => Number(n) > 0)
        .map(([k, n]) => `${k} ${n}`)
        .join(", ");
    return `${fmtRate(r.rps)} req/s, p50 ${fmtMs(r.p50Ms)}, p99 ${fmtMs(r.p99Ms)}, max ${fmtMs(r.maxMs)}, ${failed} failed${kinds ? ` (${kinds})` : ""}`;
}

export const fmtRate = (n: number): string => Math.round(n).toLocaleString("en-US");

export function fmtMs(ms: number): string {
    if (ms >= 1000) return `${(ms / 1000).toFixed(2)} s`;
    if (ms >= 10) return `${ms.toFixed(0)} ms`;
    return `${ms.toFixed(1)} ms`;
}
