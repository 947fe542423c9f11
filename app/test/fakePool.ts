// A fake mysqljs pool that behaves like node-mysql 2.18's Pool (lib/Pool.js) where the app
// depends on it: at most connectionLimit connections, then a FIFO queue of at most queueLimit
// requests (0: no limit), beyond which getConnection fails at once with POOL_ENQUEUELIMIT; a
// released connection goes to the first waiter; a destroyed one leaves the pool. A connection
// whose query failed with a fatal error refuses everything after, as mysql's does
// (PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR). Callbacks run asynchronously, failures and slow
// statements are scripted, and every call is logged.
import { ConnectionLike, PoolLike } from "../src/db";

type Step = "query" | "rollback";
type Callback = (err: Error | null, results?: unknown) => void;
type QueryOptions = { sql: string; values: unknown[]; timeout?: number };
type StatementOptions = { sql: string; timeout?: number };
export type Responder = (sql: string, values: unknown[]) => unknown;

/** An error as mysql builds it; `fatal` for the connection's failure, `errno` and `index` for a server's answer. */
export function mysqlError(message: string, fields: { code: string; fatal?: boolean; errno?: number; index?: number }): Error {
  return Object.assign(new Error(message), fields);
}

export class FakeConnection implements ConnectionLike {
  log: string[] = [];
  fail: Partial<Record<Step, Error>> = {};
  /** When set, every statement waits for it (a slow database). */
  gate: Promise<void> | undefined;
  state = "authenticated";
  /** The fatal error that ended it, as mysql keeps it. */
  private fatal: Error | undefined;

  constructor(
    private readonly pool: FakePool,
    readonly id: number,
  ) {}

  private answer(err: Error | undefined, cb: Callback, results?: unknown): void {
    if ((err as { fatal?: boolean } | undefined)?.fatal === true) {
      this.fatal = err;
      this.state = "protocol_error";
    }
    const gate = this.gate ?? this.pool.gate ?? Promise.resolve();
    void gate.then(() => process.nextTick(() => (err ? cb(err) : cb(null, results))));
  }
  /** The connection ends while idle (the server closed it, its node vanished): mysql keeps the error. */
  lose(err: Error): void {
    this.fatal = err;
    this.state = "disconnected";
  }
  /** mysql's refusal to enqueue anything after a fatal error. */
  private refused(what: string): Error | undefined {
    if (this.fatal === undefined) return undefined;
    return mysqlError(`Cannot enqueue ${what} after fatal error.`, { code: "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR", fatal: false });
  }
  query(options: QueryOptions, cb: Callback): void {
    this.log.push(`query ${options.sql} ${JSON.stringify(options.values)} timeout=${String(options.timeout)}`);
    const err = this.refused("Query") ?? this.pool.failQueries.shift() ?? this.fail.query;
    // A failed query changes nothing: the responder is asked only for one that succeeds.
    this.answer(err, cb, err === undefined ? this.pool.respond(options.sql, options.values) : undefined);
  }
  rollback(options: StatementOptions, cb: (err: Error | null) => void): void {
    this.log.push(`${options.sql} timeout=${String(options.timeout)}`);
    this.answer(this.refused("Query") ?? this.fail.rollback, cb);
  }
  release(): void {
    this.log.push("release");
    this.pool.releaseConnection(this);
  }
  destroy(): void {
    this.log.push("destroy");
    this.state = "disconnected";
    this.pool.removeConnection(this);
  }
}

export class FakePool implements PoolLike {
  log: string[] = [];
  connectError: Error | undefined;
  /** The next getConnection calls fail with these, one each, before connectError applies. */
  failConnects: Error[] = [];
  /** The next queries, on whichever connection, fail with these, one each, before a connection's own `fail`. */
  failQueries: Error[] = [];
  /** Every connection ever opened, in order. */
  made: FakeConnection[] = [];
  free: FakeConnection[] = [];
  queue: Array<(err: Error | null, connection: ConnectionLike) => void> = [];
  private open = 0;
  /** Destroyed connections (destroying one twice frees one slot). */
  private readonly gone = new Set<FakeConnection>();
  respond: Responder = () => [{ n: 1 }];
  /** When set, every connection's statements wait for it (unless the connection has its own gate). */
  gate: Promise<void> | undefined;

  constructor(
    readonly connectionLimit = 10,
    readonly queueLimit = 0,
  ) {}

  getConnection(cb: (err: Error | null, connection: ConnectionLike) => void): void {
    const err = this.failConnects.shift() ?? this.connectError;
    if (err !== undefined) {
      this.log.push("connect failed");
      process.nextTick(() => cb(err, undefined as unknown as ConnectionLike));
      return;
    }
    const conn = this.free.shift() ?? (this.open < this.connectionLimit ? this.connect() : undefined);
    if (conn !== undefined) {
      process.nextTick(() => cb(null, conn));
    } else if (this.queueLimit > 0 && this.queue.length >= this.queueLimit) {
      this.log.push("queue full");
      const full = Object.assign(new Error("Queue limit reached."), { code: "POOL_ENQUEUELIMIT" });
      process.nextTick(() => cb(full, undefined as unknown as ConnectionLike));
    } else {
      this.log.push("queued");
      this.queue.push(cb);
    }
  }

  private connect(): FakeConnection {
    this.open += 1;
    const conn = new FakeConnection(this, this.made.length + 1);
    this.made.push(conn);
    return conn;
  }

  releaseConnection(conn: FakeConnection): void {
    const next = this.queue.shift();
    if (next === undefined) this.free.push(conn);
    else process.nextTick(() => next(null, conn));
  }

  removeConnection(conn: FakeConnection): void {
    if (!this.made.includes(conn) || this.gone.has(conn)) return;
    this.gone.add(conn);
    this.open -= 1;
    this.free = this.free.filter((c) => c !== conn);
    const next = this.queue.shift();
    if (next !== undefined) this.getConnection(next);
  }

  end(cb: (err?: Error | null) => void): void {
    this.log.push("end");
    process.nextTick(() => cb(null));
  }
}

/** A responder for scripts (db.ts): answers each statement of a multi-statement query, as mysql does. */
export function perStatement(answer: Responder): Responder {
  return (sql, values) => {
    const statements = sql.split(";\n");
    let next = 0;
    const results = statements.map((statement) => {
      const count = (statement.match(/\?/g) ?? []).length;
      const mine = values.slice(next, next + count);
      next += count;
      return answer(statement, mine);
    });
    return statements.length === 1 ? results[0] : results;
  };
}
