import * as assert from "node:assert/strict";
import { AcquireTimeoutError, OutOfTimeError, Statement, poolDatabase } from "../src/db";
import { deferred } from "./helpers";
import { FakePool } from "./fakePool";

/** A clock that stands still unless a test moves it. */
const clock = { now: 0 };

function setup(pool = new FakePool(), acquireTimeoutMs = 1000): { pool: FakePool; db: ReturnType<typeof poolDatabase> } {
  clock.now = 0;
  return { pool, db: poolDatabase(pool, { acquireTimeoutMs, scriptTimeoutMs: 4000, now: () => clock.now }) };
}

const s = (sql: string, ...params: unknown[]): Statement => ({ sql, params });
const ROLLBACK = "ROLLBACK timeout=4000";

describe("poolDatabase (mysql adapter)", () => {
  it("sends a script as one multi-statement query with every parameter, bounded by its time, then releases the connection", async () => {
    const { pool, db } = setup();
    pool.respond = () => [{ n: 1 }, { n: 2 }];
    assert.deepEqual(await db.script([s("INSERT INTO t (a, b) VALUES (?, ?)", "x", 1), s("SELECT ? AS n", 2)]), [{ n: 1 }, { n: 2 }]);
    assert.deepEqual(pool.made[0].log, ['query INSERT INTO t (a, b) VALUES (?, ?);\nSELECT ? AS n ["x",1,2] timeout=4000', "release"]);
    assert.deepEqual(pool.free, [pool.made[0]]);
  });

  it("answers a script of one statement with a list of one result", async () => {
    const { db } = setup();
    assert.deepEqual(await db.script([s("SELECT 1")]), [[{ n: 1 }]]);
  });

  it("gives the statements what is left of the script's time after getting a connection, or the time it is given", async () => {
    const { pool, db } = setup();
    pool.getConnection = ((original) => (cb) => {
      clock.now += 300; // a slow handshake
      original(cb);
    })(pool.getConnection.bind(pool));
    await db.script([s("SELECT 1")]);
    await db.script([s("SELECT 2")], 1000);
    assert.deepEqual(
      pool.made[0].log.filter((l) => l.startsWith("query")),
      ["query SELECT 1 [] timeout=3700", "query SELECT 2 [] timeout=700"],
    );
  });

  it("fails a script whose time ran out while getting its connection, and hands that connection back", async () => {
    const { pool, db } = setup();
    pool.getConnection = ((original) => (cb) => {
      clock.now += 4000;
      original(cb);
    })(pool.getConnection.bind(pool));
    await assert.rejects(db.script([s("SELECT 1")]), (err: unknown) => {
      assert.ok(err instanceof OutOfTimeError);
      assert.equal(err.message, "script not done within 4000 ms");
      assert.equal(err.code, "FOOBAR_OUT_OF_TIME");
      return true;
    });
    // No time left even to roll back: closing the connection rolls back whatever is open.
    assert.deepEqual(pool.made[0].log, ["destroy"]);
  });

  it("rolls back when a statement fails, so no transaction stays open in a pooled connection, and rejects with its error", async () => {
    const { pool, db } = setup();
    await db.script([s("SELECT 1")]);
    pool.made[0].log = [];
    pool.made[0].fail.query = new Error("ER_LOCK_DEADLOCK");
    await assert.rejects(db.script([s("START TRANSACTION"), s("INSERT INTO t VALUES (?)", 1), s("COMMIT")]), {
      message: "ER_LOCK_DEADLOCK",
    });
    assert.deepEqual(pool.made[0].log, [
      "query START TRANSACTION;\nINSERT INTO t VALUES (?);\nCOMMIT [1] timeout=4000",
      ROLLBACK,
      "release",
    ]);
  });

  it("closes the connection instead of pooling it when the script timed out and ROLLBACK cannot run", async () => {
    const { pool, db } = setup();
    await db.script([s("SELECT 1")]);
    const conn = pool.made[0];
    conn.log = [];
    conn.fail.query = Object.assign(new Error("Query inactivity timeout"), { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true });
    conn.fail.rollback = new Error("Cannot enqueue Query after fatal error.");
    await assert.rejects(db.script([s("SELECT 1")]), { code: "PROTOCOL_SEQUENCE_TIMEOUT" });
    assert.deepEqual(conn.log, ["query SELECT 1 [] timeout=4000", ROLLBACK, "destroy"]);
    assert.deepEqual(pool.free, []);
  });

  it("rejects without touching a connection when none can be opened", async () => {
    const { pool, db } = setup();
    pool.connectError = new Error("connect ECONNREFUSED 127.0.0.1:3306");
    await assert.rejects(db.script([s("SELECT 1")]), { message: "connect ECONNREFUSED 127.0.0.1:3306" });
    assert.deepEqual(pool.made, []);
  });

  it("fails at once when the pool's queue is full", async () => {
    const { pool, db } = setup(new FakePool(1, 1), 10_000);
    const gate = deferred<void>();
    pool.gate = gate.promise;
    const holding = db.script([s("SELECT 1")]);
    const queued = db.script([s("SELECT 2")]);
    const started = Date.now();
    await assert.rejects(db.script([s("SELECT 3")]), { code: "POOL_ENQUEUELIMIT" });
    assert.ok(Date.now() - started < 100, "the full queue fails at once, not after the acquire timeout");
    pool.gate = undefined;
    gate.resolve();
    assert.deepEqual(await Promise.all([holding, queued]), [[[{ n: 1 }]], [[{ n: 1 }]]]);
    assert.deepEqual(pool.log, ["queued", "queue full"]);
  });

  it("gives up on a connection that does not come within acquireTimeoutMs, and pools it when it comes", async () => {
    const { pool, db } = setup(new FakePool(1, 0), 50);
    const gate = deferred<void>();
    pool.gate = gate.promise;
    const holding = db.script([s("SELECT 1")]);
    const started = Date.now();
    await assert.rejects(db.script([s("SELECT 2")]), (err: unknown) => {
      assert.ok(err instanceof AcquireTimeoutError);
      assert.equal(err.message, "no database connection within 50 ms");
      assert.equal(err.code, "FOOBAR_ACQUIRE_TIMEOUT");
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 45 && waited < 1000, `waited ${waited} ms`);
    pool.gate = undefined;
    gate.resolve();
    await holding;
    await new Promise((resolve) => setImmediate(resolve));
    // The late connection went back to the pool unused (released twice: by the first script, then
    // by the abandoned wait) and serves the next one.
    assert.deepEqual(pool.made[0].log, ["query SELECT 1 [] timeout=4000", "release", "release"]);
    assert.deepEqual(pool.free, [pool.made[0]]);
    assert.deepEqual(await db.script([s("SELECT 3")]), [[{ n: 1 }]]);
  });

  it("reuses a connection that served a script within reuseMs without asking the pool (no ping), then hands it back", async () => {
    const pool = new FakePool();
    clock.now = 0;
    const db = poolDatabase(pool, { acquireTimeoutMs: 1000, scriptTimeoutMs: 4000, reuseMs: 20, now: () => clock.now });
    let asked = 0;
    pool.getConnection = ((original) => (cb) => {
      asked += 1;
      original(cb);
    })(pool.getConnection.bind(pool));
    await db.script([s("SELECT 1")]);
    clock.now = 19;
    await db.script([s("SELECT 2")]);
    assert.equal(asked, 1, "the second script took the kept connection");
    assert.deepEqual(pool.made[0].log, ["query SELECT 1 [] timeout=4000", "query SELECT 2 [] timeout=4000"]);
    clock.now = 40;
    await new Promise((resolve) => setTimeout(resolve, 60));
    assert.deepEqual(pool.made[0].log.slice(2), ["release"], "back to the pool once reuseMs is over");
    await db.script([s("SELECT 3")]);
    assert.equal(asked, 2);
    await db.close();
    assert.deepEqual(pool.made[0].log.slice(3), ["query SELECT 3 [] timeout=4000", "release"], "close() hands back what it keeps");
  });

  it("close() ends the pool", async () => {
    const { pool, db } = setup();
    await db.close();
    assert.deepEqual(pool.log, ["end"]);
  });
});
