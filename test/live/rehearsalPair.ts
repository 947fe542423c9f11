// The pair of load balancers in the boot rehearsal (lb.count 2, as the staging stack sets it): each
// instance booted from its own user data serves the site to connections that arrive as the NLB
// passes them on (rehearsalNlb.ts), takes the client's address from their PROXY header, answers
// the NLB's health check, and stops softly: 503 on the health check through its grace time while
// it still serves, then gone.
import * as assert from "node:assert/strict";
import { HAPROXY_ADMIN_SOCKET } from "../../components/render/haproxy";
import { sleep } from "./docker";
import { Instance } from "./instances";
import { waitFor } from "./poll";
import { Site, getHttp, getHttps } from "./probes";
import { Endpoint, ProxyRelay, RawReply, nlbHealthCheck, rawHttp, startProxyRelay } from "./rehearsalNlb";

export const HEALTH_PORT = 8405;
export const HEALTH_PATH = "/healthz";

export interface PairMember {
    readonly server: string;
    readonly instance: Instance;
    readonly privateIp: string;
}

/** The site as a client of the NLB reaches it through one HAProxy: relays for 443 and 80 on `host`. */
export async function siteThrough(
    host: string,
    member: PairMember,
    base: Omit<Site, "address" | "httpsPort" | "httpPort">,
    client?: Endpoint,
): Promise<{ site: Site; relays: ProxyRelay[] }> {
    const https = await startProxyRelay(host, { address: member.privateIp, port: 443 }, client);
    const http = await startProxyRelay(host, { address: member.privateIp, port: 80 }, client);
    return { site: { ...base, address: host, httpsPort: https.port, httpPort: http.port }, relays: [https, http] };
}

/**
 * Serves through PROXY protocol: HTTPS 200 with the page, HTTP redirected; HAProxy's request log
 * names the client the header named, not the relay's address; a connection without the header is
 * refused. Returns how long the checks took.
 */
export async function checkServesThroughProxy(
    host: string,
    member: PairMember,
    base: Omit<Site, "address" | "httpsPort" | "httpPort">,
    client: Endpoint,
): Promise<number> {
    const started = Date.now();
    const { site, relays } = await siteThrough(host, member, base, client);
    try {
        const page = await getHttps(site);
        assert.equal(page.status, 200, member.server);
        assert.match(page.body, /<title>www\.foobar\.com<\/title>/);
        const http = await getHttp(site, "/a?b=1");
        assert.deepEqual([http.status, http.headers.location], [301, "https://www.foobar.com/a?b=1"], member.server);
        // HAProxy's log (and so X-Forwarded-For, `option forwardfor`: the same source) has the client from the header.
        const log = await member.instance.exec(["sh", "-c", `echo "show events requests" | socat stdio ${HAPROXY_ADMIN_SOCKET}`]);
        // The relay connects from the host's own address: only the header can have told HAProxy this one.
        const lines = log.split("\n").filter((l) => l.startsWith(`${client.address}:${client.port} `));
        assert.equal(lines.length, 2, `${member.server}'s request log:\n${log}`);
    } finally {
        for (const r of relays) await r.close();
    }
    // Without the NLB's header, HAProxy takes nothing: not on 443, not on 80.
    await assert.rejects(
        getHttps({ ...base, address: member.privateIp, httpsPort: 443, httpPort: 80 }, "/", { timeoutMs: 3000 }),
        Error,
        `${member.server} took TLS without a PROXY header`,
    );
    const plain = await rawHttp({ address: member.privateIp, port: 80 }, Buffer.alloc(0), "/", "www.foobar.com");
    // No answer at all: HAProxy drops (or resets) a connection whose first bytes are no PROXY header.
    assert.equal(plain.status, 0, `${member.server} answered without a PROXY header: ${plain.line}`);
    return Date.now() - started;
}

const health = (member: PairMember): Promise<RawReply> => nlbHealthCheck(member.privateIp, HEALTH_PORT, HEALTH_PATH);

/** Waits until the NLB's health check gets `status` (0: no answer at all); returns when, in ms. */
async function waitHealth(member: PairMember, status: number, timeoutMs: number): Promise<number> {
    const started = Date.now();
    let last: RawReply | undefined;
    while (Date.now() - started < timeoutMs) {
        last = await health(member);
        if (last.status === status) return Date.now() - started;
        await sleep(100);
    }
    throw new Error(`${member.server}: the NLB's health check did not get ${status} within ${timeoutMs} ms (last: ${last?.line})`);
}

/** The NLB's health check gets 200 from the HAProxy of each member. */
export async function checkHealthy(members: readonly PairMember[]): Promise<void> {
    for (const m of members) {
        const r = await health(m);
        assert.equal(
            r.status,
            200,
            `${m.server}: the NLB's health check (PROXY v2 LOCAL, GET ${HEALTH_PATH} on ${HEALTH_PORT}) got "${r.line}"`,
        );
    }
}

export interface SoftStop {
    /** From the stop to the first 503 on the health check. */
    readonly failingAfterMs: number;
    /** From the stop to the moment HAProxy stopped answering at all: its grace. */
    readonly goneAfterMs: number;
    /** Requests served during the grace, each with Connection: close. */
    readonly servedInGrace: number;
    /** From the start to the first 200 on the health check again. */
    readonly backAfterMs: number;
}

/**
 * `systemctl stop haproxy`, as an instance's shutdown does: the health check fails at once (the NLB
 * takes the instance out within its 2 checks 5 s apart) while HAProxy still serves through its
 * grace, ending each connection after its response; then it is gone. Then it starts again.
 */
export async function checkSoftStop(
    host: string,
    member: PairMember,
    base: Omit<Site, "address" | "httpsPort" | "httpPort">,
    graceMs: number,
): Promise<SoftStop> {
    const { site, relays } = await siteThrough(host, member, base);
    try {
        const stopped = Date.now();
        await member.instance.exec(["systemctl", "--no-block", "stop", "haproxy"]);
        const failingAfterMs = await waitHealth(member, 503, 3000);
        let servedInGrace = 0;
        const checks: number[] = [];
        // Serve while the health check fails, until HAProxy has gone.
        while (Date.now() - stopped < graceMs + 10_000) {
            const check = (await health(member)).status;
            if (check === 0) break;
            checks.push(check);
            const reply = await getHttps(site, "/", { timeoutMs: 3000 }).catch(() => undefined);
            if (!reply) break;
            assert.deepEqual([reply.status, reply.headers.connection], [200, "close"], `${member.server} in its grace`);
            servedInGrace++;
            await sleep(250);
        }
        const goneAfterMs = Date.now() - stopped;
        assert.deepEqual([...new Set(checks)], [503], "the health check fails through the whole grace");
        assert.ok(
            goneAfterMs >= graceMs - 1000 && goneAfterMs <= graceMs + 5000,
            `${member.server} served ${goneAfterMs} ms after its stop`,
        );
        assert.equal((await health(member)).status, 0, "nothing answers once the grace is over");
        // Its unit has stopped (the stop job is done) before it starts again.
        await waitFor(`${member.server}'s haproxy unit inactive`, 40_000, async () =>
            (await member.instance.run(["systemctl", "is-active", "haproxy"])).stdout.trim() === "inactive" ? true : undefined,
        );
        const started = Date.now();
        await member.instance.exec(["systemctl", "start", "haproxy"]);
        await waitHealth(member, 200, 30_000);
        const backAfterMs = Date.now() - started;
        assert.equal((await getHttps(site)).status, 200);
        return { failingAfterMs, goneAfterMs, servedInGrace, backAfterMs };
    } finally {
        for (const r of relays) await r.close();
        // Whatever failed, the instance serves again for what comes next (a no-op when it already runs).
        await member.instance.run(["systemctl", "start", "haproxy"]);
    }
}
