// The small database interface the store is written against, and its adapter
// over a mysqljs/mysql pool: every wait on the database is bounded (getting a
// connection, a whole script of statements). The pool is described
// structurally (PoolLike) instead of importing the mysql module, so this file
// and the store load and test without the driver installed; pools.ts checks
// that a real mysql.Pool fits.
import { AcquireTimeoutError, OutOfTimeError, connectionLost, markSentNothing } from "./dbErrors";
import { IdleConnections } from "./idle";

export { AcquireTimeoutError, OutOfTimeError, connectionLost, sentNothing } from "./dbErrors";

export interface Statement {
  /** One statement with "?" placeholders: the driver escapes the params, nothing is pasted in. */
  readonly sql: string;
  readonly params: readonly unknown[];
}

export interface Database {
  /**
   * Runs the statements in order on one connection, sent as one multi-statement query: one round
   * trip, however many there are (a transaction is START TRANSACTION … COMMIT among them).
   * Resolves to each statement's result. If one fails, the server runs none after it and the
   * script rejects; the connection is rolled back, or closed, before anyone uses it again. Bounded
   * by timeoutMs, getting the connection included.
   */
  script(statements: readonly Statement[], timeoutMs?: number): Promise<unknown[]>;
  /**
   * Closes every idle connection, so the next script opens a new one (after a failover they all
   * lead to the old node); logs one line, with `reason`, if there was any. Scripts in flight keep
   * theirs. A script whose connection is lost (connectionLost) purges by itself.
   */
  purge(reason: string): void;
  close(): Promise<void>;
}

type ErrorCallback = (err: Error | null) => void;
type QueryCallback = (err: Error | null, results?: unknown) => void;
interface QueryOptions {
  sql: string;
  values: unknown[];
  timeout?: number;
}
/** What mysql's rollback takes; mysql sets `sql` itself, to the same text. */
interface StatementOptions {
  sql: "ROLLBACK";
  timeout?: number;
}

export interface ConnectionLike {
  query(options: QueryOptions, callback: QueryCallback): unknown;
  rollback(options: StatementOptions, callback: ErrorCallback): void;
  release(): void;
  destroy(): void;
  /** mysql's: "disconnected" once the connection has ended (the pool may have closed it). */
  readonly state?: string;
}

export interface PoolLike {
  getConnection(callback: (err: Error | null, connection: ConnectionLike) => void): void;
  end(callback: (err?: Error | null) => void): void;
}

export interface PoolDatabaseOptions {
  /**
   * Longest wait for a connection, time in the pool's queue included (mysql's
   * acquireTimeout does not count the queue, and re-queues a request whose
   * pooled connection fails its ping).
   */
  acquireTimeoutMs: number;
  /**
   * A script's time when it is given none: getting a connection, then its statements, whose
   * timeout is what is left. On expiry mysql destroys the connection and fails the script, so a
   * hung server costs one bounded wait, not a stuck request.
   */
  scriptTimeoutMs: number;
  /**
   * A connection that served a script is kept this long for the next one, which then skips
   * mysql's ping on acquire (a round trip: the connection answered a moment ago); after that it
   * goes back to the pool, which pings it before its next use. @default 0 (always the pool)
   */
  reuseMs?: number;
  /** The pool in log lines, e.g. "writer". @default "database" */
  name?: string;
  logError?: (line: string) => void;
  /** Told of every script that fails, once, whatever the reason (metrics.ts counts them per pool). */
  onFailure?: (err: unknown) => void;
  now?: () => number;
}

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

function run(conn: ConnectionLike, options: QueryOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    conn.query(options, (err, results) => (err ? reject(err) : resolve(results)));
  });
}

export function poolDatabase(pool: PoolLike, options: PoolDatabaseOptions): Database {
  const now = options.now ?? Date.now;
  const name = options.name ?? "database";
  const logError = options.logError ?? ((line: string) => console.error(line));
  const idle = new IdleConnections(options.reuseMs ?? 0, now);

  function acquire(timeoutMs: number): Promise<ConnectionLike> {
    const warm = idle.takeWarm();
    if (warm !== undefined) return Promise.resolve(warm);
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new AcquireTimeoutError(timeoutMs));
      }, timeoutMs);
      pool.getConnection((err, conn) => {
        if (!err) idle.taken(conn);
        if (late) {
          // Nobody waits for it any more: hand it to the next request.
          if (!err) idle.release(conn);
          return;
        }
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(conn);
      });
    });
  }

  function purge(reason: string): void {
    const closed = idle.purge();
    const connections = closed === 1 ? "connection" : "connections";
    if (closed > 0) logError(`${name}: ${reason}; closed ${closed} idle ${connections}, the next script connects anew`);
  }

  /** Reports the failure, marks what was not sent (db.ts's callers may run it again) and purges after a lost connection. */
  function failed(err: unknown, sent: boolean): unknown {
    options.onFailure?.(err);
    if (!sent) markSentNothing(err);
    // The others very likely lead to the same dead node: none of them is tried next.
    if (connectionLost(err)) purge(describe(err));
    return err;
  }

  /** A failed statement may leave a transaction open: never pool a connection inside one. */
  async function rollBack(conn: ConnectionLike, left: () => number): Promise<void> {
    try {
      await new Promise<void>((resolve, reject) => conn.rollback({ sql: "ROLLBACK", timeout: left() }, (e) => (e ? reject(e) : resolve())));
    } catch {
      // Out of time, or the ROLLBACK failed: the connection's state is unknown. Closing it rolls back.
      conn.destroy();
      return;
    }
    idle.release(conn);
  }

  async function script(statements: readonly Statement[], timeoutMs = options.scriptTimeoutMs): Promise<unknown[]> {
    const deadline = now() + timeoutMs;
    // mysql takes a timeout of 0 for none: out of time is an error of its own.
    const left = (): number => {
      const ms = deadline - now();
      if (ms <= 0) throw new OutOfTimeError(timeoutMs);
      return ms;
    };
    let conn: ConnectionLike;
    try {
      conn = await acquire(Math.min(options.acquireTimeoutMs, left()));
    } catch (err) {
      throw failed(err, false);
    }
    let sent = false;
    try {
      const sql = statements.map((s) => s.sql).join(";\n");
      const query = { sql, values: statements.flatMap((s) => [...s.params]), timeout: left() };
      sent = true;
      const results = await run(conn, query);
      idle.keep(conn);
      // mysql answers a single statement with its result, several with an array of them.
      return statements.length === 1 ? [results] : (results as unknown[]);
    } catch (err) {
      // A connection in an unknown state (it timed out, the server went away, mysql found it dead)
      // never goes back to the pool: closing it rolls back whatever is open on the server.
      if (connectionLost(err)) conn.destroy();
      else await rollBack(conn, left);
      throw failed(err, sent);
    }
  }

  return {
    script,
    purge,
    close: () =>
      new Promise<void>((resolve, reject) => {
        idle.close();
        pool.end((err) => (err ? reject(err) : resolve()));
      }),
  };
}
