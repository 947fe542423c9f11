// The Network Load Balancer's side of the boot rehearsal, as far as a stand-in can go. No NLB runs
// here (no AWS: no Elastic IPs, no nodes in two zones, no AWS health checker deciding where new
// connections go): what this file reproduces is what the NLB does to the bytes a HAProxy receives,
// which is what the instances' user data must cope with.
// - Traffic (target groups with proxyProtocolV2): each connection starts with a PROXY protocol v2
//   header carrying the client's address and port, then the client's bytes, untouched (TCP
//   listeners: TLS ends on HAProxy). A relay on the host does exactly that, per HAProxy.
// - Health checks (HTTP on 8405, /healthz): AWS sends them with a PROXY v2 header too, of the LOCAL
//   command (no client address), once proxy protocol is on for the target group
//   (docs.aws.amazon.com/elasticloadbalancing/latest/network/load-balancer-target-groups.html#health-check-connections).
import * as net from "net";

/** The 12 bytes every PROXY protocol v2 header starts with. */
const SIGNATURE = Buffer.from([0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a]);

export interface Endpoint {
    readonly address: string;
    readonly port: number;
}

/** "::ffff:10.20.0.1" -> "10.20.0.1". */
const ipv4 = (address: string | undefined): string => (address ?? "").replace(/^::ffff:/, "");

/**
 * A PROXY protocol v2 header: the PROXY command over TCP/IPv4 with the client's (source) and the
 * listener's (destination) address, or, without them, the LOCAL command (a health check's).
 */
export function proxyV2Header(source?: Endpoint, destination?: Endpoint): Buffer {
    if (!source || !destination) return Buffer.concat([SIGNATURE, Buffer.from([0x20, 0x00, 0x00, 0x00])]);
    const block = Buffer.alloc(12);
    [source, destination].forEach((e, i) => {
        const octets = e.address.split(".").map(Number);
        if (octets.length !== 4 || octets.some((o) => !(o >= 0 && o <= 255))) throw new Error(`not an IPv4 address: ${e.address}`);
        Buffer.from(octets).copy(block, i * 4);
        block.writeUInt16BE(e.port, 8 + i * 2);
    });
    // Version 2, PROXY; TCP over IPv4; 12 bytes of addresses.
    return Buffer.concat([SIGNATURE, Buffer.from([0x21, 0x11, 0x00, 0x0c]), block]);
}

export interface ProxyRelay {
    /** Where clients connect: the host's address on the VPC stand-in, an ephemeral port. */
    readonly address: string;
    readonly port: number;
    close(): Promise<void>;
}

/**
 * Listens on `host` and relays each connection to `target` behind a PROXY v2 header naming the
 * client: the connection's own source, or `client` (an internet address, as the NLB would pass on).
 */
export function startProxyRelay(host: string, target: Endpoint, client?: Endpoint): Promise<ProxyRelay> {
    const open = new Set<net.Socket>();
    const server = net.createServer({ pauseOnConnect: true }, (downstream) => {
        const source = client ?? { address: ipv4(downstream.remoteAddress), port: downstream.remotePort ?? 0 };
        const destination = { address: ipv4(downstream.localAddress), port: downstream.localPort ?? 0 };
        const upstream = net.connect(target.port, target.address, () => {
            upstream.write(proxyV2Header(source, destination));
            downstream.pipe(upstream);
            upstream.pipe(downstream);
            downstream.resume();
        });
        for (const s of [downstream, upstream]) {
            open.add(s);
            s.on("close", () => open.delete(s));
            // Either side failing ends both, as a reset through the NLB would.
            s.on("error", () => (s === upstream ? downstream : upstream).destroy());
        }
        downstream.on("close", () => upstream.destroy());
        upstream.on("close", () => downstream.destroy());
    });
    return new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, host, () => {
            const { port } = server.address() as net.AddressInfo;
            resolve({
                address: host,
                port,
                close: () =>
                    new Promise<void>((done) => {
                        for (const s of open) s.destroy();
                        server.close(() => done());
                    }),
            });
        });
    });
}

export interface RawReply {
    /** The HTTP status, or 0 when the connection ended without one (refused, reset, closed). */
    readonly status: number;
    /** The status line, or why there was none. */
    readonly line: string;
    readonly headers: Record<string, string>;
}

/** One plain HTTP/1.1 request on a fresh connection, after `header` (a PROXY v2 header, or nothing). */
export function rawHttp(to: Endpoint, header: Buffer, path: string, host: string, timeoutMs = 2000): Promise<RawReply> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        let done = false;
        const finish = (reason: string) => {
            if (done) return;
            done = true;
            socket.destroy();
            const text = Buffer.concat(chunks).toString("latin1");
            const [head] = text.split("\r\n\r\n");
            const [line, ...rest] = head.split("\r\n");
            const status = /^HTTP\/1\.[01] (\d{3}) /.exec(line)?.[1];
            const headers = Object.fromEntries(
                rest.flatMap((l) => {
                    const i = l.indexOf(":");
                    return i > 0 ? [[l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim()]] : [];
                }),
            );
            resolve(status ? { status: Number(status), line, headers } : { status: 0, line: reason, headers: {} });
        };
        const socket = net.connect(to.port, to.address, () => {
            socket.write(Buffer.concat([header, Buffer.from(`GET ${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`)]));
        });
        socket.setTimeout(timeoutMs, () => finish("timed out"));
        socket.on("data", (c: Buffer) => chunks.push(c));
        socket.on("end", () => finish("closed without an answer"));
        socket.on("close", () => finish("closed without an answer"));
        socket.on("error", (e) => finish(e.message));
    });
}

/** HAProxy's health frontend, asked as the NLB's health check asks it: HTTP, after a PROXY v2 LOCAL header. */
export const nlbHealthCheck = (address: string, port: number, path: string): Promise<RawReply> =>
    rawHttp({ address, port }, proxyV2Header(), path, `${address}:${port}`);
