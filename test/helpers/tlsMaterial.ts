// Real keys and certificates for the @pulumi/tls resources under mocks, made with node's crypto
// and openssl from the very inputs the program registered, so the live site runs real TLS.
import { execFileSync } from "child_process";
import * as crypto from "crypto";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import type { Props as Inputs } from "./pulumiMocks";

const OPENSSL_USES: Record<string, string> = {
    cert_signing: "keyCertSign",
    crl_signing: "cRLSign",
    digital_signature: "digitalSignature",
    key_encipherment: "keyEncipherment",
};
const OPENSSL_EXTENDED_USES: Record<string, string> = { server_auth: "serverAuth", client_auth: "clientAuth" };

function withTempDir<T>(fn: (dir: string) => T): T {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-tls-"));
    try {
        return fn(dir);
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function openssl(args: string[]): void {
    execFileSync("openssl", args, { stdio: ["ignore", "ignore", "pipe"] });
}

function subjectArg(subject: Inputs | undefined): string {
    const parts: string[] = [];
    if (subject?.organization) parts.push(`/O=${subject.organization}`);
    if (subject?.commonName) parts.push(`/CN=${subject.commonName}`);
    return parts.join("") || "/";
}

function extensions(inputs: Inputs, isCa: boolean): string {
    const uses: string[] = inputs.allowedUses ?? [];
    const unknown = uses.filter((u) => !(u in OPENSSL_USES) && !(u in OPENSSL_EXTENDED_USES));
    if (unknown.length > 0) throw new Error(`tls mock: allowedUses ${unknown.join(", ")} not understood`);
    const key = uses.filter((u) => u in OPENSSL_USES).map((u) => OPENSSL_USES[u]);
    const ext = uses.filter((u) => u in OPENSSL_EXTENDED_USES).map((u) => OPENSSL_EXTENDED_USES[u]);
    return [
        `basicConstraints=critical,CA:${isCa ? "TRUE" : "FALSE"}`,
        ...(key.length ? [`keyUsage=critical,${key.join(",")}`] : []),
        ...(ext.length ? [`extendedKeyUsage=${ext.join(",")}`] : []),
        "subjectKeyIdentifier=hash",
    ].join("\n");
}

const days = (inputs: Inputs) => String(Math.max(1, Math.ceil(Number(inputs.validityPeriodHours) / 24)));

export function privateKeyPem(inputs: Inputs): string {
    if (inputs.algorithm !== "ECDSA" || inputs.ecdsaCurve !== "P256") {
        throw new Error(`tls mock: only ECDSA P256 keys are made here, got ${inputs.algorithm} ${inputs.ecdsaCurve}`);
    }
    const { privateKey } = crypto.generateKeyPairSync("ec", { namedCurve: "prime256v1" });
    return privateKey.export({ type: "sec1", format: "pem" }) as string;
}

export function selfSignedCertPem(inputs: Inputs): string {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), inputs.privateKeyPem);
        fs.writeFileSync(path.join(dir, "ext.cnf"), extensions(inputs, inputs.isCaCertificate === true));
        // A CSR signed by its own key is a self-signed certificate with exactly the extensions asked for.
        openssl([
            "x509",
            "-req",
            "-in",
            csr(dir, inputs),
            "-signkey",
            path.join(dir, "key.pem"),
            "-days",
            days(inputs),
            "-extfile",
            path.join(dir, "ext.cnf"),
            "-out",
            path.join(dir, "cert.pem"),
        ]);
        return fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    });
}

function csr(dir: string, inputs: Inputs): string {
    const out = path.join(dir, "req.csr");
    openssl(["req", "-new", "-key", path.join(dir, "key.pem"), "-subj", subjectArg(inputs.subject), "-out", out]);
    return out;
}

export function certRequestPem(inputs: Inputs): string {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "key.pem"), inputs.privateKeyPem);
        const sans = [
            ...(inputs.dnsNames ?? []).map((d: string) => `DNS:${d}`),
            ...(inputs.ipAddresses ?? []).map((ip: string) => `IP:${ip}`),
        ];
        const out = path.join(dir, "req.csr");
        openssl([
            "req",
            "-new",
            "-key",
            path.join(dir, "key.pem"),
            "-subj",
            subjectArg(inputs.subject),
            ...(sans.length ? ["-addext", `subjectAltName=${sans.join(",")}`] : []),
            "-out",
            out,
        ]);
        return fs.readFileSync(out, "utf8");
    });
}

export function locallySignedCertPem(inputs: Inputs): string {
    return withTempDir((dir) => {
        fs.writeFileSync(path.join(dir, "req.csr"), inputs.certRequestPem);
        fs.writeFileSync(path.join(dir, "ca.pem"), inputs.caCertPem);
        fs.writeFileSync(path.join(dir, "ca.key"), inputs.caPrivateKeyPem);
        fs.writeFileSync(path.join(dir, "ext.cnf"), extensions(inputs, inputs.isCaCertificate === true) + "\nauthorityKeyIdentifier=keyid");
        openssl([
            "x509",
            "-req",
            "-in",
            path.join(dir, "req.csr"),
            "-CA",
            path.join(dir, "ca.pem"),
            "-CAkey",
            path.join(dir, "ca.key"),
            "-set_serial",
            `0x${crypto.randomBytes(8).toString("hex")}`,
            "-days",
            days(inputs),
            "-copy_extensions",
            "copy",
            "-extfile",
            path.join(dir, "ext.cnf"),
            "-out",
            path.join(dir, "cert.pem"),
        ]);
        return fs.readFileSync(path.join(dir, "cert.pem"), "utf8");
    });
}
