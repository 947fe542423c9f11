// A fake mysqljs pool that behaves like node-mysql 2.18's Pool (lib/Pool.js) where the app
// depends on it: at most connectionLimit connections, then a FIFO queue of at most queueLimit
// requests (0: no limit), beyond which getConnection fails at once with POOL_ENQUEUELIMIT; a
// released connection goes to the first waiter. Callbacks run asynchronously, failures and slow
// statements are scripted, and every call is logged.
import { ConnectionLike, PoolLike } from "../src/db";

type Step = "query" | "rollback";
type Callback = (err: Error | null, results?: unknown) => void;
type QueryOptions = { sql: string; values: unknown[]; timeout?: number };
type StatementOptions = { sql: string; timeout?: number };
export type Responder = (sql: string, values: unknown[]) => unknown;

export class FakeConnection implements ConnectionLike {
  log: string[] = [];
  fail: Partial<Record<Step, Error>> = {};
  /** When set, every statement waits for it (a slow database). */
  gate: Promise<void> | undefined;

  constructor(
    private readonly pool: FakePool,
    readonly id: number,
  ) {}

  private answer(step: Step, cb: Callback, results?: unknown): void {
    const err = this.fail[step];
    const gate = this.gate ?? this.pool.gate ?? Promise.resolve();
    void gate.then(() => process.nextTick(() => (err ? cb(err) : cb(null, results))));
  }
  query(options: QueryOptions, cb: Callback): void {
    this.log.push(`query ${options.sql} ${JSON.stringify(options.values)} timeout=${String(options.timeout)}`);
    this.answer("query", cb, this.pool.respond(options.sql, options.values));
  }
  rollback(options: StatementOptions, cb: (err: Error | null) => void): void {
    this.log.push(`${options.sql} timeout=${String(options.timeout)}`);
    this.answer("rollback", cb);
  }
  release(): void {
    this.log.push("release");
    this.pool.releaseConnection(this);
  }
  destroy(): void {
    this.log.push("destroy");
    this.pool.removeConnection(this);
  }
}

export class FakePool implements PoolLike {
  log: string[] = [];
  connectError: Error | undefined;
  /** Every connection ever opened, in order. */
  made: FakeConnection[] = [];
  free: FakeConnection[] = [];
  queue: Array<(err: Error | null, connection: ConnectionLike) => void> = [];
  private open = 0;
  respond: Responder = () => [{ n: 1 }];
  /** When set, every connection's statements wait for it (unless the connection has its own gate). */
  gate: Promise<void> | undefined;

  constructor(
    readonly connectionLimit = 10,
    readonly queueLimit = 0,
  ) {}

  getConnection(cb: (err: Error | null, connection: ConnectionLike) => void): void {
    const err = this.connectError;
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
