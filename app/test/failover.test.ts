// A web server's store through the write address's move (a Galera failover), over the real
// adapter (db.ts) and fake mysql pools that share one set of tables: the page reads its total on
// the local node, a batch that surely did not commit runs once more, and once a connection to the
// old node fails the next batch connects anew instead of trying the other old connections.
import * as assert from "node:assert/strict";
import { Database, poolDatabase } from "../src/db";
import { READER_LIMITS, WRITER_LIMITS } from "../src/poolConfig";
import { VisitStore } from "../src/store";
import { BUMP_TOTAL, COUNT_INSERTED, SELECT_TOTAL, SYNC_WAIT } from "../src/visitSql";
import { FakePool, mysqlError, perStatement } from "./fakePool";

/** The two tables, as every node sees them once a commit is certified. */
function cluster(): { writer: FakePool; reader: FakePool } {
  const ids = new Map<string, number>();
  let total = 0;
  let inserted = 0;
  const respond = perStatement((sql, values) => {
    if (sql.startsWith("INSERT IGNORE INTO visits")) {
      const first = ids.size + 1;
      inserted = 0;
      for (let i = 1; i < values.length; i += 2) {
        if (ids.has(String(values[i]))) continue;
        ids.set(String(values[i]), ids.size + 1);
        inserted += 1;
      }
      return { affectedRows: inserted, insertId: inserted > 0 ? first : 0 };
    }
    if (sql === BUMP_TOTAL) total += inserted;
    if (sql.startsWith("SELECT id")) return values.map((v) => ({ id: ids.get(String(v)), request_id: v }));
    if (sql === SELECT_TOTAL) return [{ total }];
    if (["START TRANSACTION", "COMMIT", COUNT_INSERTED, BUMP_TOTAL, SYNC_WAIT].includes(sql)) return { affectedRows: 0 };
    throw new Error(`the fake cluster does not know: ${sql}`);
  });
  const writer = new FakePool(WRITER_LIMITS.connectionLimit);
  const reader = new FakePool(READER_LIMITS.connectionLimit);
  writer.respond = respond;
  reader.respond = respond;
  return { writer, reader };
}

function setup(): { writer: FakePool; reader: FakePool; writerDb: Database; store: VisitStore; logged: string[] } {
  const { writer, reader } = cluster();
  const logged: string[] = [];
  const logError = (l: string): number => logged.push(l);
  // A clock that stands still: every wait is the full limit, the log lines exact.
  const now = (): number => 0;
  const open = (pool: FakePool, name: string, limits: typeof WRITER_LIMITS): Database =>
    poolDatabase(pool, { acquireTimeoutMs: limits.acquireTimeoutMs, scriptTimeoutMs: limits.scriptTimeoutMs, name, logError, now });
  const writerDb = open(writer, "writer", WRITER_LIMITS);
  const store = new VisitStore(writerDb, open(reader, "reader", READER_LIMITS), {
    flavor: "galera",
    writeMs: WRITER_LIMITS.scriptTimeoutMs,
    logError,
    now,
  });
  return { writer, reader, writerDb, store, logged };
}

/**
 * A busy moment: visits, and totals read from the writer side by side (as when the local node
 * lags), leave the writer pool with `n` idle connections, all to the node holding the write address.
 */
async function busy(store: VisitStore, writerDb: Database, n: number): Promise<void> {
  await store.recordVisit("server-1", "before");
  await Promise.all(Array.from({ length: n }, () => writerDb.script([{ sql: SELECT_TOTAL, params: [] }])));
}

const queries = (pool: FakePool): string[] => pool.made.flatMap((c) => c.log.filter((l) => l.startsWith("query")));

describe("failover (Galera, the write address moves)", () => {
  it("reads each batch's total on the local node in one round trip, a causal read", async () => {
    const { writer, reader, store } = setup();
    assert.deepEqual(await store.recordVisit("server-1", "a"), { visitId: 1, replayed: false, total: 1, readFrom: "replica" });
    assert.deepEqual(queries(reader), [`query ${SYNC_WAIT};\n${SELECT_TOTAL} [] timeout=250`]);
    assert.ok(!queries(writer)[0].includes("@@last_gtid"), "no GTID asked");
  });

  for (const [what, moved] of [
    ["the old node's connections answer with a RST", () => mysqlError("read ECONNRESET", { code: "ECONNRESET", fatal: true })],
    [
      "the old node's connections answer nothing until the script times out",
      () => mysqlError("Query inactivity timeout", { code: "PROTOCOL_SEQUENCE_TIMEOUT", fatal: true }),
    ],
  ] as const) {
    it(`fails the one batch in flight to the old node, then connects anew: ${what}`, async () => {
      const { writer, writerDb, store, logged } = setup();
      await busy(store, writerDb, 3);
      assert.equal(writer.made.length, 3, "3 connections to the old node");
      // The address moves: whatever is sent on an old connection fails.
      for (const conn of writer.made) conn.fail.query = moved();
      // The batch sent to the old node may have committed there: no retry, a 503 that HAProxy replays.
      await assert.rejects(store.recordVisit("server-1", "x"), { message: moved().message });
      assert.deepEqual(logged, [`writer: ${moved().message}; closed 2 idle connections, the next script connects anew`]);
      // The next batch, and HAProxy's replay, go to the new node at once: no old connection is tried.
      const sentBefore = queries(writer).length;
      assert.deepEqual(await store.recordVisit("server-1", "x"), { visitId: 2, replayed: false, total: 2, readFrom: "replica" });
      assert.equal(queries(writer).length, sentBefore + 1);
      assert.deepEqual(
        writer.made.map((c) => [c.id, c.state]),
        [
          [1, "disconnected"],
          [2, "disconnected"],
          [3, "disconnected"],
          [4, "authenticated"],
        ],
        "one new connection, the old ones closed",
      );
    });
  }

  it("runs a batch once more when the write address was not up yet (connect refused): no 503", async () => {
    const { writer, store, logged } = setup();
    writer.failConnects = [mysqlError("connect ECONNREFUSED 10.0.1.100:3306", { code: "ECONNREFUSED", fatal: true })];
    assert.deepEqual(await store.recordVisit("server-1", "a"), { visitId: 1, replayed: false, total: 1, readFrom: "replica" });
    assert.deepEqual(logged, [
      "batch did not commit, running it once more on a new connection (500 ms left): connect ECONNREFUSED 10.0.1.100:3306",
    ]);
  });

  it("runs a batch once more when the node it reached left the majority, on a new connection", async () => {
    const { writer, writerDb, store, logged } = setup();
    await busy(store, writerDb, 2);
    writer.failQueries = [
      mysqlError("ER_UNKNOWN_COM_ERROR: WSREP has not yet prepared node for application use", {
        code: "ER_UNKNOWN_COM_ERROR",
        errno: 1047,
        index: 0,
      }),
    ];
    assert.deepEqual(await store.recordVisit("server-1", "a"), { visitId: 2, replayed: false, total: 2, readFrom: "replica" });
    assert.deepEqual(logged, [
      "batch did not commit, running it once more on a new connection (500 ms left): ER_UNKNOWN_COM_ERROR: WSREP has not yet prepared node for application use",
      "writer: a batch runs once more; closed 2 idle connections, the next script connects anew",
    ]);
    assert.equal(writer.made.length, 3, "the retry on a new connection");
  });
});
