// The small database interface the store is written against, and its adapter
// over a mysqljs/mysql pool: every wait on the database is bounded (getting a
// connection, a whole script of statements). The pool is described
// structurally (PoolLike) instead of importing the mysql module, so this file
// and the store load and test without the driver installed; pools.ts checks
// that a real mysql.Pool fits.

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
  now?: () => number;
}

/** The error of a connection that did not come in time; `code` like mysql's own. */
export class AcquireTimeoutError extends Error {
  readonly code = "FOOBAR_ACQUIRE_TIMEOUT";
  constructor(ms: number) {
    super(`no database connection within ${ms} ms`);
    this.name = "AcquireTimeoutError";
  }
}

/** A script that ran out of time before its statements were sent; `code` like mysql's own. */
export class OutOfTimeError extends Error {
  readonly code = "FOOBAR_OUT_OF_TIME";
  constructor(ms: number) {
    super(`script not done within ${ms} ms`);
    this.name = "OutOfTimeError";
  }
}

function run(conn: ConnectionLike, options: QueryOptions): Promise<unknown> {
  return new Promise((resolve, reject) => {
    conn.query(options, (err, results) => (err ? reject(err) : resolve(results)));
  });
}

export function poolDatabase(pool: PoolLike, options: PoolDatabaseOptions): Database {
  const now = options.now ?? Date.now;
  const reuseMs = options.reuseMs ?? 0;
  /** Connections that just served a script, oldest first, each with the time it may be reused until. */
  const warm: Array<{ conn: ConnectionLike; until: number }> = [];
  let sweeper: NodeJS.Timeout | undefined;

  function keep(conn: ConnectionLike): void {
    if (reuseMs <= 0) return conn.release();
    warm.push({ conn, until: now() + reuseMs });
    sweeper ??= setTimeout(sweep, reuseMs).unref();
  }

  function sweep(): void {
    sweeper = undefined;
    while (warm.length > 0 && warm[0].until <= now()) warm.shift()?.conn.release();
    if (warm.length > 0) sweeper = setTimeout(sweep, warm[0].until - now()).unref();
  }

  function acquire(timeoutMs: number): Promise<ConnectionLike> {
    // The most recent first: it answered last.
    for (let w = warm.pop(); w !== undefined; w = warm.pop()) {
      if (w.until > now()) return Promise.resolve(w.conn);
      w.conn.release();
    }
    return new Promise((resolve, reject) => {
      let late = false;
      const timer = setTimeout(() => {
        late = true;
        reject(new AcquireTimeoutError(timeoutMs));
      }, timeoutMs);
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

  async function script(statements: readonly Statement[], timeoutMs = options.scriptTimeoutMs): Promise<unknown[]> {
    const deadline = now() + timeoutMs;
    // mysql takes a timeout of 0 for none: out of time is an error of its own.
    const left = (): number => {
      const ms = deadline - now();
      if (ms <= 0) throw new OutOfTimeError(timeoutMs);
      return ms;
    };
    const conn = await acquire(Math.min(options.acquireTimeoutMs, left()));
    try {
      const sql = statements.map((s) => s.sql).join(";\n");
      const results = await run(conn, { sql, values: statements.flatMap((s) => [...s.params]), timeout: left() });
      keep(conn);
      // mysql answers a single statement with its result, several with an array of them.
      return statements.length === 1 ? [results] : (results as unknown[]);
    } catch (err) {
      try {
        // A failed statement may leave a transaction open: never pool a connection inside one.
        await new Promise<void>((resolve, reject) =>
          conn.rollback({ sql: "ROLLBACK", timeout: left() }, (e) => (e ? reject(e) : resolve())),
        );
        conn.release();
      } catch {
        // Out of time, or the connection is in an unknown state (it timed out, the server went
        // away): never hand it back to the pool. Closing it rolls back whatever is open.
        conn.destroy();
      }
      throw err;
    }
  }

  return {
    script,
    close: () =>
      new Promise<void>((resolve, reject) => {
        clearTimeout(sweeper);
        for (const w of warm.splice(0)) w.conn.release();
        pool.end((err) => (err ? reject(err) : resolve()));
      }),
  };
}
