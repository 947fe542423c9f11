// TLS between the app, the replicas, the exporters and a self-managed database: a CA of the
// stack's own (whatever tls.mode the site uses) and one certificate per database server, for the
// exact addresses its clients connect to, so every client verifies the name too.
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

/** The CA outlives the servers' certificates; both are renewed by `pulumi up` within their last 30 days. */
const CA_VALIDITY_HOURS = 10 * 365 * 24;
const SERVER_VALIDITY_HOURS = 397 * 24;
const EARLY_RENEWAL_HOURS = 30 * 24;

export interface DatabaseServerTls {
    /** Public: the certificate the server presents. */
    readonly certPem: pulumi.Output<string>;
    /** Secret: its key. */
    readonly keyPem: pulumi.Output<string>;
}

export interface DatabaseTls {
    /** Public: what every client trusts. */
    readonly caPem: pulumi.Output<string>;
    /** By the database service's key ("server-3-mariadb-primary"). */
    readonly servers: ReadonlyMap<string, DatabaseServerTls>;
}

/**
 * `servers`: each database service's key and the addresses clients reach it at. `peers`: the
 * servers also connect to each other with their certificate (Galera), so it may authenticate a
 * client too; OpenSSL refuses a peer certificate without that use ("unsupported certificate").
 */
export function createDatabaseTls(
    name: string,
    servers: ReadonlyMap<string, readonly string[]>,
    parent: pulumi.Resource,
    peers = false,
): DatabaseTls {
    const opts = { parent };
    const key = (id: string) => new tls.PrivateKey(id, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const caKey = key(`${name}-db-ca-key`);
    const ca = new tls.SelfSignedCert(
        `${name}-db-ca`,
        {
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: `${name} database CA`, organization: "foobar-infra" },
            isCaCertificate: true,
            validityPeriodHours: CA_VALIDITY_HOURS,
            earlyRenewalHours: EARLY_RENEWAL_HOURS,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        opts,
    );
    const issued = [...servers].map(([service, addresses]): [string, DatabaseServerTls] => {
        const serverKey = key(`${name}-${service}-tls-key`);
        const csr = new tls.CertRequest(
            `${name}-${service}-tls-csr`,
            {
                privateKeyPem: serverKey.privateKeyPem,
                subject: { commonName: service, organization: "foobar-infra" },
                ipAddresses: [...addresses],
            },
            opts,
        );
        const cert = new tls.LocallySignedCert(
            `${name}-${service}-tls-cert`,
            {
                certRequestPem: csr.certRequestPem,
                caPrivateKeyPem: caKey.privateKeyPem,
                caCertPem: ca.certPem,
                validityPeriodHours: SERVER_VALIDITY_HOURS,
                earlyRenewalHours: EARLY_RENEWAL_HOURS,
                allowedUses: ["digital_signature", "key_encipherment", "server_auth", ...(peers ? ["client_auth"] : [])],
            },
            opts,
        );
        return [service, { certPem: cert.certPem, keyPem: pulumi.secret(serverKey.privateKeyPem) }];
    });
    return { caPem: ca.certPem, servers: new Map(issued) };
}
