// Secrets every platform needs: database passwords (@pulumi/random) and the site's TLS material
// (@pulumi/tls, or a provided PEM pair). They are resources of the component, not of a backend.
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import * as tls from "@pulumi/tls";
import { ConfigError } from "./config/problems";
import { ResolvedArgs } from "./config/resolved";
import { SECRET_PLACEHOLDER } from "./config/secret";
import { certificateBlocks, checkTlsMaterial } from "./config/tlsMaterial";
import { DatabaseTls, createDatabaseTls } from "./databaseTls";
import { SecretName } from "./services";

export interface Credentials {
    readonly appPassword: pulumi.Output<string>;
    /** Only for a self-managed database: RDS replicates without a user of ours. */
    readonly replicationPassword?: pulumi.Output<string>;
    /** Only where mysqld exporters watch self-managed databases. */
    readonly monitorPassword?: pulumi.Output<string>;
    /** With monitoring on: the password operators give Prometheus, and its bcrypt hash (Prometheus's web config). */
    readonly prometheusPassword?: pulumi.Output<string>;
    readonly prometheusPasswordHash?: pulumi.Output<string>;
    /** From secret config (monitoring.alerts): where Alertmanager posts, and its SMTP login's password. */
    readonly alertWebhookUrl?: pulumi.Output<string>;
    readonly alertSmtpPassword?: pulumi.Output<string>;
    /** The site certificate chain, leaf first: CERTIFICATE blocks only, public (user data carries it). */
    readonly certificatePem: pulumi.Output<string>;
    /** Its private key, secret. */
    readonly privateKeyPem: pulumi.Output<string>;
    /** What a client must trust: the generated CA, or the provided chain. */
    readonly caCertificatePem: pulumi.Output<string>;
    /** A self-managed database's TLS: its CA and each server's certificate and key. */
    readonly database?: DatabaseTls;
}

/** Where clients reach the site and the databases, for the certificates to name. */
export interface CertifiedAddresses {
    /** Besides the domain (aws: the Elastic IP), so a self-signed certificate is valid for https://<address>/ too. */
    readonly public?: ReadonlyArray<pulumi.Input<string>>;
    /** Each self-managed database service's key and the addresses its clients connect to. */
    readonly database?: ReadonlyMap<string, readonly string[]>;
}

/** Hostnames and addresses the self-signed site certificate covers besides the domain. */
export const LOCAL_NAMES = ["localhost"];
export const LOCAL_ADDRESSES = ["127.0.0.1"];

/** A generated password: the value, and its bcrypt hash for what stores only that (Prometheus). */
function passwordWithHash(name: string, parent: pulumi.Resource) {
    // Letters and digits only: the value goes into SQL literals and files; 32 of them is ~190 bits.
    // Marked secret here too, not only by the provider's additionalSecretOutputs: the secrecy is ours.
    const generated = new random.RandomPassword(name, { length: 32, special: false }, { parent });
    return { value: pulumi.secret(generated.result), hash: pulumi.secret(generated.bcryptHash) };
}

const password = (name: string, parent: pulumi.Resource): pulumi.Output<string> => passwordWithHash(name, parent).value;

export function createCredentials(
    name: string,
    args: ResolvedArgs,
    parent: pulumi.Resource,
    addresses: CertifiedAddresses = {},
): Credentials {
    const publicAddresses = addresses.public ?? [];
    const appPassword = password(`${name}-db-app-password`, parent);
    const selfManaged = args.database.mode === "self-managed";
    const replicationPassword =
        selfManaged && args.database.failover === "manual" ? password(`${name}-db-replication-password`, parent) : undefined;
    const monitorPassword = selfManaged && args.monitoring.enabled ? password(`${name}-db-monitor-password`, parent) : undefined;
    const operator = args.monitoring.enabled ? passwordWithHash(`${name}-prometheus-password`, parent) : undefined;
    // A Galera node also connects to its peers with its certificate: it is a TLS client too.
    const database =
        addresses.database && addresses.database.size > 0
            ? createDatabaseTls(name, addresses.database, parent, args.database.failover === "automatic")
            : undefined;
    const passwords = {
        database,
        appPassword,
        replicationPassword,
        monitorPassword,
        prometheusPassword: operator?.value,
        prometheusPasswordHash: operator?.hash,
        // Secret Outputs already (config/alertsSchema.ts); only Alertmanager's files read them.
        alertWebhookUrl: args.monitoring.enabled ? args.monitoring.alerts?.webhookUrl : undefined,
        alertSmtpPassword: args.monitoring.enabled ? args.monitoring.alerts?.email?.password : undefined,
    };
    const tlsArgs = args.tls;
    switch (tlsArgs.mode) {
        case "provided": {
            // Checked here too: a PEM given as an Output (a program, not stack config) resolves only now.
            const certificates = pulumi.all([tlsArgs.certificate, tlsArgs.key]).apply(([certificate, key]) => {
                const found = checkTlsMaterial(certificate, key, args.domain, new Date());
                if (found.problems.length > 0) {
                    throw new ConfigError(found.problems.map((f) => ({ key: `foobar:${f.key}`, value: SECRET_PLACEHOLDER, fix: f.fix })));
                }
                return certificateBlocks(certificate);
            });
            // Certificates are public; only CERTIFICATE blocks ever leave the secret, whatever else the value held.
            const certificatePem = pulumi.unsecret(certificates);
            return {
                ...passwords,
                certificatePem,
                privateKeyPem: pulumi.secret(tlsArgs.key),
                caCertificatePem: certificatePem,
            };
        }
        case "self-signed": {
            const site = selfSignedSite(name, args.domain, publicAddresses, tlsArgs.validityDays * 24, parent);
            return { ...passwords, ...site };
        }
        default: {
            const never: never = tlsArgs;
            throw new Error(`unknown tls mode ${JSON.stringify(never)}`);
        }
    }
}

function selfSignedSite(
    name: string,
    domain: string,
    publicAddresses: ReadonlyArray<pulumi.Input<string>>,
    validityPeriodHours: number,
    parent: pulumi.Resource,
) {
    const opts = { parent };
    const caKey = new tls.PrivateKey(`${name}-ca-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const ca = new tls.SelfSignedCert(
        `${name}-ca`,
        {
            privateKeyPem: caKey.privateKeyPem,
            subject: { commonName: `${domain} local CA`, organization: "foobar-infra" },
            isCaCertificate: true,
            validityPeriodHours,
            allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
        },
        opts,
    );
    const siteKey = new tls.PrivateKey(`${name}-site-key`, { algorithm: "ECDSA", ecdsaCurve: "P256" }, opts);
    const csr = new tls.CertRequest(
        `${name}-site-csr`,
        {
            privateKeyPem: siteKey.privateKeyPem,
            subject: { commonName: domain, organization: "foobar-infra" },
            dnsNames: [domain, ...LOCAL_NAMES],
            ipAddresses: pulumi.all([...publicAddresses]).apply((addresses) => [...LOCAL_ADDRESSES, ...addresses]),
        },
        opts,
    );
    const cert = new tls.LocallySignedCert(
        `${name}-site-cert`,
        {
            certRequestPem: csr.certRequestPem,
            caPrivateKeyPem: caKey.privateKeyPem,
            caCertPem: ca.certPem,
            validityPeriodHours,
            allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
        },
        opts,
    );
    return {
        certificatePem: cert.certPem,
        privateKeyPem: pulumi.secret(siteKey.privateKeyPem),
        caCertificatePem: ca.certPem,
    };
}

/** The credential a rendered file asks for, for the service being rendered (a database server's own certificate and key). */
export function credentialOf(c: Credentials, name: SecretName, serviceKey: string): pulumi.Output<string> | undefined {
    switch (name) {
        case "databaseCaPem":
            return c.database?.caPem;
        case "databaseCertPem":
            return c.database?.servers.get(serviceKey)?.certPem;
        case "databaseKeyPem":
            return c.database?.servers.get(serviceKey)?.keyPem;
        default:
            return c[name];
    }
}
