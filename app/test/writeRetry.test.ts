// Which failed batch scripts run once more (writeRetry.ts): only those the app knows did not
// commit, at most once, within the batch's time, on a new connection.
import * as assert from "node:assert/strict";
import { poolDatabase, Statement } from "../src/db";
import { CommitState, commitStateOf, writeScript } from "../src/writeRetry";
import { FakePool, mysqlError } from "./fakePool";

const server = (code: string, errno: number, index: number): Error => mysqlError(`${code}: the server says no`, { code, errno, index });
const fatal = (code: string, message: string): Error => mysqlError(message, { code, fatal: true });

describe("commitStateOf: what a failed script's error says of its COMMIT (at 5)", () => {
  const cases: Array<[string, unknown, CommitState]> = [
    ["START TRANSACTION refused: a node outside the majority (1047)", server("ER_UNKNOWN_COM_ERROR", 1047, 0), "not committed"],
    ["the INSERT refused: read-only (1290)", server("ER_OPTION_PREVENTS_STATEMENT", 1290, 1), "not committed"],
    ["the bump: lock wait timeout (1205)", server("ER_LOCK_WAIT_TIMEOUT", 1205, 3), "not committed"],
    ["the SELECT of ids: deadlock, a conflicting write aborted ours (1213)", server("ER_LOCK_DEADLOCK", 1213, 4), "not committed"],
    [
      "the first statement: the server had closed the idle connection (4031, an answer)",
      server("ER_CLIENT_INTERACTION_TIMEOUT", 4031, 0),
      "not committed",
    ],
    ["the COMMIT: certification failed (1213)", server("ER_LOCK_DEADLOCK", 1213, 5), "not committed"],
    ["the COMMIT: a node outside the majority (1047)", server("ER_UNKNOWN_COM_ERROR", 1047, 5), "not committed"],
    ["the COMMIT: read-only (1290)", server("ER_OPTION_PREVENTS_STATEMENT", 1290, 5), "not committed"],
    [
      "mysql refused to send on a dead connection",
      mysqlError("Cannot enqueue Query after fatal error.", { code: "PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR", fatal: false }),
      "not committed",
    ],
    ["the COMMIT: lock wait timeout (1205)", server("ER_LOCK_WAIT_TIMEOUT", 1205, 5), "unknown"],
    ["the COMMIT: interrupted (1317)", server("ER_QUERY_INTERRUPTED", 1317, 5), "unknown"],
    ["the COMMIT: connection killed (1927)", server("ER_CONNECTION_KILLED", 1927, 5), "unknown"],
    ["the COMMIT: server shutdown (1053)", server("ER_SERVER_SHUTDOWN", 1053, 5), "unknown"],
    ["the COMMIT: error during commit (1180)", server("ER_ERROR_DURING_COMMIT", 1180, 5), "unknown"],
    ["the GTID read after the COMMIT (1047)", server("ER_UNKNOWN_COM_ERROR", 1047, 6), "unknown"],
    ["the connection reset after sending", fatal("ECONNRESET", "read ECONNRESET"), "unknown"],
    [
      "the connection closed after sending",
      fatal("PROTOCOL_CONNECTION_LOST", "Connection lost: The server closed the connection."),
      "unknown",
    ],
    ["the script timed out (a COMMIT sent, no answer)", fatal("PROTOCOL_SEQUENCE_TIMEOUT", "Query inactivity timeout"), "unknown"],
    [
      "4031 marked fatal",
      mysqlError("ER_CLIENT_INTERACTION_TIMEOUT", { code: "ER_CLIENT_INTERACTION_TIMEOUT", errno: 4031, index: 0, fatal: true }),
      "unknown",
    ],
    ["2013 marked fatal", mysqlError("Lost connection", { code: "CR_SERVER_LOST", errno: 2013, index: 0, fatal: true }), "unknown"],
    ["a server error without its position", mysqlError("ER_LOCK_DEADLOCK", { code: "ER_LOCK_DEADLOCK", errno: 1213 }), "unknown"],
    ["an error of the app's own", new Error("a script of 7 statements got 6 results"), "unknown"],
    ["not an Error", "boom", "unknown"],
  ];
  for (const [what, err, state] of cases) {
    it(`${state}: ${what}`, () => assert.equal(commitStateOf(err, 5), state));
  }
});

describe("writeScript over a pool (db.ts)", () => {
  // START TRANSACTION (0), INSERT (1), COMMIT (2), SELECT @@last_gtid (3).
  const s = (sql: string): Statement => ({ sql, params: [] });
  const SCRIPT = [s("START TRANSACTION"), s("INSERT INTO t VALUES (1)"), s("COMMIT"), s("SELECT @@last_gtid AS gtid")];
  const QUERY = "query START TRANSACTION;\nINSERT INTO t VALUES (1);\nCOMMIT;\nSELECT @@last_gtid AS gtid [] timeout=500";
  const PURGED = (n: number): string => `closed ${n} idle connection${n === 1 ? "" : "s"}, the next script connects anew`;
  const RETRY = (err: string): string => `batch did not commit, running it once more on a new connection (500 ms left): ${err}`;

  function setup(): { pool: FakePool; db: ReturnType<typeof poolDatabase>; logged: string[]; clock: { now: number } } {
    const pool = new FakePool();
    pool.respond = () => [{ affectedRows: 0 }, { affectedRows: 1 }, { affectedRows: 0 }, [{ gtid: "0-1-1" }]];
    const logged: string[] = [];
    const clock = { now: 0 };
    const db = poolDatabase(pool, {
      acquireTimeoutMs: 50,
      scriptTimeoutMs: 500,
      now: () => clock.now,
      name: "writer",
      logError: (l) => logged.push(l),
    });
    return { pool, db, logged, clock };
  }

  /** Two connections idle in the pool, as after a busy moment: a purge closes them. */
  async function twoIdle(db: ReturnType<typeof poolDatabase>): Promise<void> {
    await Promise.all([db.script([s("SELECT 1")]), db.script([s("SELECT 2")])]);
  }

  type Case = [string, (pool: FakePool) => void, "retried" | "failed", string[]];
  const refused = fatal("ECONNREFUSED", "connect ECONNREFUSED 10.0.1.9:3306");
  const cases: Case[] = [
    [
      "connect refused",
      (p) => (p.failConnects = [refused]),
      "retried",
      [`writer: ${refused.message}; ${PURGED(2)}`, RETRY(refused.message)],
    ],
    [
      "connect timed out",
      (p) => (p.failConnects = [fatal("ETIMEDOUT", "connect ETIMEDOUT")]),
      "retried",
      [`writer: connect ETIMEDOUT; ${PURGED(2)}`, RETRY("connect ETIMEDOUT")],
    ],
    [
      "the handshake failed",
      (p) => (p.failConnects = [fatal("HANDSHAKE_SSL_ERROR", "self-signed certificate")]),
      "retried",
      [`writer: self-signed certificate; ${PURGED(2)}`, RETRY("self-signed certificate")],
    ],
    [
      "the pool's queue is full",
      (p) => (p.failConnects = [mysqlError("Queue limit reached.", { code: "POOL_ENQUEUELIMIT" })]),
      "retried",
      [RETRY("Queue limit reached."), `writer: a batch runs once more; ${PURGED(2)}`],
    ],
    [
      "no connection in time",
      (p) => {
        const getConnection = p.getConnection.bind(p);
        p.getConnection = () => (p.getConnection = getConnection); // the first ask is never answered
      },
      "retried",
      [`writer: no database connection within 50 ms; ${PURGED(2)}`, RETRY("no database connection within 50 ms")],
    ],
    [
      "the INSERT refused by a node outside the majority",
      (p) => (p.failQueries = [server("ER_UNKNOWN_COM_ERROR", 1047, 1)]),
      "retried",
      [RETRY("ER_UNKNOWN_COM_ERROR: the server says no"), `writer: a batch runs once more; ${PURGED(2)}`],
    ],
    [
      "the COMMIT failed certification",
      (p) => (p.failQueries = [server("ER_LOCK_DEADLOCK", 1213, 2)]),
      "retried",
      [RETRY("ER_LOCK_DEADLOCK: the server says no"), `writer: a batch runs once more; ${PURGED(2)}`],
    ],
    ["the COMMIT interrupted", (p) => (p.failQueries = [server("ER_QUERY_INTERRUPTED", 1317, 2)]), "failed", []],
    ["the GTID read after the COMMIT failed", (p) => (p.failQueries = [server("ER_UNKNOWN_COM_ERROR", 1047, 3)]), "failed", []],
    [
      "the connection reset after sending",
      (p) => (p.failQueries = [fatal("ECONNRESET", "read ECONNRESET")]),
      "failed",
      [`writer: read ECONNRESET; ${PURGED(1)}`],
    ],
    [
      "the COMMIT sent, its answer never came (the script timed out)",
      (p) => (p.failQueries = [fatal("PROTOCOL_SEQUENCE_TIMEOUT", "Query inactivity timeout")]),
      "failed",
      [`writer: Query inactivity timeout; ${PURGED(1)}`],
    ],
  ];

  for (const [what, fail, outcome, lines] of cases) {
    it(`${outcome === "retried" ? "runs once more on a new connection" : "does not run again"}: ${what}`, async () => {
      const { pool, db, logged, clock } = setup();
      await twoIdle(db);
      fail(pool);
      const writing = writeScript(db, SCRIPT, 2, { timeoutMs: 500, now: () => clock.now, logError: (l) => logged.push(l) });
      if (outcome === "retried") {
        assert.deepEqual(await writing, [{ affectedRows: 0 }, { affectedRows: 1 }, { affectedRows: 0 }, [{ gtid: "0-1-1" }]]);
        // The retry ran on a connection opened after the failure; every older one is closed.
        const last = pool.made[pool.made.length - 1];
        assert.deepEqual([last.id, last.log], [3, [QUERY, "release"]]);
        assert.deepEqual(
          pool.made.slice(0, 2).map((c) => c.log[c.log.length - 1]),
          ["destroy", "destroy"],
        );
      } else {
        await assert.rejects(writing);
        assert.equal(pool.made.flatMap((c) => c.log).filter((l) => l === QUERY).length, 1, "sent once");
        assert.equal(pool.made.length, 2, "no new connection");
      }
      assert.deepEqual(logged, lines);
    });
  }

  it("runs at most once more: a second failure fails the batch with its error", async () => {
    const { pool, db, logged, clock } = setup();
    pool.failQueries = [server("ER_UNKNOWN_COM_ERROR", 1047, 1), server("ER_OPTION_PREVENTS_STATEMENT", 1290, 1)];
    const writing = writeScript(db, SCRIPT, 2, { timeoutMs: 500, now: () => clock.now, logError: (l) => logged.push(l) });
    await assert.rejects(writing, { code: "ER_OPTION_PREVENTS_STATEMENT" });
    assert.equal(pool.made.flatMap((c) => c.log).filter((l) => l === QUERY).length, 2);
    assert.deepEqual(logged, [RETRY("ER_UNKNOWN_COM_ERROR: the server says no"), `writer: a batch runs once more; ${PURGED(1)}`]);
  });

  it("gives the retry what is left of the batch's time, and none when nothing is left", async () => {
    for (const [took, sent] of [
      [300, ["timeout=200"]],
      [500, []],
    ] as const) {
      const { pool, db, logged, clock } = setup();
      const getConnection = pool.getConnection.bind(pool);
      pool.getConnection = (cb) => {
        pool.getConnection = getConnection;
        clock.now += took; // a connect that failed after `took` ms
        getConnection(cb);
      };
      pool.failConnects = [fatal("ETIMEDOUT", "connect ETIMEDOUT")];
      const writing = writeScript(db, SCRIPT, 2, { timeoutMs: 500, now: () => clock.now, logError: (l) => logged.push(l) });
      if (sent.length > 0) await writing;
      else await assert.rejects(writing, { code: "ETIMEDOUT" });
      assert.deepEqual(
        pool.made.flatMap((c) => c.log.filter((l) => l.startsWith("query")).map((l) => l.slice(l.lastIndexOf(" ") + 1))),
        sent,
        `a connect that failed after ${took} ms`,
      );
      assert.equal(logged.length, sent.length, "a retry line only when it runs once more");
    }
  });

  it("runs once more when a connection kept warm is found dead (mysql sends nothing on it)", async () => {
    const pool = new FakePool();
    pool.respond = () => [{ affectedRows: 0 }, { affectedRows: 1 }, { affectedRows: 0 }, [{ gtid: "0-1-1" }]];
    const logged: string[] = [];
    const options = { acquireTimeoutMs: 50, scriptTimeoutMs: 500, reuseMs: 1000, now: () => 0 };
    const db = poolDatabase(pool, { ...options, name: "writer", logError: (l) => logged.push(l) });
    await db.script([s("SELECT 1")]);
    pool.made[0].lose(fatal("ECONNRESET", "read ECONNRESET"));
    await writeScript(db, SCRIPT, 2, { timeoutMs: 500, now: () => 0, logError: (l) => logged.push(l) });
    assert.deepEqual(pool.made[0].log.slice(1), [QUERY, "destroy"]);
    assert.deepEqual(pool.made[1].log, [QUERY], "a new connection, kept warm");
    assert.deepEqual(logged, [RETRY("Cannot enqueue Query after fatal error.")]);
  });
});
