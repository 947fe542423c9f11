// Real PEMs for the provided-TLS tests (test/unit/fixtures/tls, made once with openssl, valid to 2126).
import * as fs from "fs";
import * as path from "path";

const DIR = path.join(__dirname, "fixtures", "tls");
const read = (name: string) => fs.readFileSync(path.join(DIR, name), "utf8");

export const TLS = {
    /** ECDSA P-256 for www.foobar.com, localhost and 127.0.0.1. */
    cert: read("ec-p256.crt"),
    key: read("ec-p256.key"),
    rsaCert: read("rsa-2048.crt"),
    rsaKey: read("rsa-2048.key"),
    weakRsaCert: read("rsa-1024.crt"),
    weakRsaKey: read("rsa-1024.key"),
    p521Cert: read("ec-p521.crt"),
    p521Key: read("ec-p521.key"),
    /** The P-256 key's certificate, but for shop.example.org. */
    otherDomainCert: read("other-domain.crt"),
    /** A P-256 key that belongs to no certificate here. */
    otherKey: read("other-ec-p256.key"),
};
