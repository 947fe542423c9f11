// Keep-alive HTTPS clients that loop on the site's home page, as browsers and API clients do: each
// keeps one connection to HAProxy open across its requests, so a failover is judged by what such
// a client sees (a request in flight on a server that dies, not only new connections).
import * as https from "https";
import { Site } from "./probes";

export interface KeepAliveResult {
    readonly ok: number;
    /** One line per request that failed: a non-200 status, a socket error or a client timeout. */
    readonly failures: string[];
    readonly slowestMs: number;
    /** The slowest requests (start time relative to the loop's start, duration), for failure messages. */
    readonly slowest: Array<{ readonly atMs: number; readonly ms: number; readonly status: string }>;
    readonly servedBy: ReadonlyMap<string, number>;
    /** The most requests that failed for any one client. */
    readonly mostFailuresOfOneClient: number;
}

/** One GET on the agent's connection; resolves with its status and the server that answered. */
function get(site: Site, agent: https.Agent, timeoutMs: number): Promise<{ status: number; servedBy: string }> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            {
                host: site.address,
                port: site.httpsPort,
                path: "/",
                servername: site.domain,
                headers: { Host: `${site.domain}:${site.httpsPort}` },
                ca: site.ca,
                agent,
                timeout: timeoutMs,
            },
            (res) => {
                res.resume();
                res.on("end", () => resolve({ status: res.statusCode ?? 0, servedBy: String(res.headers["x-served-by"]) }));
                res.on("error", reject);
            },
        );
        req.on("timeout", () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
        req.on("error", reject);
        req.end();
    });
}

/**
 * `clients` loops, each on its own keep-alive connection (reopened only if HAProxy closes it),
 * until stop(). A client gives up on a request after timeoutMs: that counts as a failure.
 */
export function keepAliveClients(
    site: Site,
    clients: number,
    timeoutMs = 10_000,
): { stop: () => Promise<KeepAliveResult>; inFlight: () => number } {
    let running = true;
    let outstanding = 0;
    const started = Date.now();
    const failures: string[] = [];
    const servedBy = new Map<string, number>();
    const timings: Array<{ atMs: number; ms: number; status: string }> = [];
    let ok = 0;
    const failuresByClient = Array.from({ length: clients }, () => 0);
    const loops = Array.from({ length: clients }, async (_, client) => {
        const agent = new https.Agent({ keepAlive: true, maxSockets: 1 });
        try {
            while (running) {
                const at = Date.now();
                let status: string;
                outstanding++;
                try {
                    const r = await get(site, agent, timeoutMs);
                    status = String(r.status);
                    if (r.status === 200) {
                        ok++;
                        servedBy.set(r.servedBy, (servedBy.get(r.servedBy) ?? 0) + 1);
                    } else {
                        failures.push(`status ${r.status} at ${at - started} ms`);
                        failuresByClient[client]++;
                    }
                } catch (err) {
                    status = err instanceof Error ? err.message : String(err);
                    failures.push(`${status} at ${at - started} ms`);
                    failuresByClient[client]++;
                } finally {
                    outstanding--;
                }
                timings.push({ atMs: at - started, ms: Date.now() - at, status });
            }
        } finally {
            agent.destroy();
        }
    });
    return {
        /** Requests sent and not yet answered (nor failed), now. */
        inFlight: () => outstanding,
        stop: async () => {
            running = false;
            await Promise.all(loops);
            const slowest = [...timings].sort((a, b) => b.ms - a.ms).slice(0, 5);
            return {
                ok,
                failures,
                slowestMs: slowest[0]?.ms ?? 0,
                slowest,
                servedBy,
                mostFailuresOfOneClient: Math.max(0, ...failuresByClient),
            };
        },
    };
}
