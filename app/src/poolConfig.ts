// The pools' settings and the time budget of one page view. Pure (mysql's types only), so the
// tests check the exact options and the arithmetic without the driver.
//
// The budget: HAProxy gives a server 30 s to answer (`timeout server 30s`, nginx's
// proxy_read_timeout is 30 s too), then replays the request elsewhere or fails it. One GET / is
//   recordVisit:  acquire a writer connection (≤ writer.acquireTimeoutMs, queue wait included)
//                 + 5 statements (START TRANSACTION, INSERT, the total's upsert or the replay's
//                 SELECT, COMMIT, and a ROLLBACK if one fails), each ≤ writer.queryTimeoutMs
//   totalVisits:  the replica (acquire + 1 query) and, when it fails, the primary (acquire + 1 query)
// so at most 2×2 s + 6×3 s + 1 s + 2 s = 25 s (worstCasePageMs), under 30 s with room for nginx
// and HAProxy. mysql's statement timeout restarts on every packet the server sends; the replies
// here are at most five packets, and the page deadline (PAGE_DEADLINE_MS, server.ts) caps a
// server that trickles them anyway.
import type { PoolConfig } from "mysql";
import { DbConfig, DbEndpoint } from "./config";

export interface PoolLimits {
  /** TCP connect, mysql's `connectTimeout`. */
  readonly connectTimeoutMs: number;
  /** Getting a connection: queue wait, ping or connect + handshake (db.ts bounds it all). */
  readonly acquireTimeoutMs: number;
  /** Each statement, START TRANSACTION / COMMIT / ROLLBACK included. */
  readonly queryTimeoutMs: number;
  readonly connectionLimit: number;
  /** Requests waiting for a connection beyond this fail at once (mysql's POOL_ENQUEUELIMIT). */
  readonly queueLimit: number;
}

// Queue limits. A healthy transaction holds a connection for a few milliseconds (four round trips
// on the data network and the semi-sync acknowledgement), so 10 connections serve well over a
// thousand page views a second and a queue twice the pool drains in two transaction times. A
// longer queue only forms when the database is slow, and the requests at its end would wait out
// their acquire budget for nothing: they fail at once instead (503, which HAProxy may replay on
// another web server). The replica's queue is shorter: when it is full, reads move to the primary
// at once (store.ts), which is better than waiting for a replica that is not keeping up.

/** The primary: every page view writes here. */
export const WRITER_LIMITS: PoolLimits = {
  connectTimeoutMs: 2000,
  acquireTimeoutMs: 2000,
  // A commit may wait up to 1 s for a replica's semi-sync acknowledgement; 3 s leaves room.
  queryTimeoutMs: 3000,
  connectionLimit: 10,
  queueLimit: 20,
};

/** The replica is optional: give up on it quickly and read from the primary. */
export const READER_LIMITS: PoolLimits = {
  connectTimeoutMs: 1000,
  acquireTimeoutMs: 1000,
  queryTimeoutMs: 2000,
  connectionLimit: 10,
  queueLimit: 10,
};

/** Statements one recordVisit may run: START TRANSACTION, INSERT, upsert or SELECT, COMMIT, ROLLBACK. */
export const STATEMENTS_PER_VISIT = 5;

/** What HAProxy (and nginx) wait for an answer: haproxy.cfg's `timeout server`. */
export const LOAD_BALANCER_TIMEOUT_MS = 30_000;

/** The worst case of one GET /, from the limits alone (see the top of this file). */
export function worstCasePageMs(writer: PoolLimits, reader: PoolLimits | undefined): number {
  const recordVisit = writer.acquireTimeoutMs + STATEMENTS_PER_VISIT * writer.queryTimeoutMs;
  const readPrimary = writer.acquireTimeoutMs + writer.queryTimeoutMs;
  const readReplica = reader === undefined ? 0 : reader.acquireTimeoutMs + reader.queryTimeoutMs;
  return recordVisit + readReplica + readPrimary;
}

/**
 * A page view that has not been answered by then gets a 503 (server.ts): the bound above, kept
 * 5 s under the load balancer's timeout so the 503 reaches HAProxy before it gives up.
 */
export const PAGE_DEADLINE_MS = 25_000;

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
    timezone: "Z",
    // The CA alone is not enough with node-mysql 2.18: tlsIdentity.ts adds the name check.
    ...(db.tls === undefined ? {} : { ssl: { ca: db.tls.ca, rejectUnauthorized: true } }),
  };
}
