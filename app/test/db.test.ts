import * as assert from "node:assert/strict";
import { AcquireTimeoutError, poolDatabase } from "../src/db";
import { deferred } from "./helpers";
import { FakePool } from "./fakePool";

function setup(pool = new FakePool(), acquireTimeoutMs = 1000): { pool: FakePool; db: ReturnType<typeof poolDatabase> } {
  return { pool, db: poolDatabase(pool, { queryTimeoutMs: 1500, acquireTimeoutMs }) };
}

const BEGIN = "START TRANSACTION timeout=1500";
const COMMIT = "COMMIT timeout=1500";
const ROLLBACK = "ROLLBACK timeout=1500";

describe("poolDatabase (mysql adapter)", () => {
  it("runs a query on a pooled connection with its parameters and the statement timeout, then releases it", async () => {
    const { pool, db } = setup();
    assert.deepEqual(await db.query("SELECT ? AS n", [1]), [{ n: 1 }]);
    assert.deepEqual(pool.made[0].log, ["query SELECT ? AS n [1] timeout=1500", "release"]);
    assert.deepEqual(pool.free, [pool.made[0]]);
  });

  it("releases the connection when a query fails and rejects with its error", async () => {
    const { pool, db } = setup();
    await db.query("SELECT 1", []);
    pool.made[0].fail.query = new Error("PROTOCOL_SEQUENCE_TIMEOUT");
    await assert.rejects(db.query("SELECT 1", []), { message: "PROTOCOL_SEQUENCE_TIMEOUT" });
    assert.deepEqual(pool.made[0].log.slice(2), ["query SELECT 1 [] timeout=1500", "release"]);
  });

  it("commits a transaction that succeeds, with the statement timeout on START TRANSACTION and COMMIT", async () => {
    const { pool, db } = setup();
    const result = await db.transaction(async (tx) => tx.query("INSERT INTO t (a) VALUES (?)", ["x"]));
    assert.deepEqual(result, [{ n: 1 }]);
    assert.deepEqual(pool.made[0].log, [BEGIN, 'query INSERT INTO t (a) VALUES (?) ["x"] timeout=1500', COMMIT, "release"]);
  });

  it("rolls back, with the statement timeout, when a statement fails and rejects with that statement's error", async () => {
    const { pool, db } = setup();
    await db.query("SELECT 1", []);
    pool.made[0].log = [];
    pool.made[0].fail.query = new Error("ER_NO_SUCH_TABLE");
    await assert.rejects(
      db.transaction((tx) => tx.query("INSERT INTO nope VALUES (?)", [1])),
      { message: "ER_NO_SUCH_TABLE" },
    );
    assert.deepEqual(pool.made[0].log, [BEGIN, "query INSERT INTO nope VALUES (?) [1] timeout=1500", ROLLBACK, "release"]);
  });

  it("rolls back when the work itself throws", async () => {
    const { pool, db } = setup();
    await assert.rejects(
      db.transaction(async () => {
        throw new Error("bad result");
      }),
      { message: "bad result" },
    );
    assert.deepEqual(pool.made[0].log, [BEGIN, ROLLBACK, "release"]);
  });

  it("rolls back when COMMIT fails", async () => {
    const { pool, db } = setup();
    await db.query("SELECT 1", []);
    pool.made[0].log = [];
    pool.made[0].fail.commit = new Error("ER_LOCK_DEADLOCK");
    await assert.rejects(
      db.transaction(async () => 1),
      { message: "ER_LOCK_DEADLOCK" },
    );
    assert.deepEqual(pool.made[0].log, [BEGIN, COMMIT, ROLLBACK, "release"]);
  });

  it("destroys the connection instead of pooling it when START TRANSACTION times out and ROLLBACK cannot run", async () => {
    const { pool, db } = setup();
    await db.query("SELECT 1", []);
    const conn = pool.made[0];
    conn.log = [];
    conn.fail.begin = Object.assign(new Error("Query inactivity timeout"), { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true });
    conn.fail.rollback = new Error("Cannot enqueue Query after fatal error.");
    await assert.rejects(
      db.transaction(async () => 1),
      { code: "PROTOCOL_SEQUENCE_TIMEOUT" },
    );
    assert.deepEqual(conn.log, [BEGIN, ROLLBACK, "destroy"]);
    assert.deepEqual(pool.free, []);
  });

  it("rejects without touching a connection when none can be opened", async () => {
    const { pool, db } = setup();
    pool.connectError = new Error("connect ECONNREFUSED 127.0.0.1:3306");
    await assert.rejects(
      db.transaction(async () => 1),
      { message: "connect ECONNREFUSED 127.0.0.1:3306" },
    );
    assert.deepEqual(pool.made, []);
  });

  it("fails at once when the pool's queue is full", async () => {
    const { pool, db } = setup(new FakePool(1, 1), 10_000);
    const gate = deferred<void>();
    const holding = db.transaction(async (tx) => {
      await gate.promise;
      return tx.query("SELECT 1", []);
    });
    const queued = db.query("SELECT 2", []);
    const started = Date.now();
    await assert.rejects(db.query("SELECT 3", []), { code: "POOL_ENQUEUELIMIT" });
    assert.ok(Date.now() - started < 100, "the full queue fails at once, not after the acquire timeout");
    gate.resolve();
    assert.deepEqual(await Promise.all([holding, queued]), [[{ n: 1 }], [{ n: 1 }]]);
    assert.deepEqual(pool.log, ["queued", "queue full"]);
  });

  it("gives up on a connection that does not come within acquireTimeoutMs, and pools it when it comes", async () => {
    const { pool, db } = setup(new FakePool(1, 0), 50);
    const gate = deferred<void>();
    const holding = db.transaction(async () => gate.promise);
    const started = Date.now();
    await assert.rejects(db.query("SELECT 1", []), (err: unknown) => {
      assert.ok(err instanceof AcquireTimeoutError);
      assert.equal(err.message, "no database connection within 50 ms");
      assert.equal(err.code, "FOOBAR_ACQUIRE_TIMEOUT");
      return true;
    });
    const waited = Date.now() - started;
    assert.ok(waited >= 45 && waited < 1000, `waited ${waited} ms`);
    gate.resolve();
    await holding;
    await new Promise((resolve) => setImmediate(resolve));
    // The late connection went back to the pool unused (released twice: by the transaction, then
    // by the abandoned wait) and serves the next request.
    assert.deepEqual(pool.made[0].log, [BEGIN, COMMIT, "release", "release"]);
    assert.deepEqual(pool.free, [pool.made[0]]);
    assert.deepEqual(await db.query("SELECT 2", []), [{ n: 1 }]);
  });

  it("close() ends the pool", async () => {
    const { pool, db } = setup();
    await db.close();
    assert.deepEqual(pool.log, ["end"]);
  });
});
