// The pools' settings and the time budget of one page view. Pure (mysql's types only), so the
// tests check the exact options and the arithmetic without the driver.
//
// The budget: HAProxy gives a server 2 s to answer (`timeout server 2000ms`), then replays the
// request elsewhere or fails it. One GET / is
//   waiting:    the batch in flight when the visit arrives (≤ WRITER_LIMITS.scriptTimeoutMs; the
//               batcher lets no more wait than fit in the next batch, store.ts)
//   its batch:  one script, a connection to COMMIT and the GTID, ≤ WRITER_LIMITS.scriptTimeoutMs,
//               its one retry on a new connection included (writeRetry.ts: what is left of it)
//   its total:  ≤ TOTAL_READ_MS: the replica (a connection, the GTID wait or Galera's causal
//               wait, the read) within READER_LIMITS.scriptTimeoutMs, then, if it fails or
//               lags, the primary within what is left
// so at most 2 × 500 + 500 = 1.5 s (worstCasePageMs), the page deadline, 0.5 s under the load
// balancer's timeout for nginx and HAProxy. Each bound is a deadline (db.ts), not a sum of
// per-statement limits, so it holds however slowly the server trickles its packets.
//
// A healthy batch takes a few milliseconds (a round trip or two on the data network, an fsync of the
// binary log and of the redo log, a semi-sync acknowledgement), so the limits are 100x that: they
// fire when something is wrong, not when a busy machine is slow; a failed batch costs its visits a
// 503 each, which HAProxy replays. A COMMIT waits for a replica's acknowledgement up to the
// primary's rpl_semi_sync_master_timeout (components/services/mariadb.ts) when no replica answers:
// that must stay under the writer's scriptTimeoutMs for such a commit to be answered.
import type { PoolConfig } from "mysql";
import { DbConfig, DbEndpoint } from "./config";

export interface PoolLimits {
  /** TCP connect, mysql's `connectTimeout`. */
  readonly connectTimeoutMs: number;
  /** Getting a connection: queue wait, ping or connect + handshake (db.ts bounds it all). */
  readonly acquireTimeoutMs: number;
  /** A script's time (db.ts): getting a connection, then all its statements. */
  readonly scriptTimeoutMs: number;
  readonly connectionLimit: number;
  /** Requests waiting for a connection beyond this fail at once (mysql's POOL_ENQUEUELIMIT). */
  readonly queueLimit: number;
}

// Pool sizes. Writes are batched: one script at a time per web server (visitBatcher.ts), and the
// totals are read once per batch. The writer's other connections serve the totals when the
// replica cannot; the reader's serve batches whose reads overlap. A longer queue only forms when
// the database is slow, and the requests at its end would wait out their budget for nothing: they
// fail at once instead. When the replica's queue is full, reads move to the primary (store.ts).

/** The primary: every batch of visits writes here. */
export const WRITER_LIMITS: PoolLimits = {
  connectTimeoutMs: 300,
  acquireTimeoutMs: 300,
  scriptTimeoutMs: 500,
  connectionLimit: 4,
  queueLimit: 8,
};

/** The replica is optional: give up on it quickly and read from the primary. */
export const READER_LIMITS: PoolLimits = {
  connectTimeoutMs: 200,
  acquireTimeoutMs: 200,
  scriptTimeoutMs: 250,
  connectionLimit: 4,
  queueLimit: 4,
};

/**
 * A connection that just served a script serves the next within this time without mysql's ping
 * (db.ts): under load that is every batch, a round trip saved on each pool.
 */
export const REUSE_MS = 1000;

/** Reading a batch's total: the replica's try, then the primary's (store.ts). */
export const TOTAL_READ_MS = 500;
/** How long the replica may take to apply a batch's commit before the total comes from the primary. */
export const REPLICA_WAIT_MS = 100;

/** Most visits in one transaction (as many more may wait for the next one). */
export const MAX_BATCH = 100;

/** What HAProxy (and nginx) wait for an answer: haproxy.cfg's `timeout server`. */
export const LOAD_BALANCER_TIMEOUT_MS = 2000;

/** The worst case of one GET / (see the top of this file): the batch ahead, its own, its total. */
export function worstCasePageMs(writer: PoolLimits, totalReadMs: number): number {
  return 2 * writer.scriptTimeoutMs + totalReadMs;
}

/**
 * A page view that has not been answered by then gets a 503 (server.ts): the bound above, kept
 * 0.5 s under the load balancer's timeout so the 503 reaches HAProxy before it gives up.
 */
export const PAGE_DEADLINE_MS = 1500;

export function poolConfig(db: DbConfig, endpoint: DbEndpoint, limits: PoolLimits): PoolConfig {
  return {
    host: endpoint.host,
    port: endpoint.port,
    user: db.user,
    password: db.password.reveal(),
    database: db.database,
    connectTimeout: limits.connectTimeoutMs,
    // mysql's own: bounds the ping of a pooled connection, or the connect + handshake of a new
    // one (TLS included); db.ts adds the wait in the queue, which this does not count.
    acquireTimeout: limits.acquireTimeoutMs,
    connectionLimit: limits.connectionLimit,
    queueLimit: limits.queueLimit,
    charset: "utf8mb4",
    // A batch is one script of several statements (db.ts), sent in one round trip. Every statement
    // is a constant of visitSql.ts with "?" placeholders, which mysql fills in escaped.
    multipleStatements: true,
    timezone: "Z",
    // The CA alone is not enough with node-mysql 2.18: tlsIdentity.ts adds the name check.
    ...(db.tls === undefined ? {} : { ssl: { ca: db.tls.ca, rejectUnauthorized: true } }),
  };
}
