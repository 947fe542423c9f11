import * as assert from "node:assert/strict";
import { VisitStore, VisitStoreOptions } from "../src/store";
import {
  BUMP_TOTAL,
  COUNT_INSERTED,
  SELECT_LAST_GTID,
  SELECT_TOTAL,
  SYNC_WAIT,
  WAIT_FOR_GTID,
  insertVisitsSql,
  selectVisitsSql,
} from "../src/visitSql";
import { mysqlError } from "./fakePool";
import { MemoryDb, MemoryReplica } from "./memoryDb";

const A = "9f0c1c5e-8d4b-4a51-9a2e-3f6b7c8d9e0a";
const B = "3b241101-e2bb-4255-8caf-4136c566a962";
const C = "6fa459ea-ee8a-4ca4-894e-db77e160355e";

const insert = (...rows: Array<[string, string]>): string => `${insertVisitsSql(rows.length)} ${JSON.stringify(rows.flat())}`;
const select = (...ids: string[]): string => `${selectVisitsSql(ids.length)} ${JSON.stringify(ids)}`;
/** A server's INSERT and the bump of its total by what that INSERT added. */
const inserting = (server: string, ...ids: string[]): string[] => [
  insert(...ids.map((id): [string, string] => [server, id])),
  `${COUNT_INSERTED} []`,
  `${BUMP_TOTAL} ${JSON.stringify([server])}`,
];
const BEGIN = "START TRANSACTION []";
const COMMIT = "COMMIT []";
const TOTAL = `${SELECT_TOTAL} []`;
const GTID = `${SELECT_LAST_GTID} []`;
const wait = (gtid: string): string => `${WAIT_FOR_GTID} ${JSON.stringify([gtid, 0.1])}`;
const SYNC = `${SYNC_WAIT} []`;

function setup(options: VisitStoreOptions & { replica?: boolean } = {}): {
  primary: MemoryDb;
  replica: MemoryReplica;
  store: VisitStore;
  errors: string[];
} {
  const primary = new MemoryDb();
  const replica = new MemoryReplica(primary);
  const errors: string[] = [];
  let n = 0;
  const store = new VisitStore(primary, options.replica === false ? undefined : replica, {
    logError: (l) => errors.push(l),
    newRequestId: () => `app-${++n}`,
    ...options,
  });
  return { primary, replica, store, errors };
}

describe("VisitStore", () => {
  describe("recording visits", () => {
    it("records a visit and bumps its server's total in one transaction, then reads the total", async () => {
      const { primary, store } = setup({ replica: false });
      assert.deepEqual(await store.recordVisit("server-2", A), { visitId: 1, replayed: false, total: 1, readFrom: "primary" });
      assert.deepEqual(primary.log, [BEGIN, ...inserting("server-2", A), select(A), COMMIT, TOTAL]);
    });

    it("gives a request without an id one of its own, so it counts every time", async () => {
      const { primary, store } = setup({ replica: false });
      await store.recordVisit("server-1");
      await store.recordVisit("server-1");
      assert.deepEqual(
        primary.visits.map((v) => v.requestId),
        ["app-1", "app-2"],
      );
      assert.deepEqual(primary.totals, new Map([["server-1", 2]]));
    });

    it("puts the visits that arrive during a transaction into the next one: one INSERT, one bump, each its own id", async () => {
      const { primary, store } = setup({ replica: false });
      const pages = await Promise.all([A, B, C, "d"].map((id) => store.recordVisit("server-1", id)));
      assert.deepEqual(
        pages.map((p) => [p.visitId, p.replayed]),
        [
          [1, false],
          [2, false],
          [3, false],
          [4, false],
        ],
      );
      // The first went alone; the second batch's total includes all of it.
      assert.deepEqual(
        pages.map((p) => p.total),
        [1, 4, 4, 4],
      );
      assert.deepEqual(primary.log.slice(7), [BEGIN, ...inserting("server-1", B, C, "d"), select(B, C, "d"), COMMIT, TOTAL]);
      assert.deepEqual(primary.totals, new Map([["server-1", 4]]));
    });

    it("answers a replayed request id with the first visit and does not count it", async () => {
      const { primary, store } = setup({ replica: false });
      await store.recordVisit("server-1", A);
      primary.log = [];
      assert.deepEqual(await store.recordVisit("server-2", A), { visitId: 1, replayed: true, total: 1, readFrom: "primary" });
      assert.deepEqual(primary.log, [BEGIN, ...inserting("server-2", A), select(A), COMMIT, TOTAL]);
      // server-2's row exists now, at 0: the bump added what the INSERT added, nothing.
      assert.deepEqual(
        primary.totals,
        new Map([
          ["server-1", 1],
          ["server-2", 0],
        ]),
      );
    });

    it("counts the new visits of a batch that also holds a replay, and the same id twice in a batch once", async () => {
      const { primary, store } = setup({ replica: false });
      await store.recordVisit("server-1", A);
      const first = store.recordVisit("server-1", "x"); // in flight while the next four wait
      const pages = await Promise.all([A, B, B, C].map((id) => store.recordVisit("server-1", id)));
      await first;
      assert.deepEqual(
        pages.map((p) => [p.visitId, p.replayed]),
        [
          [1, true],
          [3, false],
          [3, true],
          [4, false],
        ],
      );
      assert.ok(primary.log.includes(insert(["server-1", A], ["server-1", B], ["server-1", C])));
      assert.deepEqual(primary.totals, new Map([["server-1", 4]]));
      assert.deepEqual(
        pages.map((p) => p.total),
        [4, 4, 4, 4],
      );
    });

    it("fails every visit of a batch whose transaction fails, and records none of them", async () => {
      const { primary, store } = setup({ replica: false });
      primary.failAt = { sql: COUNT_INSERTED, err: new Error("ER_LOCK_WAIT_TIMEOUT") };
      // A goes alone; B and C share the next transaction.
      const pages = [A, B, C].map((id) => store.recordVisit("server-1", id));
      for (const page of pages) await assert.rejects(page, { message: "ER_LOCK_WAIT_TIMEOUT" });
      assert.deepEqual(primary.visits, []);
      assert.equal(primary.log.filter((l) => l === "ROLLBACK").length, 2);
      primary.failAt = undefined;
      assert.equal((await store.recordVisit("server-1", B)).total, 1, "a replay after the 503 counts once");
    });
  });

  describe("read-your-writes", () => {
    it("waits on the replica for the batch's GTID, then reads the total there", async () => {
      const { primary, replica, store } = setup();
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "replica" });
      assert.deepEqual(primary.log.slice(-2), [COMMIT, GTID]);
      assert.deepEqual(replica.log, [wait("0-1-1"), TOTAL]);
    });

    it("waits and reads once per batch, for every visit of it", async () => {
      const { replica, store } = setup();
      const pages = await Promise.all([A, B, C].map((id) => store.recordVisit("server-1", id)));
      assert.deepEqual(
        pages.map((p) => [p.total, p.readFrom]),
        [
          [1, "replica"],
          [3, "replica"],
          [3, "replica"],
        ],
      );
      assert.deepEqual(replica.log, [wait("0-1-1"), TOTAL, wait("0-1-2"), TOTAL]);
    });

    it("reads from the primary when the replica has not applied the commit in time, and skips it for a while", async () => {
      let now = 1000;
      const { primary, replica, store, errors } = setup({ now: () => now, readerRetryMs: 5000, writeMs: 400 });
      replica.stuck = true;
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "primary" });
      assert.equal(primary.log[primary.log.length - 1], TOTAL);
      now = 5999;
      replica.stuck = false;
      assert.equal((await store.recordVisit("server-1", B)).readFrom, "primary");
      assert.equal(replica.timeouts.length, 1, "the replica is not asked during the retry delay");
      now = 6000;
      assert.deepEqual(await store.recordVisit("server-1", C), { visitId: 3, replayed: false, total: 3, readFrom: "replica" });
      // Reading a total: the replica within its pool's script time, the primary within what is left
      // (the clock stood still); each batch within writeMs.
      assert.deepEqual(replica.timeouts, [undefined, undefined]);
      assert.deepEqual(primary.timeouts, [400, 500, 400, 500, 400]);
      assert.deepEqual(errors, [
        "replica read failed, reading totals from the primary: it had not applied 0-1-1 within 100 ms",
        "replica answers again; reading totals from it",
      ]);
    });

    it("reads from the primary when the replica fails, logging once per outage", async () => {
      const { replica, store, errors } = setup({ readerRetryMs: 0 });
      replica.failWith = new Error("connect ETIMEDOUT");
      for (const id of [A, B]) assert.equal((await store.recordVisit("server-1", id)).readFrom, "primary");
      assert.equal(replica.log.length, 2);
      assert.deepEqual(errors, ["replica read failed, reading totals from the primary: connect ETIMEDOUT"]);
    });

    it("reads from the primary for a batch of replays only: it wrote nothing, so it has no GTID", async () => {
      const { replica, store } = setup();
      await store.recordVisit("server-1", A);
      replica.log = [];
      assert.deepEqual(await store.recordVisit("server-2", A), { visitId: 1, replayed: true, total: 1, readFrom: "primary" });
      assert.deepEqual(replica.log, []);
    });

    it("fails a batch whose script fails after COMMIT; its replay finds the visits recorded, counted once", async () => {
      const { primary, store } = setup();
      primary.failAt = { sql: SELECT_LAST_GTID, err: new Error("Query inactivity timeout") };
      await assert.rejects(store.recordVisit("server-1", A), { message: "Query inactivity timeout" });
      primary.failAt = undefined;
      assert.deepEqual(await store.recordVisit("server-2", A), { visitId: 1, replayed: true, total: 1, readFrom: "primary" });
    });

    it("on MySQL (RDS), reads the total from the primary: there is no GTID to wait for", async () => {
      const { primary, replica, store } = setup({ flavor: "mysql" });
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "primary" });
      assert.ok(!primary.log.includes(GTID));
      assert.deepEqual(replica.log, []);
    });

    it("rejects with the primary's error when both fail", async () => {
      const { primary, replica, store } = setup();
      replica.failWith = new Error("replica down");
      primary.failAt = { sql: SELECT_TOTAL, err: new Error("primary down") };
      await assert.rejects(store.recordVisit("server-1", A), { message: "primary down" });
    });
  });

  describe("on Galera", () => {
    it("reads the total on the local node, a causal read in the same round trip; the batch asks for no GTID", async () => {
      const { primary, replica, store } = setup({ flavor: "galera" });
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "replica" });
      assert.deepEqual(primary.log, [BEGIN, ...inserting("server-1", A), select(A), COMMIT]);
      assert.deepEqual(replica.log, [SYNC, TOTAL]);
      assert.deepEqual(replica.timeouts, [undefined], "one script, within the reader's own time");
    });

    it("reads a batch of replays only on the local node too: the causal read needs no GTID", async () => {
      const { replica, store } = setup({ flavor: "galera" });
      await store.recordVisit("server-1", A);
      assert.deepEqual(await store.recordVisit("server-2", A), { visitId: 1, replayed: true, total: 1, readFrom: "replica" });
      assert.deepEqual(replica.log, [SYNC, TOTAL, SYNC, TOTAL]);
    });

    it("reads from the writer when the causal read fails or times out, skips the node for a while, and logs when that starts and ends", async () => {
      let now = 1000;
      const { primary, replica, store, errors } = setup({ flavor: "galera", now: () => now, readerRetryMs: 5000, writeMs: 400 });
      replica.stuck = true;
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "primary" });
      assert.deepEqual(primary.log.slice(-2), [COMMIT, TOTAL]);
      now = 5999;
      replica.stuck = false;
      assert.equal((await store.recordVisit("server-1", B)).readFrom, "primary");
      assert.deepEqual(replica.log, [SYNC, TOTAL], "not asked during the retry delay");
      now = 6000;
      assert.deepEqual(await store.recordVisit("server-1", C), { visitId: 3, replayed: false, total: 3, readFrom: "replica" });
      // The batches within writeMs; the reads from the writer within what is left of totalReadMs (the clock stood still).
      assert.deepEqual(primary.timeouts, [400, 500, 400, 500, 400]);
      assert.deepEqual(errors, [
        "replica read failed, reading totals from the primary: Query inactivity timeout",
        "replica answers again; reading totals from it",
      ]);
    });

    it("reads from the writer when there is no reader", async () => {
      const { primary, replica, store } = setup({ flavor: "galera", replica: false });
      assert.deepEqual(await store.recordVisit("server-1", A), { visitId: 1, replayed: false, total: 1, readFrom: "primary" });
      assert.deepEqual(primary.log.slice(-2), [COMMIT, TOTAL]);
      assert.deepEqual(replica.log, []);
    });

    it("rejects with the writer's error when both fail", async () => {
      const { primary, replica, store } = setup({ flavor: "galera" });
      replica.failWith = new Error("local node down");
      primary.failAt = { sql: SELECT_TOTAL, err: new Error("writer down") };
      await assert.rejects(store.recordVisit("server-1", A), { message: "writer down" });
    });
  });

  describe("a batch that did not commit", () => {
    // The batch of one visit: START TRANSACTION (0), INSERT (1), SET (2), bump (3), SELECT ids (4), COMMIT (5), GTID (6).
    const serverError = (code: string, errno: number, index: number): Error =>
      mysqlError(`${code}: the server says no`, { code, errno, index });
    const RETRY_LINE = (err: string): string => `batch did not commit, running it once more on a new connection (500 ms left): ${err}`;
    // A retried batch's visit: id 1, or 2 when the first try's INSERT ran (InnoDB keeps the
    // auto-increment counter on rollback).
    const cases: Array<[string, string, Error, number | "failed"]> = [
      ["a node outside the majority refuses the INSERT", insertVisitsSql(1), serverError("ER_UNKNOWN_COM_ERROR", 1047, 1), 1],
      ["a read-only node refuses the INSERT", insertVisitsSql(1), serverError("ER_OPTION_PREVENTS_STATEMENT", 1290, 1), 1],
      ["a lock wait times out on the bump", BUMP_TOTAL, serverError("ER_LOCK_WAIT_TIMEOUT", 1205, 3), 2],
      ["the COMMIT fails certification", "COMMIT", serverError("ER_LOCK_DEADLOCK", 1213, 5), 2],
      ["the COMMIT is interrupted", "COMMIT", serverError("ER_QUERY_INTERRUPTED", 1317, 5), "failed"],
      [
        "the COMMIT's answer never came",
        "COMMIT",
        mysqlError("Query inactivity timeout", { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true }),
        "failed",
      ],
      [
        "the connection broke at the INSERT",
        insertVisitsSql(1),
        mysqlError("read ECONNRESET", { code: "ECONNRESET", fatal: true }),
        "failed",
      ],
      ["the GTID read after the COMMIT fails", SELECT_LAST_GTID, serverError("ER_UNKNOWN_COM_ERROR", 1047, 6), "failed"],
    ];
    for (const [what, sql, err, outcome] of cases) {
      it(`${outcome === "failed" ? "fails, no retry" : "runs once more"}: ${what}`, async () => {
        // A clock that stands still: the retry's budget is then exactly what the first try had.
        const { primary, store, errors } = setup({ now: () => 0 });
        primary.failAt = { sql, err, once: true };
        const page = store.recordVisit("server-1", A);
        if (outcome !== "failed") {
          assert.deepEqual(await page, { visitId: outcome, replayed: false, total: 1, readFrom: "replica" });
          assert.deepEqual(errors, [RETRY_LINE(err.message)]);
          assert.deepEqual(primary.purges, ["a batch runs once more"]);
          assert.equal(primary.log.filter((l) => l === BEGIN).length, 2);
          assert.deepEqual(primary.timeouts, [500, 500], "the retry within what is left (the clock stood still)");
        } else {
          await assert.rejects(page, { message: err.message });
          assert.deepEqual([errors, primary.purges, primary.log.filter((l) => l === BEGIN).length], [[], [], 1]);
          // HAProxy's replay of the request: counted once, whether the first try committed or not.
          assert.equal((await store.recordVisit("server-1", A)).total, 1);
        }
      });
    }

    it("runs at most once more: the second failure fails the batch", async () => {
      const { primary, store, errors } = setup({ now: () => 0 });
      const err = serverError("ER_UNKNOWN_COM_ERROR", 1047, 1);
      primary.failAt = { sql: insertVisitsSql(1), err };
      await assert.rejects(store.recordVisit("server-1", A), { message: err.message });
      assert.equal(primary.log.filter((l) => l === BEGIN).length, 2);
      assert.deepEqual(errors, [RETRY_LINE(err.message)]);
      assert.deepEqual(primary.visits, []);
    });

    it("runs once more only within the batch's time", async () => {
      for (const [took, timeouts] of [
        [300, [500, 200]],
        [500, [500]],
      ] as const) {
        let now = 0;
        const { primary, store } = setup({ now: () => now });
        const script = primary.script.bind(primary);
        primary.script = (statements, timeoutMs) => {
          now += took;
          return script(statements, timeoutMs);
        };
        primary.failAt = { sql: insertVisitsSql(1), err: serverError("ER_UNKNOWN_COM_ERROR", 1047, 1), once: true };
        const page = store.recordVisit("server-1", A);
        if (timeouts.length === 2) assert.equal((await page).total, 1);
        else await assert.rejects(page, { code: "ER_UNKNOWN_COM_ERROR" });
        assert.deepEqual(primary.timeouts.slice(0, timeouts.length), timeouts, `a first try of ${took} ms`);
      }
    });
  });

  it("close() closes the writer and the replica", async () => {
    const { primary, replica, store } = setup();
    await store.close();
    assert.deepEqual([primary.closed, replica.closed], [1, 1]);
    await new VisitStore(primary, undefined).close();
    assert.equal(primary.closed, 2);
  });
});
