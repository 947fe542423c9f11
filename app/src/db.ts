// The small database interface the store is written against, and its adapter
// over a mysqljs/mysql pool: every wait on the database is bounded (getting a
// connection, each statement). The pool is described structurally (PoolLike)
// instead of importing the mysql module, so this file and the store load and
// test without the driver installed; pools.ts checks that a real
// mysql.Pool fits.

export interface Queryable {
  /** Runs one parameterised statement ("?" placeholders); resolves to rows or an OK packet. */
  query(sql: string, params: readonly unknown[]): Promise<unknown>;
}

export interface Database extends Queryable {
  /** Runs `work` inside BEGIN … COMMIT on one connection; rolls back if it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

type ErrorCallback = (err: Error | null) => void;
type QueryCallback = (err: Error | null, results?: unknown) => void;
interface QueryOptions {
  sql: string;
  values: unknown[];
  timeout?: number;
}
/** What mysql's beginTransaction / commit / rollback take; mysql sets `sql` itself, to the same text. */
interface StatementOptions {
  sql: "START TRANSACTION" | "COMMIT" | "ROLLBACK";
  timeout?: number;
}

export interface ConnectionLike {
  query(options: QueryOptions, callback: QueryCallback): unknown;
  beginTransaction(options: StatementOptions, callback: ErrorCallback): void;
  commit(options: StatementOptions, callback: ErrorCallback): void;
  rollback(options: StatementOptions, callback: ErrorCallback): void;
  release(): void;
  destroy(): void;
}

export interface PoolLike {
  getConnection(callback: (err: Error | null, connection: ConnectionLike) => void): void;
  end(callback: (err?: Error | null) => void): void;
}

export interface PoolDatabaseOptions {
  /**
   * Per-statement timeout, START TRANSACTION / COMMIT / ROLLBACK included. On
   * expiry mysql destroys the connection and fails the statement, so a hung
   * server costs one bounded wait, not a stuck request.
   */
  queryTimeoutMs: number;
  /**
   * Longest wait for a connection, time in the pool's queue included (mysql's
   * acquireTimeout does not count the queue, and re-queues a request whose
   * pooled connection fails its ping).
   */
  acquireTimeoutMs: number;
}

/** The error of a connection that did not come in time; `code` like mysql's own. */
export class AcquireTimeoutError extends Error {
  readonly code = "FOOBAR_ACQUIRE_TIMEOUT";
  constructor(ms: number) {
    super(`no database connection within ${ms} ms`);
    this.name = "AcquireTimeoutError";
  }
}

function run(conn: ConnectionLike, options: QueryOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    conn.query(options, (err, results) => (err ? reject(err) : resolve(results)));
  });
}

function step(action: (cb: ErrorCallback) => void): Promise<void> {
  return new Promise((resolve, reject) => action((err) => (err ? reject(err) : resolve())));
}

export function poolDatabase(pool: PoolLike, options: PoolDatabaseOptions): Database {
  const statement = (sql: string, params: readonly unknown[]): QueryOptions => ({
    sql,
    values: [...params],
    timeout: options.queryTimeoutMs,
  });
  // A fresh object each time: mysql writes into it.
  const control = (sql: StatementOptions["sql"]): StatementOptions => ({ sql, timeout: options.queryTimeoutMs });

  function acquire(): Promise<ConnectionLike> {
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new AcquireTimeoutError(options.acquireTimeoutMs));
      }, options.acquireTimeoutMs);
      pool.getConnection((err, conn) => {
        if (late) {
          // Nobody waits for it any more: hand it to the next request.
          if (!err) conn.release();
          return;
        }
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(conn);
      });
    });
  }

  async function query(sql: string, params: readonly unknown[]): Promise<unknown> {
    const conn = await acquire();
    try {
      return await run(conn, statement(sql, params));
    } finally {
      // After a fatal error mysql has already taken the connection out of the pool.
      conn.release();
    }
  }

  async function transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const conn = await acquire();
    const tx: Queryable = { query: (sql, params) => run(conn, statement(sql, params)) };
    try {
      await step((cb) => conn.beginTransaction(control("START TRANSACTION"), cb));
      const result = await work(tx);
      await step((cb) => conn.commit(control("COMMIT"), cb));
      conn.release();
      return result;
    } catch (err) {
      try {
        await step((cb) => conn.rollback(control("ROLLBACK"), cb));
        conn.release();
      } catch {
        // The connection is in an unknown state (e.g. it timed out or the
        // server went away): never hand it back to the pool.
        conn.destroy();
      }
      throw err;
    }
  }

  return {
    query,
    transaction,
    close: () =>
      new Promise<void>((resolve, reject) => {
        pool.end((err) => (err ? reject(err) : resolve()));
      }),
  };
}
