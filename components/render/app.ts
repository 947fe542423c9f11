// The application server's environment. Pure. The password is never in it: only the file's path.
import { lines } from "./text";

export const APP_PASSWORD_PATH = "/etc/foobar/secrets/db-password";

/**
 * The database engine the app talks to: our MariaDB lets a page wait on its replica for its own
 * write (MASTER_GTID_WAIT); RDS MySQL gives the app no GTID to wait for, so it reads totals from
 * the primary (app/src/store.ts).
 */
export type AppDbFlavor = "mariadb" | "mysql" | "galera";

export interface AppEnvInput {
    readonly serverName: string;
    readonly domain: string;
    readonly listenHost: string;
    readonly port: number;
    readonly dbFlavor: AppDbFlavor;
    readonly writerHost: string;
    readonly readerHost?: string;
    readonly dbPort: number;
    readonly database: string;
    readonly user: string;
    /** The CA the app verifies the database's certificate against. */
    readonly caFile: string;
    /** Where the app serves its own /metrics, for Prometheus; undefined: the app's defaults (monitoring off). */
    readonly metrics?: { readonly host: string; readonly port: number };
}

/** Ordered KEY=value pairs; the docker backend passes them as `envs`, an env file holds them on a VM. */
export function appEnvironment(input: AppEnvInput): ReadonlyArray<readonly [string, string]> {
    const env: Array<[string, string]> = [
        ["FOOBAR_SERVER_NAME", input.serverName],
        ["FOOBAR_DOMAIN", input.domain],
        ["FOOBAR_LISTEN_HOST", input.listenHost],
        ["FOOBAR_PORT", String(input.port)],
        ["FOOBAR_DB_FLAVOR", input.dbFlavor],
        ["FOOBAR_DB_WRITER_HOST", input.writerHost],
        ["FOOBAR_DB_WRITER_PORT", String(input.dbPort)],
    ];
    if (input.readerHost !== undefined) {
        env.push(["FOOBAR_DB_READER_HOST", input.readerHost], ["FOOBAR_DB_READER_PORT", String(input.dbPort)]);
    }
    if (input.metrics !== undefined) {
        env.push(["FOOBAR_METRICS_HOST", input.metrics.host], ["FOOBAR_METRICS_PORT", String(input.metrics.port)]);
    }
    env.push(
        ["FOOBAR_DB_NAME", input.database],
        ["FOOBAR_DB_USER", input.user],
        ["FOOBAR_DB_PASSWORD_FILE", APP_PASSWORD_PATH],
        ["FOOBAR_DB_CA_FILE", input.caFile],
    );
    for (const [key, value] of env) {
        if (!/^[A-Za-z0-9._:/-]+$/.test(value)) throw new Error(`refusing to render ${key}=${JSON.stringify(value)}`);
    }
    return env;
}

export function renderEnvFile(env: ReadonlyArray<readonly [string, string]>): string {
    return lines(...env.map(([k, v]) => `${k}=${v}`));
}
