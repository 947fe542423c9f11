// Probes of the running site, from the host over loopback only (the published ports).
import * as http from "http";
import * as https from "https";
import * as tls from "tls";
import { CapturedStack } from "./capture";
import { docker, dockerRun, sleep } from "./docker";
import { waitFor } from "./poll";
import { TYPES } from "../helpers/pulumiMocks";

export interface Reply {
    readonly status: number;
    readonly headers: http.IncomingHttpHeaders;
    readonly body: string;
}

export interface Site {
    readonly domain: string;
    readonly address: string;
    readonly httpsPort: number;
    readonly httpPort: number;
    readonly ca: string;
}

/** Where and how to reach the site, read from the outputs and the registered haproxy container. */
export function siteOf(captured: CapturedStack): Site {
    const url = new URL(captured.outputs.url);
    const [address, port] = captured.outputs.loadBalancerAddress.split(":");
    const haproxy = captured.resources.find(
        (r) => r.type === TYPES.container && r.inputs.labels.some((l: { label: string; value: string }) => l.value === "haproxy"),
    );
    if (!haproxy) throw new Error("the stack registers no haproxy container");
    // A pair's HAProxies publish nothing: the virtual IP (loadBalancerAddress) is reached on 80 and 443 themselves.
    const published: Array<{ internal: number; external: number }> | undefined = haproxy.inputs.ports;
    const http = published ? published.find((p) => p.internal === 80)?.external : 80;
    if (http === undefined) throw new Error("the haproxy container publishes no HTTP port");
    return { domain: url.hostname, address, httpsPort: Number(port), httpPort: http, ca: captured.outputs.caCertificatePem };
}

/** One HTTPS request on a fresh connection, verified against `ca` for the site's domain. */
export function getHttps(site: Site, path = "/", options: { ca?: string | null; timeoutMs?: number } = {}): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = https.request(
            {
                host: site.address,
                port: site.httpsPort,
                path,
                servername: site.domain,
                headers: { Host: `${site.domain}:${site.httpsPort}` },
                ca: options.ca === null ? undefined : (options.ca ?? site.ca),
                agent: false,
                timeout: options.timeoutMs ?? 10_000,
            },
            (res) => collect(res, resolve, reject),
        );
        req.on("timeout", () => req.destroy(new Error("request timed out")));
        req.on("error", reject);
        req.end();
    });
}

/** The certificate the site serves for its domain (SNI), verified against the site's CA. */
export function servedCertificate(site: Site): Promise<tls.PeerCertificate> {
    return new Promise((resolve, reject) => {
        const socket = tls.connect({ host: site.address, port: site.httpsPort, servername: site.domain, ca: site.ca }, () => {
            const cert = socket.getPeerCertificate();
            socket.end();
            resolve(cert);
        });
        socket.setTimeout(5000, () => socket.destroy(new Error(`TLS to ${site.address}:${site.httpsPort} timed out`)));
        socket.on("error", reject);
    });
}

export function getHttp(site: Site, path = "/"): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                host: site.address,
                port: site.httpPort,
                path,
                headers: { Host: `${site.domain}:${site.httpPort}` },
                agent: false,
                timeout: 10_000,
            },
            (res) => collect(res, resolve, reject),
        );
        req.on("timeout", () => req.destroy(new Error("request timed out")));
        req.on("error", reject);
        req.end();
    });
}

function collect(res: http.IncomingMessage, resolve: (r: Reply) => void, reject: (e: Error) => void): void {
    const chunks: Buffer[] = [];
    res.on("data", (c) => chunks.push(c));
    res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
    res.on("error", reject);
}

/** Waits until `count` successive requests come back 200 and cover `servers` (balancer settled). */
export async function waitServing(site: Site, servers: readonly string[], timeoutMs = 90_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    while (Date.now() < deadline) {
        const seen = new Set<string>();
        try {
            for (let i = 0; i < servers.length * 2; i++) {
                const r = await getHttps(site);
                last = `${r.status} ${r.headers["x-served-by"]}`;
                if (r.status === 200) seen.add(String(r.headers["x-served-by"]));
            }
            if (servers.every((s) => seen.has(s))) return;
        } catch (err) {
            last = String(err);
        }
        await sleep(500);
    }
    throw new Error(`site did not serve from ${servers.join(", ")} within ${timeoutMs} ms (last: ${last})`);
}

/**
 * Waits until the latest answer of each of `servers` was read from a replica. An app whose replica
 * failed (e.g. before replication brought it the app's user) reads from the primary for a few
 * seconds before trying the replica again (app/src/store.ts, readerRetryMs).
 */
export async function waitReadingFromReplica(site: Site, servers: readonly string[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    const latest = new Map<string, string>();
    return waitFor(
        "every web server reading from a replica",
        timeoutMs,
        async () => {
            const r = await getHttps(site);
            if (r.status === 200) latest.set(String(r.headers["x-served-by"]), String(r.headers["x-read-from"]));
            if (servers.every((s) => latest.get(s) === "replica")) return Date.now() - started;
            throw new Error(`latest read sources: ${JSON.stringify(Object.fromEntries(latest))}`);
        },
        50,
    );
}

/** Waits until `runs` successive answers all come from `servers` (the others are out of rotation). */
export async function waitOnlyFrom(site: Site, servers: readonly string[], timeoutMs: number, runs = 6): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let streak = 0;
    while (Date.now() < deadline) {
        const r = await getHttps(site).catch(() => undefined);
        streak = r?.status === 200 && servers.includes(String(r.headers["x-served-by"])) ? streak + 1 : 0;
        if (streak >= runs) return;
    }
    throw new Error(`answers did not come only from ${servers.join(", ")} within ${timeoutMs} ms`);
}

/** HAProxy's own view of each web server (UP, DOWN, ...), from its stats CSV on the internal port. */
export async function backendStatus(haproxyContainer: string, statsAddress: string): Promise<Record<string, string>> {
    const csv = await execIn(haproxyContainer, ["curl", "-fsS", `http://${statsAddress}:8404/stats;csv`]);
    const rows = csv.split("\n").map((line) => line.split(","));
    const header = rows[0].map((h) => h.replace(/^# /, ""));
    const [px, sv, status] = ["pxname", "svname", "status"].map((h) => header.indexOf(h));
    return Object.fromEntries(rows.filter((r) => r[px] === "web" && r[sv]?.startsWith("server-")).map((r) => [r[sv], r[status]]));
}

export async function waitBackend(
    haproxyContainer: string,
    statsAddress: string,
    want: Record<string, string>,
    timeoutMs: number,
): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: Record<string, string> | string = {};
    while (Date.now() < deadline) {
        try {
            last = await backendStatus(haproxyContainer, statsAddress);
            const seen = last;
            if (Object.entries(want).every(([server, status]) => seen[server] === status)) return;
        } catch (err) {
            // A just-started HAProxy may not listen on its stats port yet: keep asking until the deadline.
            last = String(err);
        }
        await sleep(200);
    }
    throw new Error(`HAProxy never saw ${JSON.stringify(want)} within ${timeoutMs} ms; last ${JSON.stringify(last)}`);
}

/** Container names of one server of the stack, by label (what "stopping a server" means here). */
/** The stack's containers (stopped ones too) carrying one `foobar.*` label, e.g. ["foobar.server", "server-1"]. */
export async function labelledContainers(stackName: string, [key, value]: readonly [string, string]): Promise<string[]> {
    const out = await docker([
        "ps",
        "-a",
        "--format",
        "{{.Names}}",
        "--filter",
        `label=foobar.stack=${stackName}`,
        "--filter",
        `label=${key}=${value}`,
    ]);
    return out.split(/\s+/).filter(Boolean).sort();
}

export interface LoopResult {
    readonly ok: number;
    readonly failures: string[];
    readonly servedBy: Map<string, number>;
    /** The X-Visit-Id of every acknowledged (200) response. */
    readonly visitIds: number[];
    /** The longest any request took, in ms. */
    readonly slowestMs: number;
}

/** Sequential HTTPS requests from `workers` loops until stop() is called. */
export function requestLoop(site: Site, workers = 4): { stop: () => Promise<LoopResult> } {
    let running = true;
    const result = { ok: 0, failures: [] as string[], servedBy: new Map<string, number>(), visitIds: [] as number[], slowestMs: 0 };
    const loops = Array.from({ length: workers }, async () => {
        while (running) {
            const started = Date.now();
            try {
                const r = await getHttps(site, "/", { timeoutMs: 15_000 });
                if (r.status !== 200) result.failures.push(`status ${r.status}: ${r.body.slice(0, 80)}`);
                else {
                    result.ok++;
                    result.visitIds.push(Number(r.headers["x-visit-id"]));
                    const by = String(r.headers["x-served-by"]);
                    result.servedBy.set(by, (result.servedBy.get(by) ?? 0) + 1);
                }
            } catch (err) {
                result.failures.push(String(err));
            }
            result.slowestMs = Math.max(result.slowestMs, Date.now() - started);
        }
    });
    return {
        stop: async () => {
            running = false;
            await Promise.all(loops);
            return result;
        },
    };
}

/** Runs a command in a container; returns its trimmed stdout or throws. */
export async function execIn(container: string, command: readonly string[]): Promise<string> {
    return (await docker(["exec", container, ...command])).trim();
}

export async function canConnect(fromImage: string, network: string, host: string, port: number): Promise<boolean> {
    const probe = `require("net").connect(${port}, ${JSON.stringify(host)}).on("connect", () => process.exit(0)).on("error", () => process.exit(1)).setTimeout(1500, () => process.exit(2))`;
    const r = await dockerRun(["run", "--rm", "--network", network, "--entrypoint", "node", fromImage, "-e", probe], { timeoutMs: 30_000 });
    return r.code === 0;
}

export interface ReplicationState {
    readonly container: string;
    /** Both replication threads run: the IO thread is connected to the primary, the SQL thread applies. */
    readonly running: boolean;
    /** One line for failure messages: thread states, last errors, GTID positions. */
    readonly summary: string;
}

/** A replica's replication state, read with SHOW SLAVE STATUS inside its container. */
export async function replicationState(container: string): Promise<ReplicationState> {
    const status = await docker(["exec", container, "mariadb", "-e", "SHOW SLAVE STATUS\\G"]).catch((e: Error) => e.message);
    const fields = new Map(
        status
            .split("\n")
            .map((l) => /^\s*(\w+): ?(.*)$/.exec(l))
            .filter((m): m is RegExpExecArray => m !== null)
            .map((m) => [m[1], m[2]]),
    );
    const shown = ["Slave_IO_State", "Slave_IO_Running", "Slave_SQL_Running", "Last_IO_Error", "Last_SQL_Error", "Gtid_IO_Pos"];
    const gtid = await docker(["exec", container, "mariadb", "-N", "-B", "-e", "SELECT @@gtid_binlog_pos, @@gtid_slave_pos"]).catch(
        (e: Error) => e.message,
    );
    return {
        container,
        running: fields.get("Slave_IO_Running") === "Yes" && fields.get("Slave_SQL_Running") === "Yes",
        summary: `${container}: ${shown.map((f) => `${f}: ${fields.get(f) ?? "?"}`).join("; ")}; binlog/slave pos: ${gtid.trim().replace(/\t/g, " / ")}`,
    };
}

/**
 * Waits until every replica's IO thread is connected and its SQL thread applying. A replica that
 * boots before its primary retries every MASTER_CONNECT_RETRY seconds, so "the site serves" can
 * come a few seconds before "every replica replicates"; until then the app reads from the primary.
 */
export async function waitReplicating(containers: readonly string[], timeoutMs: number): Promise<number> {
    const started = Date.now();
    return waitFor(
        "every replica replicating",
        timeoutMs,
        async () => {
            const states = await Promise.all(containers.map(replicationState));
            if (states.every((s) => s.running)) return Date.now() - started;
            throw new Error(`\n${states.map((s) => s.summary).join("\n")}`);
        },
        250,
    );
}

/**
 * Milliseconds until visit `id` is on each of `containers` (MariaDB replicas), docker exec
 * included; fails with the replica's replication state once `withinMs` have passed.
 */
export async function visitLag(containers: readonly string[], id: number, withinMs: number): Promise<number[]> {
    const started = Date.now();
    const lag: number[] = [];
    for (const name of containers) {
        const count = () =>
            execIn(name, ["mariadb", "-N", "-B", "-e", `SELECT COUNT(*) FROM foobar.visits WHERE id = ${id}`]).catch(
                (e: Error) => e.message,
            );
        while ((await count()) !== "1") {
            if (Date.now() - started > withinMs) {
                throw new Error(`visit ${id} not on ${name} after ${withinMs} ms: ${(await replicationState(name)).summary}`);
            }
            await sleep(50);
        }
        lag.push(Date.now() - started);
    }
    return lag;
}
