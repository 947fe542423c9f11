// The aws platform's secrets: SSM SecureString parameters, and the placeholders user data carries
// instead of them (the boot helper fetches each through the instance role).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Credentials } from "../../credentials";
import { SecretLookup, SecretName } from "../../services";
import { secretPlaceholder } from "../../vm/cloudInit";

/** Credentials that are public: they ride in user data as they are. */
type PublicName = "certificatePem" | "databaseCaPem" | "databaseCertPem";

/** The parameter key of each secret a service file may hold (a database server's key is per server). */
const PARAMETER_KEYS: Record<Exclude<SecretName, PublicName | "databaseKeyPem">, string> = {
    appPassword: "db-app-password",
    replicationPassword: "db-replication-password",
    monitorPassword: "db-monitor-password",
    privateKeyPem: "tls-private-key",
    prometheusPassword: "prometheus-password",
    prometheusPasswordHash: "prometheus-password-hash",
    alertWebhookUrl: "alert-webhook-url",
    alertSmtpPassword: "alert-smtp-password",
};
export const RDS_ADMIN_PASSWORD_KEY = "rds-admin-password";
export const RDS_ADMIN_USER = "foobar_admin";
/** The parameter key of a database server's TLS key. */
const databaseKeyParameter = (serviceKey: string) => `db-tls-key-${serviceKey}`;

/** The placeholder user data holds for a secret. */
export const placeholderOf = (name: keyof typeof PARAMETER_KEYS): string => secretPlaceholder(PARAMETER_KEYS[name]);

/** The public material a service's files may hold: the site certificate, the database CA, a database server's certificate. */
export type PublicMaterial = Readonly<Record<PublicName, string | undefined>>;

/** What user data holds for each credential of one service: public material as it is, a placeholder for each secret. */
export function placeholderLookup(material: PublicMaterial, serviceKey: string): SecretLookup {
    return (name) => {
        if (name === "certificatePem" || name === "databaseCaPem" || name === "databaseCertPem") {
            const value = material[name];
            if (value === undefined) throw new Error(`${serviceKey} needs ${name}, which this stack does not have`);
            return value;
        }
        return name === "databaseKeyPem" ? secretPlaceholder(databaseKeyParameter(serviceKey)) : placeholderOf(name);
    };
}

export interface StackParameters {
    /** key -> parameter name, e.g. "db-app-password" -> "/foobar/staging/db-app-password". */
    readonly names: Readonly<Record<string, string>>;
    readonly parameters: ReadonlyMap<string, aws.ssm.Parameter>;
    /** Managed mode: the RDS master password. */
    readonly rdsAdminPassword?: pulumi.Output<string>;
}

/** One SecureString per secret the stack has; RDS replicates without a user of ours, so no replication password then. */
export function createParameters(
    name: string,
    stack: string,
    credentials: Credentials,
    managed: boolean,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): StackParameters {
    const opts = { parent };
    const values: Record<string, pulumi.Output<string>> = {
        [PARAMETER_KEYS.appPassword]: credentials.appPassword,
        [PARAMETER_KEYS.privateKeyPem]: credentials.privateKeyPem,
    };
    if (credentials.replicationPassword) values[PARAMETER_KEYS.replicationPassword] = credentials.replicationPassword;
    if (credentials.monitorPassword) values[PARAMETER_KEYS.monitorPassword] = credentials.monitorPassword;
    if (credentials.prometheusPassword) values[PARAMETER_KEYS.prometheusPassword] = credentials.prometheusPassword;
    if (credentials.prometheusPasswordHash) values[PARAMETER_KEYS.prometheusPasswordHash] = credentials.prometheusPasswordHash;
    if (credentials.alertWebhookUrl) values[PARAMETER_KEYS.alertWebhookUrl] = credentials.alertWebhookUrl;
    if (credentials.alertSmtpPassword) values[PARAMETER_KEYS.alertSmtpPassword] = credentials.alertSmtpPassword;
    const rdsAdminPassword = managed
        ? pulumi.secret(new random.RandomPassword(`${name}-rds-admin-password`, { length: 32, special: false }, opts).result)
        : undefined;
    if (rdsAdminPassword) values[RDS_ADMIN_PASSWORD_KEY] = rdsAdminPassword;
    for (const [service, server] of credentials.database?.servers ?? []) values[databaseKeyParameter(service)] = server.keyPem;
    const names = Object.fromEntries(Object.keys(values).map((key) => [key, `/foobar/${stack}/${key}`]));
    const parameters = new Map(
        Object.entries(values).map(([key, value]) => [
            key,
            new aws.ssm.Parameter(`${name}-${key}`, { name: names[key], type: "SecureString", value, tags }, opts),
        ]),
    );
    return { names, parameters, rdsAdminPassword };
}
