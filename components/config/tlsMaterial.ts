// A provided certificate and key, checked before anything is created: what HAProxy would refuse
// or serve badly on the servers is refused here, with the reason. Pure (node's crypto).
import * as crypto from "crypto";

/** Certificates due within this many days get a warning; HAProxy still serves them. */
export const EXPIRY_WARNING_DAYS = 30;
/** The key types the site's cipher list serves: ECDSA on these curves, or RSA of at least this size. */
export const EC_CURVES = ["prime256v1", "secp384r1"];
export const MIN_RSA_BITS = 2048;

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----[\s\S]*?-----END \1-----/g;

/** The PEM blocks of a text, with their labels ("CERTIFICATE", "EC PRIVATE KEY", ...). */
export function pemBlocks(text: string): Array<{ readonly label: string; readonly pem: string }> {
    return [...text.matchAll(PEM_BLOCK)].map((m) => ({ label: m[1], pem: `${m[0]}\n` }));
}

/** Only the CERTIFICATE blocks of a chain: all that may ever leave the secret. */
export const certificateBlocks = (text: string): string =>
    pemBlocks(text)
        .filter((b) => b.label === "CERTIFICATE")
        .map((b) => b.pem)
        .join("");

export interface TlsFinding {
    readonly key: "tls.certificate" | "tls.key";
    readonly fix: string;
}

const day = (d: Date) => d.toISOString().slice(0, 10);

/** What is wrong with a provided certificate chain (leaf first) and key for `domain`, and what only warrants a warning. */
export function checkTlsMaterial(
    certificate: string,
    key: string,
    domain: string,
    now: Date,
): { readonly problems: TlsFinding[]; readonly warnings: string[] } {
    const problems: TlsFinding[] = [];
    const warnings: string[] = [];
    const blocks = pemBlocks(certificate);
    const strays = blocks.filter((b) => b.label !== "CERTIFICATE").map((b) => b.label);
    if (strays.length > 0) {
        problems.push({
            key: "tls.certificate",
            fix: `holds ${strays.join(", ")} besides the certificates; only CERTIFICATE blocks belong here (the key goes in tls.key).`,
        });
    }
    let leaf: crypto.X509Certificate | undefined;
    try {
        const chain = blocks.filter((b) => b.label === "CERTIFICATE").map((b) => new crypto.X509Certificate(b.pem));
        if (chain.length === 0) throw new Error("no CERTIFICATE block");
        leaf = chain[0];
    } catch (err) {
        problems.push({ key: "tls.certificate", fix: `is not a PEM certificate chain (${(err as Error).message}).` });
    }
    let privateKey: crypto.KeyObject | undefined;
    try {
        privateKey = crypto.createPrivateKey(key);
    } catch (err) {
        problems.push({ key: "tls.key", fix: `is not a PEM private key (${(err as Error).message}).` });
    }
    if (privateKey) {
        const { asymmetricKeyType: type, asymmetricKeyDetails: details } = privateKey;
        const supported =
            (type === "ec" && EC_CURVES.includes(details?.namedCurve ?? "")) ||
            (type === "rsa" && (details?.modulusLength ?? 0) >= MIN_RSA_BITS);
        if (!supported) {
            const what =
                type === "ec"
                    ? `an EC key on ${details?.namedCurve}`
                    : type === "rsa"
                      ? `a ${details?.modulusLength}-bit RSA key`
                      : `a ${type} key`;
            problems.push({
                key: "tls.key",
                fix: `is ${what}; the site's ciphers need ECDSA on P-256 or P-384, or RSA of ${MIN_RSA_BITS} bits or more.`,
            });
        }
    }
    if (!leaf) return { problems, warnings };
    if (privateKey && !leaf.checkPrivateKey(privateKey)) {
        problems.push({
            key: "tls.key",
            fix: "does not belong to tls.certificate (its public key differs); give the certificate's own key.",
        });
    }
    const [from, to] = [new Date(leaf.validFrom), new Date(leaf.validTo)];
    if (to <= now) problems.push({ key: "tls.certificate", fix: `expired on ${day(to)}; renew it.` });
    else if (from > now) problems.push({ key: "tls.certificate", fix: `is not valid before ${day(from)}.` });
    else if (to.getTime() - now.getTime() < EXPIRY_WARNING_DAYS * 86_400_000) {
        warnings.push(`tls.certificate expires on ${day(to)}, within ${EXPIRY_WARNING_DAYS} days: renew it.`);
    }
    if (leaf.checkHost(domain) === undefined) {
        const names = leaf.subjectAltName ?? leaf.subject;
        problems.push({ key: "tls.certificate", fix: `is for ${names.replace(/\n/g, ", ")}, not for the domain ${domain}.` });
    }
    return { problems, warnings };
}
