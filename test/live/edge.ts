// Probes of the web edge from the host over loopback: requests with any Host, the security
// headers HAProxy adds, the page's assets against its CSP, and the cipher a TLS 1.2 client gets.
import * as http from "http";
import * as assert from "node:assert/strict";
import * as tls from "tls";
import { HSTS, SECURITY_HEADERS } from "../../components/render/haproxy";
import { Reply, Site } from "./probes";

/** One HTTP request on the site's HTTP port with any request target and Host header. */
export function httpWithHost(site: Site, requestPath: string, host: string): Promise<Reply> {
    return new Promise((resolve, reject) => {
        const options = {
            host: site.address,
            port: site.httpPort,
            path: requestPath,
            headers: { Host: host },
            agent: false,
            timeout: 10_000,
        };
        const req = http.request(options, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }));
        });
        req.on("timeout", () => req.destroy(new Error("request timed out")));
        req.on("error", reject);
        req.end();
    });
}

/** Every security header with its exact value; HSTS only over TLS. */
export function assertEdgeHeaders(r: Reply, overTls: boolean, what: string): void {
    for (const [name, value] of Object.entries(SECURITY_HEADERS)) assert.equal(r.headers[name.toLowerCase()], value, `${what}: ${name}`);
    assert.equal(r.headers["strict-transport-security"], overTls ? HSTS : undefined, `${what}: Strict-Transport-Security`);
}

/** The CSP as directive → sources; a directive it lacks falls back to default-src. */
export function cspSources(directive: string): string[] {
    const policy = new Map(
        SECURITY_HEADERS["Content-Security-Policy"].split(";").map((d) => {
            const [name, ...sources] = d.trim().split(/\s+/);
            return [name, sources] as const;
        }),
    );
    return policy.get(directive) ?? policy.get("default-src") ?? [];
}

/** Every URL the page loads, with the CSP directive that governs it. */
export function pageAssets(html: string): Array<{ url: string; directive: string }> {
    const KINDS: Record<string, string> = { "link stylesheet": "style-src", "link icon": "img-src", img: "img-src", script: "script-src" };
    return (html.match(/<(link|script|img|iframe|object|embed|source|audio|video)\b[^>]*>/gi) ?? []).flatMap((tag) => {
        const attr = (name: string) => new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag)?.[1];
        const element = (/^<(\w+)/.exec(tag)?.[1] ?? "").toLowerCase();
        const url = attr("href") ?? attr("src");
        const kind = element === "link" ? `link ${attr("rel")}` : element;
        return url === undefined ? [] : [{ url, directive: KINDS[kind] ?? `(${kind}: no directive known)` }];
    });
}

/** The cipher of a TLS 1.2 handshake verified against `ca`, or undefined while another certificate is served. */
export function tls12Cipher(site: Site, ca: string): Promise<string | undefined> {
    return new Promise((resolve) => {
        const options = { host: site.address, port: site.httpsPort, servername: site.domain, ca, maxVersion: "TLSv1.2" as const };
        const socket = tls.connect(options, () => {
            const { name } = socket.getCipher();
            socket.end();
            resolve(name);
        });
        socket.setTimeout(5000, () => socket.destroy());
        socket.on("error", () => resolve(undefined));
        socket.on("close", () => resolve(undefined));
    });
}
