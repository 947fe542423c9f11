import * as assert from "node:assert/strict";
import { ConnectionLike, PoolLike, poolDatabase } from "../src/db";

type Step = "begin" | "query" | "commit" | "rollback";
type QueryOptions = { sql: string; values: unknown[]; timeout?: number };

/** Mimics a mysqljs pool connection: callbacks run asynchronously, failures are scripted. */
class FakeConnection implements ConnectionLike {
  log: string[] = [];
  fail: Partial<Record<Step, Error>> = {};

  private answer(step: Step, cb: (err: Error | null, results?: unknown) => void, results?: unknown): void {
    const err = this.fail[step];
    process.nextTick(() => (err ? cb(err) : cb(null, results)));
  }
  query(options: QueryOptions, cb: (err: Error | null, results?: unknown) => void): void {
    this.log.push(`query ${options.sql} ${JSON.stringify(options.values)} timeout=${String(options.timeout)}`);
    this.answer("query", cb, { insertId: 11 });
  }
  beginTransaction(cb: (err: Error | null) => void): void {
    this.log.push("begin");
    this.answer("begin", cb);
  }
  commit(cb: (err: Error | null) => void): void {
    this.log.push("commit");
    this.answer("commit", cb);
  }
  rollback(cb: (err: Error | null) => void): void {
    this.log.push("rollback");
    this.answer("rollback", cb);
  }
  release(): void {
    this.log.push("release");
  }
  destroy(): void {
    this.log.push("destroy");
  }
}

class FakePool implements PoolLike {
  conn = new FakeConnection();
  log: string[] = [];
  connectError: Error | undefined;
  queryError: Error | undefined;

  getConnection(cb: (err: Error | null, connection: ConnectionLike) => void): void {
    const err = this.connectError ?? null;
    process.nextTick(() => cb(err, this.conn));
  }
  query(options: QueryOptions, cb: (err: Error | null, results?: unknown) => void): void {
    this.log.push(`query ${options.sql} ${JSON.stringify(options.values)} timeout=${String(options.timeout)}`);
    const err = this.queryError;
    process.nextTick(() => (err ? cb(err) : cb(null, [{ n: 1 }])));
  }
  end(cb: (err?: Error | null) => void): void {
    this.log.push("end");
    process.nextTick(() => cb(null));
  }
}

function setup(): { pool: FakePool; db: ReturnType<typeof poolDatabase> } {
  const pool = new FakePool();
  return { pool, db: poolDatabase(pool, { queryTimeoutMs: 1500 }) };
}

describe("poolDatabase (mysql adapter)", () => {
  it("runs pool queries with their parameters and the query timeout", async () => {
    const { pool, db } = setup();
    assert.deepEqual(await db.query("SELECT ? AS n", [1]), [{ n: 1 }]);
    assert.deepEqual(pool.log, ["query SELECT ? AS n [1] timeout=1500"]);
    pool.queryError = new Error("PROTOCOL_SEQUENCE_TIMEOUT");
    await assert.rejects(db.query("SELECT 1", []), { message: "PROTOCOL_SEQUENCE_TIMEOUT" });
  });

  it("commits a transaction that succeeds and returns the connection to the pool", async () => {
    const { pool, db } = setup();
    const result = await db.transaction(async (tx) => tx.query("INSERT INTO t (a) VALUES (?)", ["x"]));
    assert.deepEqual(result, { insertId: 11 });
    assert.deepEqual(pool.conn.log, ["begin", 'query INSERT INTO t (a) VALUES (?) ["x"] timeout=1500', "commit", "release"]);
  });

  it("rolls back when a statement fails and rejects with that statement's error", async () => {
    const { pool, db } = setup();
    pool.conn.fail.query = new Error("ER_NO_SUCH_TABLE");
    await assert.rejects(
      db.transaction((tx) => tx.query("INSERT INTO nope VALUES (?)", [1])),
      { message: "ER_NO_SUCH_TABLE" },
    );
    assert.deepEqual(pool.conn.log, ["begin", "query INSERT INTO nope VALUES (?) [1] timeout=1500", "rollback", "release"]);
  });

  it("rolls back when the work itself throws", async () => {
    const { pool, db } = setup();
    await assert.rejects(
      db.transaction(async () => {
        throw new Error("bad result");
      }),
      { message: "bad result" },
    );
    assert.deepEqual(pool.conn.log, ["begin", "rollback", "release"]);
  });

  it("rolls back when COMMIT fails", async () => {
    const { pool, db } = setup();
    pool.conn.fail.commit = new Error("ER_LOCK_DEADLOCK");
    await assert.rejects(
      db.transaction(async () => 1),
      { message: "ER_LOCK_DEADLOCK" },
    );
    assert.deepEqual(pool.conn.log, ["begin", "commit", "rollback", "release"]);
  });

  it("destroys the connection instead of pooling it when ROLLBACK fails too", async () => {
    const { pool, db } = setup();
    pool.conn.fail.query = new Error("PROTOCOL_CONNECTION_LOST");
    pool.conn.fail.rollback = new Error("Cannot enqueue Query after fatal error.");
    await assert.rejects(
      db.transaction((tx) => tx.query("SELECT 1", [])),
      { message: "PROTOCOL_CONNECTION_LOST" },
    );
    assert.deepEqual(pool.conn.log, ["begin", "query SELECT 1 [] timeout=1500", "rollback", "destroy"]);
  });

  it("rejects without touching a connection when none can be opened", async () => {
    const { pool, db } = setup();
    pool.connectError = new Error("connect ECONNREFUSED 127.0.0.1:3306");
    await assert.rejects(
      db.transaction(async () => 1),
      { message: "connect ECONNREFUSED 127.0.0.1:3306" },
    );
    assert.deepEqual(pool.conn.log, []);
  });

  it("close() ends the pool", async () => {
    const { pool, db } = setup();
    await db.close();
    assert.deepEqual(pool.log, ["end"]);
  });
});
