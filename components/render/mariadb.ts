// MariaDB server config and bootstrap SQL for the primary and its GTID replicas. Pure.
// The bootstrap file runs as `init_file` at every start, so every statement is idempotent.
import { GaleraConfigInput, galeraConfigLines } from "./galera";
import { assertSafeToken, lines, sqlString } from "./text";

export const MARIADB_CONFIG_PATH = "/etc/mysql/mariadb.conf.d/90-foobar.cnf";
export const MARIADB_BOOTSTRAP_PATH = "/etc/mysql/foobar/bootstrap.sql";
/** The CA every database client and server trusts: the app's, the exporter's, a replica's. */
export const DATABASE_CA_PATH = "/etc/foobar/db-ca.pem";
export const MARIADB_CERT_PATH = "/etc/mysql/foobar/server-cert.pem";
export const MARIADB_KEY_PATH = "/etc/mysql/foobar/server-key.pem";

export interface MariadbConfigInput {
    readonly role: "primary" | "replica";
    readonly serverId: number;
    readonly port: number;
    /** Primary only: turn on semi-sync (only when there is a replica to acknowledge). */
    readonly semiSync: boolean;
    /** Primary only: how long a commit waits for a replica's acknowledgement before going asynchronous. */
    readonly semiSyncTimeoutMs: number;
    /** One node of a Galera cluster (database.failover automatic): every node alike, whatever its role. */
    readonly galera?: GaleraConfigInput;
}

export function renderMariadbConfig(input: MariadbConfigInput): string {
    const common = [
        "# Rendered by foobar-infra (components/render/mariadb.ts). Do not edit by hand.",
        "[mariadbd]",
        `server_id = ${input.serverId}`,
        "bind_address = 0.0.0.0",
        `port = ${input.port}`,
        "skip_name_resolve = ON",
        // Galera runs no init_file: the node's start script runs the bootstrap once it is synced.
        ...(input.galera ? [] : [`init_file = ${MARIADB_BOOTSTRAP_PATH}`]),
        "# Durability: an acknowledged commit is on disk, in the binary log too.",
        "innodb_flush_log_at_trx_commit = 1",
        "sync_binlog = 1",
        "# Commits that arrive together share their fsyncs (group commit). No binlog_commit_wait_count:",
        "# it would hold every commit back to wait for others; the app batches its visits itself.",
        "log_bin = mariadb-bin",
        "binlog_format = ROW",
        "log_slave_updates = ON",
        "gtid_strict_mode = ON",
        "character_set_server = utf8mb4",
        "collation_server = utf8mb4_unicode_ci",
        "max_connections = 200",
        "# Every connection over the network is TLS, with the stack's own database CA.",
        `ssl_ca = ${DATABASE_CA_PATH}`,
        `ssl_cert = ${MARIADB_CERT_PATH}`,
        `ssl_key = ${MARIADB_KEY_PATH}`,
        "require_secure_transport = ON",
        "tls_version = TLSv1.2,TLSv1.3",
    ];
    if (input.galera) return lines(...common, ...galeraConfigLines(input.galera));
    if (input.role === "primary") {
        return lines(
            ...common,
            "read_only = OFF",
            "# A commit is acknowledged once a replica has it too, so losing the primary loses no acknowledged write.",
            `rpl_semi_sync_master_enabled = ${input.semiSync ? "ON" : "OFF"}`,
            `rpl_semi_sync_master_timeout = ${input.semiSyncTimeoutMs}`,
            "# The wait comes before the commit, not after: no other session sees a write no replica has.",
            "rpl_semi_sync_master_wait_point = AFTER_SYNC",
        );
    }
    return lines(
        ...common,
        "# Only replication writes here; the app user cannot.",
        "read_only = ON",
        "# Replication starts from bootstrap.sql, after CHANGE MASTER has the current primary.",
        "skip_slave_start = ON",
        "rpl_semi_sync_slave_enabled = ON",
        "# Pages wait for their commit here (MASTER_GTID_WAIT). What the primary committed together",
        "# (both web servers' batches) is applied together and shares its fsyncs here too, in the",
        "# primary's order: one applier would sync each transaction on its own.",
        "slave_parallel_threads = 4",
        "slave_parallel_mode = conservative",
        "relay_log = mariadb-relay",
        "relay_log_recovery = ON",
    );
}

export interface PrimaryBootstrapInput {
    readonly database: string;
    readonly appUser: string;
    readonly appPassword: string;
    /** Absent where the database replicates by itself (RDS). */
    readonly replicationUser?: string;
    readonly replicationPassword?: string;
    /** Absent without self-managed monitoring: the user the mysqld exporters log in as. */
    readonly monitorUser?: string;
    readonly monitorPassword?: string;
    /** Host pattern the app and the replicas connect from, e.g. "10.77.3.%". */
    readonly clientHost: string;
    /** MySQL 8.4 only: the plugin users authenticate with (Debian's node-mysql needs mysql_native_password). */
    readonly authPlugin?: "mysql_native_password";
    /** Galera: the local-socket user keepalived's check reads the node's state as. */
    readonly checkUser?: string;
    /**
     * Hosts the app user may also connect from: on a VM the app beside the node holding the write
     * address reaches it as a local address, so its connections come from that address.
     */
    readonly appAlsoFrom?: readonly string[];
}

/**
 * HAProxy's id of the client request a visit came with (X-Request-Id). A request that came another
 * way gets an id the app makes ("app-" and a UUID), so the app finds every row of a batch by its id
 * (app/src/visitSql.ts); NULL only in rows from before that.
 */
const REQUEST_ID_COLUMN = "request_id VARCHAR(64) NULL";

export function renderPrimaryBootstrap(input: PrimaryBootstrapInput): string {
    assertSafeToken("database", input.database);
    assertSafeToken("app user", input.appUser);
    assertSafeToken("client host", input.clientHost);
    const appAt = (host: string) => `${sqlString(input.appUser)}@${sqlString(host)}`;
    const app = appAt(input.clientHost);
    const db = input.database;
    // Every user logs in over TLS only (MariaDB and MySQL 8.4 alike).
    const identified = (password: string) =>
        `IDENTIFIED ${input.authPlugin ? `WITH ${input.authPlugin} ` : ""}BY ${sqlString(password)} REQUIRE SSL`;
    const replication: string[] = [];
    if (input.replicationUser !== undefined) {
        assertSafeToken("replication user", input.replicationUser);
        const repl = `${sqlString(input.replicationUser)}@${sqlString(input.clientHost)}`;
        replication.push(
            "-- Replicas stream the binary log, nothing more.",
            `CREATE USER IF NOT EXISTS ${repl} ${identified(input.replicationPassword ?? "")};`,
            `ALTER USER ${repl} ${identified(input.replicationPassword ?? "")};`,
            `GRANT REPLICATION SLAVE ON *.* TO ${repl};`,
        );
    }
    const monitor: string[] = [];
    if (input.monitorUser !== undefined) {
        assertSafeToken("monitor user", input.monitorUser);
        const user = `${sqlString(input.monitorUser)}@${sqlString(input.clientHost)}`;
        const login = `${identified(input.monitorPassword ?? "")} WITH MAX_USER_CONNECTIONS 3`;
        monitor.push(
            "-- The metrics exporters read server and replication status; no table data.",
            `CREATE USER IF NOT EXISTS ${user} ${login};`,
            `ALTER USER ${user} ${login};`,
            `GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO ${user};`,
        );
    }
    const check: string[] = [];
    if (input.checkUser !== undefined) {
        assertSafeToken("check user", input.checkUser);
        check.push(
            "-- keepalived's check reads the node's Galera state through the local socket, as the OS user it runs as.",
            `CREATE USER IF NOT EXISTS ${sqlString(input.checkUser)}@'localhost' IDENTIFIED VIA unix_socket;`,
        );
    }
    return lines(
        "-- Rendered by foobar-infra (components/render/mariadb.ts). Runs at every start; idempotent.",
        `CREATE DATABASE IF NOT EXISTS ${db} CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;`,
        `CREATE TABLE IF NOT EXISTS ${db}.visits (id BIGINT UNSIGNED AUTO_INCREMENT PRIMARY KEY, server VARCHAR(64) NOT NULL, visited_at TIMESTAMP(3) NOT NULL DEFAULT CURRENT_TIMESTAMP(3), ${REQUEST_ID_COLUMN}, UNIQUE KEY request_id (request_id)) ENGINE=InnoDB;`,
        "-- One visit per client request, whatever HAProxy retries: a table made before the column gets it",
        "-- (information_schema and PREPARE, which MariaDB and MySQL 8.4 both have; ADD COLUMN IF NOT EXISTS is MariaDB's only).",
        `SET @foobar_ddl = IF((SELECT COUNT(*) FROM information_schema.columns WHERE table_schema = ${sqlString(db)} AND table_name = 'visits' AND column_name = 'request_id') = 0, ${sqlString(`ALTER TABLE ${db}.visits ADD COLUMN ${REQUEST_ID_COLUMN}, ADD UNIQUE KEY request_id (request_id)`)}, 'DO 0');`,
        "PREPARE foobar_ddl FROM @foobar_ddl;",
        "EXECUTE foobar_ddl;",
        "DEALLOCATE PREPARE foobar_ddl;",
        `CREATE TABLE IF NOT EXISTS ${db}.visit_totals (server VARCHAR(64) PRIMARY KEY, total BIGINT UNSIGNED NOT NULL) ENGINE=InnoDB;`,
        "-- The app records and counts visits, nothing more.",
        `CREATE USER IF NOT EXISTS ${app} ${identified(input.appPassword)};`,
        `ALTER USER ${app} ${identified(input.appPassword)};`,
        `GRANT SELECT, INSERT ON ${db}.visits TO ${app};`,
        `GRANT SELECT, INSERT, UPDATE ON ${db}.visit_totals TO ${app};`,
        ...(input.appAlsoFrom ?? []).flatMap((host) => {
            assertSafeToken("client host", host);
            return [
                `CREATE USER IF NOT EXISTS ${appAt(host)} ${identified(input.appPassword)};`,
                `ALTER USER ${appAt(host)} ${identified(input.appPassword)};`,
                `GRANT SELECT, INSERT ON ${db}.visits TO ${appAt(host)};`,
                `GRANT SELECT, INSERT, UPDATE ON ${db}.visit_totals TO ${appAt(host)};`,
            ];
        }),
        ...replication,
        ...monitor,
        ...check,
    );
}

export interface ReplicaBootstrapInput {
    readonly primaryHost: string;
    readonly primaryPort: number;
    readonly replicationUser: string;
    readonly replicationPassword: string;
}

export function renderReplicaBootstrap(input: ReplicaBootstrapInput): string {
    assertSafeToken("primary host", input.primaryHost);
    assertSafeToken("replication user", input.replicationUser);
    return lines(
        "-- Rendered by foobar-infra (components/render/mariadb.ts). Runs at every start; idempotent.",
        "-- Everything, users and schema included, arrives from the primary through replication.",
        "STOP SLAVE;",
        "-- Over TLS, verifying that the primary is the one its certificate names.",
        `CHANGE MASTER TO MASTER_HOST = ${sqlString(input.primaryHost)}, MASTER_PORT = ${input.primaryPort}, ` +
            `MASTER_USER = ${sqlString(input.replicationUser)}, MASTER_PASSWORD = ${sqlString(input.replicationPassword)}, ` +
            `MASTER_SSL = 1, MASTER_SSL_CA = ${sqlString(DATABASE_CA_PATH)}, MASTER_SSL_VERIFY_SERVER_CERT = 1, ` +
            "MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2;",
        "START SLAVE;",
    );
}
