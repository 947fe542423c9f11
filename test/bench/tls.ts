// Target 6: new full TLS handshakes per second against the stack's HAProxy (its ECDSA P-256
// certificate) and against a throwaway HAProxy of the same image and config with an RSA-2048
// certificate, both on the stack's edge network, loaded from the host with openssl s_time.
import { execFileSync, spawn } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { HAPROXY_CERT_PATH, HAPROXY_CONFIG_PATH, haproxyCertBundle } from "../../components/render/haproxy";
import { Row, log, ratio } from "./rows";
import { BenchStack, containerOf } from "./stack";
import { freeAddress, startThrowaway } from "./throwaway";
import { fmtRate } from "./wrk";

const SECONDS = 3;
/** Clients at once: one s_time process per core, so the server, not one client, is the limit. */
const CLIENTS = os.cpus().length;

/** An RSA-2048 key and a self-signed certificate for `domain`, made by openssl, as HAProxy's PEM bundle. */
function rsaBundle(domain: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-bench-rsa-"));
    try {
        const [key, cert] = [path.join(dir, "key.pem"), path.join(dir, "cert.pem")];
        execFileSync(
            "openssl",
            ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2"].concat([
                "-subj",
                `/CN=${domain}`,
                "-addext",
                `subjectAltName=DNS:${domain}`,
            ]),
            { stdio: "ignore" },
        );
        return haproxyCertBundle(fs.readFileSync(cert, "utf8"), fs.readFileSync(key, "utf8"));
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

/** "EC prime256v1" or "RSA 2048": the key of the first certificate in a PEM bundle. */
function keyOf(pem: string): string {
    const cert = new crypto.X509Certificate(pem);
    const key = cert.publicKey;
    const d = key.asymmetricKeyDetails;
    return key.asymmetricKeyType === "ec" ? `ECDSA ${d?.namedCurve}` : `${key.asymmetricKeyType?.toUpperCase()} ${d?.modulusLength}`;
}

/** One s_time client: full handshakes (-new: no session reuse) for SECONDS; returns its count. */
function sTime(target: string): Promise<number> {
    return new Promise((resolve, reject) => {
        const child = spawn("openssl", ["s_time", "-connect", target, "-new", "-time", String(SECONDS)], {
            stdio: ["ignore", "pipe", "pipe"],
        });
        let out = "";
        child.stdout.on("data", (d: Buffer) => (out += d.toString()));
        child.stderr.on("data", (d: Buffer) => (out += d.toString()));
        child.on("error", reject);
        child.on("close", () => {
            const m = /(\d+) connections in [\d.]+s/.exec(out);
            if (m) resolve(Number(m[1]));
            else reject(new Error(`openssl s_time ${target}: ${out.trim().split("\n").slice(-3).join(" ")}`));
        });
    });
}

/** Handshakes per second of CLIENTS s_time clients at once, over the wall time they took together. */
async function handshakesPerSecond(target: string): Promise<{ rate: number; count: number }> {
    const started = process.hrtime.bigint();
    const counts = await Promise.all(Array.from({ length: CLIENTS }, () => sTime(target)));
    const wall = Number(process.hrtime.bigint() - started) / 1e9;
    const count = counts.reduce((a, b) => a + b, 0);
    return { rate: count / wall, count };
}

export async function tlsRow(stack: BenchStack): Promise<Row> {
    const haproxy = containerOf(stack, stack.haproxy.container);
    const upload = (file: string): string => {
        const found = (haproxy.inputs.uploads ?? []).find((u: { file: string }) => u.file === file);
        if (!found) throw new Error(`the haproxy container has no upload ${file}`);
        return String(found.content);
    };
    const config = upload(HAPROXY_CONFIG_PATH);
    const statsBind = `bind ${stack.haproxy.stats}:`;
    if (!config.includes(statsBind)) throw new Error(`haproxy.cfg has no "${statsBind}"`);
    const ecdsaKey = keyOf(upload(HAPROXY_CERT_PATH));
    const rsa = rsaBundle(stack.site.domain);
    // The same config; only its stats listener moves to loopback (the metrics network is not joined).
    const rsaHaproxy = await startThrowaway(stack, {
        role: "haproxy-rsa",
        image: "foobar-infra/haproxy:local",
        network: stack.edgeNetwork,
        address: freeAddress(stack, "edge", 1),
        port: 443,
        files: { [HAPROXY_CONFIG_PATH]: config.split(statsBind).join("bind 127.0.0.1:"), [HAPROXY_CERT_PATH]: rsa },
    });
    let ecdsa: { rate: number; count: number };
    let rsaRate: { rate: number; count: number };
    try {
        log(`tls: ${ecdsaKey} at ${stack.haproxy.edge}:443, then ${keyOf(rsa)} at ${rsaHaproxy.address}:443`);
        ecdsa = await handshakesPerSecond(`${stack.haproxy.edge}:443`);
        rsaRate = await handshakesPerSecond(`${rsaHaproxy.address}:443`);
    } finally {
        await rsaHaproxy.remove();
    }
    return {
        id: "6",
        what: "New full TLS handshakes per second against HAProxy",
        target: "report ECDSA P-256 vs RSA-2048 (the default should be the faster)",
        measured: `${ecdsaKey} (the stack's): ${fmtRate(ecdsa.rate)}/s`,
        reference: `RSA 2048 (throwaway HAProxy, same image and config): ${fmtRate(rsaRate.rate)}/s`,
        ratio: ratio(ecdsa.rate, rsaRate.rate),
        met: ecdsa.rate >= rsaRate.rate,
        details: [
            `openssl s_time -new (no session reuse; the config also turns tickets off), ${CLIENTS} clients at once for ${SECONDS} s each, ` +
                `from the host to each HAProxy's address on the edge network: ${ecdsa.count} and ${rsaRate.count} handshakes.`,
            "The clients share the machine's cores with HAProxy, so the figures are what this machine does end to end, not HAProxy's ceiling.",
        ],
    };
}
