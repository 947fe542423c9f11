import * as assert from "node:assert/strict";
import { AcquireTimeoutError, OutOfTimeError, Statement, connectionLost, poolDatabase, sentNothing } from "../src/db";
import { deferred } from "./helpers";
import { FakePool, mysqlError } from "./fakePool";

/** A clock that stands still unless a test moves it. */
const clock = { now: 0 };
/** What the adapter logged (purges). */
let errors: string[] = [];

function setup(pool = new FakePool(), acquireTimeoutMs = 1000, reuseMs = 0): { pool: FakePool; db: ReturnType<typeof poolDatabase> } {
  clock.now = 0;
  errors = [];
  const options = { acquireTimeoutMs, scriptTimeoutMs: 4000, reuseMs, now: () => clock.now };
  return { pool, db: poolDatabase(pool, { ...options, name: "writer", logError: (l) => errors.push(l) }) };
}

/** The connections of `n` scripts run side by side, all idle again afterwards. */
async function openIdle(db: ReturnType<typeof poolDatabase>, n: number): Promise<void> {
  await Promise.all(Array.from({ length: n }, (_, i) => db.script([s(`SELECT ${i}`)])));
}

const RESET = (): Error => mysqlError("read ECONNRESET", { code: "ECONNRESET", fatal: true });

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
      assert.equal(sentNothing(err), true);
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
    await assert.rejects(db.script([s("START TRANSACTION"), s("INSERT INTO t VALUES (?)", 1), s("COMMIT")]), (err: unknown) => {
      assert.equal((err as Error).message, "ER_LOCK_DEADLOCK");
      assert.deepEqual([sentNothing(err), connectionLost(err)], [false, false]);
      return true;
    });
    assert.deepEqual(pool.made[0].log, [
      "query START TRANSACTION;\nINSERT INTO t VALUES (?);\nCOMMIT [1] timeout=4000",
      ROLLBACK,
      "release",
    ]);
  });

  it("closes the connection, without a ROLLBACK it would refuse, when the script timed out", async () => {
    const { pool, db } = setup();
    await db.script([s("SELECT 1")]);
    const conn = pool.made[0];
    conn.log = [];
    conn.fail.query = mysqlError("Query inactivity timeout", { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true });
    await assert.rejects(db.script([s("SELECT 1")]), { code: "PROTOCOL_SEQUENCE_TIMEOUT" });
    assert.deepEqual(conn.log, ["query SELECT 1 [] timeout=4000", "destroy"]);
    assert.deepEqual(pool.free, []);
  });

  it("closes the connection when its ROLLBACK fails", async () => {
    const { pool, db } = setup();
    await db.script([s("SELECT 1")]);
    pool.made[0].fail.rollback = new Error("ROLLBACK failed");
    pool.failQueries = [mysqlError("ER_LOCK_DEADLOCK: Deadlock found", { code: "ER_LOCK_DEADLOCK", errno: 1213, index: 1 })];
    await assert.rejects(db.script([s("START TRANSACTION"), s("SELECT 2")]), { code: "ER_LOCK_DEADLOCK" });
    assert.deepEqual(pool.made[0].log.slice(2), ["query START TRANSACTION;\nSELECT 2 [] timeout=4000", ROLLBACK, "destroy"]);
    assert.deepEqual(errors, []);
  });

  describe("after a lost connection, and on purge()", () => {
    it("closes every idle connection once one is lost, logs one line, and the next script opens a new one", async () => {
      const { pool, db } = setup();
      await openIdle(db, 3);
      pool.failQueries = [RESET()];
      await assert.rejects(db.script([s("SELECT 9")]), (err: unknown) => {
        assert.equal((err as Error).message, "read ECONNRESET");
        assert.equal(sentNothing(err), false, "it was sent");
        return true;
      });
      assert.deepEqual(
        pool.made.map((c) => c.log.slice(2)),
        [["query SELECT 9 [] timeout=4000", "destroy"], ["destroy"], ["destroy"]],
      );
      assert.deepEqual(errors, ["writer: read ECONNRESET; closed 2 idle connections, the next script connects anew"]);
      assert.deepEqual(pool.free, []);
      await db.script([s("SELECT 10")]);
      assert.equal(pool.made.length, 4, "a new connection");
    });

    it("purges after a failed connect and when no connection came in time, not after a server's error answer nor a full queue", async () => {
      const PURGED = "closed 2 idle connections, the next script connects anew";
      const cases: Array<[string, (pool: FakePool) => void, string[]]> = [
        [
          "connect refused",
          (pool) => (pool.failConnects = [mysqlError("connect ECONNREFUSED 10.0.1.9:3306", { code: "ECONNREFUSED", fatal: true })]),
          [`writer: connect ECONNREFUSED 10.0.1.9:3306; ${PURGED}`],
        ],
        [
          "a handshake refused",
          (pool) =>
            (pool.failConnects = [
              mysqlError("ER_ACCESS_DENIED_ERROR: denied", { code: "ER_ACCESS_DENIED_ERROR", errno: 1045, fatal: true }),
            ]),
          [`writer: ER_ACCESS_DENIED_ERROR: denied; ${PURGED}`],
        ],
        [
          "no connection in time",
          (pool) => (pool.getConnection = () => undefined),
          [`writer: no database connection within 20 ms; ${PURGED}`],
        ],
        [
          "a server's error answer",
          (pool) =>
            (pool.failQueries = [
              mysqlError("ER_OPTION_PREVENTS_STATEMENT: read-only", { code: "ER_OPTION_PREVENTS_STATEMENT", errno: 1290, index: 0 }),
            ]),
          [],
        ],
        ["the pool's queue full", (pool) => (pool.failConnects = [mysqlError("Queue limit reached.", { code: "POOL_ENQUEUELIMIT" })]), []],
      ];
      for (const [what, fail, logged] of cases) {
        const { pool, db } = setup(new FakePool(), 20);
        await openIdle(db, 2);
        fail(pool);
        await assert.rejects(db.script([s("SELECT 3")]));
        assert.deepEqual(errors, logged, what);
      }
    });

    it("closes a connection found dead (mysql refuses to send on it: nothing sent), and the idle ones", async () => {
      const { pool, db } = setup(new FakePool(), 1000, 1000);
      await openIdle(db, 2);
      pool.made[1].lose(RESET());
      await assert.rejects(db.script([s("SELECT 3")]), (err: unknown) => {
        assert.equal((err as { code?: string }).code, "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR");
        assert.equal(sentNothing(err), true);
        assert.equal(connectionLost(err), true);
        return true;
      });
      assert.deepEqual(pool.made[1].log.slice(1), ["query SELECT 3 [] timeout=4000", "destroy"]);
      assert.deepEqual(pool.made[0].log.slice(1), ["destroy"], "the other warm one");
      assert.deepEqual(errors, [
        "writer: Cannot enqueue Query after fatal error.; closed 1 idle connection, the next script connects anew",
      ]);
    });

    it("purge() closes the connections kept warm and those back in the pool, and logs only when it closed any", async () => {
      const { pool, db } = setup(new FakePool(), 1000, 20);
      await openIdle(db, 2);
      clock.now = 40;
      await new Promise((resolve) => setTimeout(resolve, 60)); // both back in the pool
      await db.script([s("SELECT 5")]); // the first one: kept warm again
      assert.deepEqual(pool.free, [pool.made[1]]);
      db.purge("a batch runs once more");
      assert.deepEqual(
        pool.made.map((c) => c.log.slice(-1)),
        [["destroy"], ["destroy"]],
      );
      assert.deepEqual(pool.free, []);
      assert.deepEqual(errors, ["writer: a batch runs once more; closed 2 idle connections, the next script connects anew"]);
      db.purge("again");
      assert.equal(errors.length, 1, "nothing idle, no line");
      await db.script([s("SELECT 6")]);
      assert.equal(pool.made.length, 3);
    });

    it("does not count, nor keep track of, idle connections the pool has closed by itself", async () => {
      const { pool, db } = setup();
      await openIdle(db, 2);
      pool.made[0].state = "disconnected"; // e.g. the server closed it after wait_timeout
      db.purge("x");
      assert.deepEqual(errors, ["writer: x; closed 1 idle connection, the next script connects anew"]);
    });

    it("never purges the connection of a script in flight", async () => {
      const { pool, db } = setup();
      const gate = deferred<void>();
      pool.gate = gate.promise;
      const inFlight = db.script([s("SELECT 1")]);
      await new Promise((resolve) => setImmediate(resolve));
      db.purge("x");
      pool.gate = undefined;
      gate.resolve();
      assert.deepEqual(await inFlight, [[{ n: 1 }]]);
      assert.deepEqual(pool.made[0].log, ["query SELECT 1 [] timeout=4000", "release"]);
      assert.deepEqual(errors, []);
    });
  });

  it("rejects without touching a connection when none can be opened", async () => {
    const { pool, db } = setup();
    pool.connectError = new Error("connect ECONNREFUSED 127.0.0.1:3306");
    await assert.rejects(db.script([s("SELECT 1")]), (err: unknown) => {
      assert.equal((err as Error).message, "connect ECONNREFUSED 127.0.0.1:3306");
      assert.equal(sentNothing(err), true);
      return true;
    });
    assert.deepEqual(pool.made, []);
  });

  it("fails at once when the pool's queue is full", async () => {
    const { pool, db } = setup(new FakePool(1, 1), 10_000);
    const gate = deferred<void>();
    pool.gate = gate.promise;
    const holding = db.script([s("SELECT 1")]);
    const queued = db.script([s("SELECT 2")]);
    const started = Date.now();
    await assert.rejects(db.script([s("SELECT 3")]), (err: unknown) => {
      assert.equal((err as { code?: string }).code, "POOL_ENQUEUELIMIT");
      assert.deepEqual([sentNothing(err), connectionLost(err)], [true, false]);
      return true;
    });
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
      assert.deepEqual([sentNothing(err), connectionLost(err)], [true, true]);
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

  it("tells onFailure of each failed script once, with its error, whether it was sent or not", async () => {
    const failures: unknown[] = [];
    const pool = new FakePool();
    const db = poolDatabase(pool, {
      acquireTimeoutMs: 1000,
      scriptTimeoutMs: 4000,
      logError: () => undefined,
      onFailure: (e) => failures.push(e),
    });
    const answer = mysqlError("ER_DUP_ENTRY: duplicate", { code: "ER_DUP_ENTRY", errno: 1062, index: 0 });
    const refused = mysqlError("connect ECONNREFUSED 10.0.1.9:3306", { code: "ECONNREFUSED", fatal: true });
    await db.script([s("SELECT 1")]);
    pool.failQueries = [answer, RESET()];
    pool.failConnects = [refused];
    await assert.rejects(db.script([s("SELECT 2")]));
    await assert.rejects(db.script([s("SELECT 3")]));
    await assert.rejects(db.script([s("SELECT 4")]));
    assert.deepEqual(
      failures.map((e) => (e as { code?: string }).code),
      ["ECONNREFUSED", "ER_DUP_ENTRY", "ECONNRESET"],
    );
  });

  it("close() ends the pool", async () => {
    const { pool, db } = setup();
    await db.close();
    assert.deepEqual(pool.log, ["end"]);
  });
});
