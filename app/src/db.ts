// The small database interface the store is written against, and its adapter
// over a mysqljs/mysql pool. The pool is described structurally (PoolLike)
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

export interface ConnectionLike {
  query(options: QueryOptions, callback: QueryCallback): unknown;
  beginTransaction(callback: ErrorCallback): void;
  commit(callback: ErrorCallback): void;
  rollback(callback: ErrorCallback): void;
  release(): void;
  destroy(): void;
}

export interface PoolLike {
  getConnection(callback: (err: Error | null, connection: ConnectionLike) => void): void;
  query(options: QueryOptions, callback: QueryCallback): unknown;
  end(callback: (err?: Error | null) => void): void;
}

export interface PoolDatabaseOptions {
  /**
   * Per-statement timeout. On expiry mysql destroys the connection and fails
   * the query, so a hung server costs one bounded wait, not a stuck request.
   */
  queryTimeoutMs: number;
}

function run(conn: ConnectionLike | PoolLike, options: QueryOptions): Promise<unknown> {
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

  async function transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const conn = await new Promise<ConnectionLike>((resolve, reject) => {
      pool.getConnection((err, c) => (err ? reject(err) : resolve(c)));
    });
    const tx: Queryable = { query: (sql, params) => run(conn, statement(sql, params)) };
    try {
      await step((cb) => conn.beginTransaction(cb));
      const result = await work(tx);
      await step((cb) => conn.commit(cb));
      conn.release();
      return result;
    } catch (err) {
      try {
        await step((cb) => conn.rollback(cb));
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
    query: (sql, params) => run(pool, statement(sql, params)),
    transaction,
    close: () =>
      new Promise<void>((resolve, reject) => {
        pool.end((err) => (err ? reject(err) : resolve()));
      }),
  };
}
