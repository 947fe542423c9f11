import * as assert from "node:assert/strict";
import { Database, Queryable } from "../src/db";
import { VisitStore } from "../src/store";
import { duplicateEntry } from "./memoryDb";

type Responder = (sql: string, params: readonly unknown[]) => unknown;

/** A Database that answers from a function and logs every call. */
class FakeDb implements Database {
  log: string[] = [];
  closed = 0;
  constructor(private readonly respond: Responder) {}

  private call(where: string, sql: string, params: readonly unknown[]): Promise<unknown> {
    this.log.push(`${where}: ${sql} ${JSON.stringify(params)}`);
    return new Promise((resolve) => resolve(this.respond(sql, params)));
  }

  query(sql: string, params: readonly unknown[]): Promise<unknown> {
    return this.call("pool", sql, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    this.log.push("BEGIN");
    try {
      const result = await work({ query: (sql, params) => this.call("tx", sql, params) });
      this.log.push("COMMIT");
      return result;
    } catch (err) {
      this.log.push("ROLLBACK");
      throw err;
    }
  }

  async close(): Promise<void> {
    this.closed += 1;
  }
}

const SELECT = "SELECT COALESCE(SUM(total), 0) AS total FROM visit_totals";
const REQUEST_ID = "9f0c1c5e-8d4b-4a51-9a2e-3f6b7c8d9e0a";
const rows =
  (total: unknown): Responder =>
  () => [{ total }];
const failing =
  (message: string): Responder =>
  () => {
    throw new Error(message);
  };

describe("VisitStore", () => {
  describe("recordVisit", () => {
    it("inserts the visit and bumps the server's total in one transaction on the writer", async () => {
      const writer = new FakeDb((sql) =>
        sql.startsWith("INSERT INTO visits ") ? { insertId: 101, affectedRows: 1 } : { affectedRows: 2 },
      );
      const reader = new FakeDb(rows(0));
      const store = new VisitStore(writer, reader);
      assert.deepEqual(await store.recordVisit("server-2"), { visitId: 101, replayed: false });
      assert.deepEqual(writer.log, [
        "BEGIN",
        'tx: INSERT INTO visits (server, request_id) VALUES (?, ?) ["server-2",null]',
        'tx: INSERT INTO visit_totals (server, total) VALUES (?, 1) ON DUPLICATE KEY UPDATE total = total + 1 ["server-2"]',
        "COMMIT",
      ]);
      assert.deepEqual(reader.log, []);
    });

    it("rolls back and rejects when the total cannot be bumped", async () => {
      const writer = new FakeDb((sql) => {
        if (sql.startsWith("INSERT INTO visit_totals")) throw new Error("ER_LOCK_WAIT_TIMEOUT");
        return { insertId: 5 };
      });
      const store = new VisitStore(writer, undefined);
      await assert.rejects(store.recordVisit("server-1"), { message: "ER_LOCK_WAIT_TIMEOUT" });
      assert.equal(writer.log[0], "BEGIN");
      assert.equal(writer.log[writer.log.length - 1], "ROLLBACK");
    });

    it("records the request id with the visit", async () => {
      const writer = new FakeDb((sql) => (sql.startsWith("INSERT INTO visits ") ? { insertId: 7 } : { affectedRows: 1 }));
      assert.deepEqual(await new VisitStore(writer, undefined).recordVisit("server-1", REQUEST_ID), { visitId: 7, replayed: false });
      assert.equal(writer.log[1], `tx: INSERT INTO visits (server, request_id) VALUES (?, ?) ["server-1","${REQUEST_ID}"]`);
      assert.equal(writer.log.length, 4);
    });

    it("answers a replayed request id with the visit recorded the first time, without bumping the total", async () => {
      const writer = new FakeDb((sql, params) => {
        if (sql.startsWith("INSERT INTO visits ")) throw duplicateEntry(String(params[1]));
        if (sql.startsWith("SELECT id FROM visits")) return [{ id: 41 }];
        throw new Error(`unexpected ${sql}`);
      });
      assert.deepEqual(await new VisitStore(writer, undefined).recordVisit("server-2", REQUEST_ID), { visitId: 41, replayed: true });
      assert.deepEqual(writer.log, [
        "BEGIN",
        `tx: INSERT INTO visits (server, request_id) VALUES (?, ?) ["server-2","${REQUEST_ID}"]`,
        `tx: SELECT id FROM visits WHERE request_id = ? ["${REQUEST_ID}"]`,
        "COMMIT",
      ]);
    });

    it("rethrows a duplicate key that is not a replay: no request id, or no visit with it", async () => {
      const clash = new FakeDb(() => {
        throw duplicateEntry("1");
      });
      await assert.rejects(new VisitStore(clash, undefined).recordVisit("server-1"), { code: "ER_DUP_ENTRY" });
      assert.deepEqual(clash.log.slice(-1), ["ROLLBACK"]);
      const noRow = new FakeDb((sql) => {
        if (sql.startsWith("INSERT INTO visits ")) throw duplicateEntry("1");
        return [];
      });
      await assert.rejects(new VisitStore(noRow, undefined).recordVisit("server-1", REQUEST_ID), { code: "ER_DUP_ENTRY" });
      assert.deepEqual(noRow.log.slice(-2), [`tx: SELECT id FROM visits WHERE request_id = ? ["${REQUEST_ID}"]`, "ROLLBACK"]);
    });

    it("does not take another error of the INSERT for a replay", async () => {
      const writer = new FakeDb(() => {
        throw Object.assign(new Error("ER_LOCK_WAIT_TIMEOUT"), { code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205 });
      });
      await assert.rejects(new VisitStore(writer, undefined).recordVisit("server-1", REQUEST_ID), { code: "ER_LOCK_WAIT_TIMEOUT" });
      assert.equal(writer.log.length, 3, "BEGIN, INSERT, ROLLBACK: no SELECT");
    });

    it("rejects a result without a usable insertId", async () => {
      const store = new VisitStore(new FakeDb(() => ({ affectedRows: 1 })), undefined);
      await assert.rejects(store.recordVisit("server-1"), { message: "unexpected insertId from the database: undefined" });
    });
  });

  describe("totalVisits", () => {
    it("reads from the replica when it answers", async () => {
      const writer = new FakeDb(rows(1));
      const reader = new FakeDb(rows(42));
      assert.deepEqual(await new VisitStore(writer, reader).totalVisits(), { total: 42, readFrom: "replica" });
      assert.deepEqual(reader.log, [`pool: ${SELECT} []`]);
      assert.deepEqual(writer.log, []);
    });

    it("accepts the total as a decimal string (big numbers)", async () => {
      const store = new VisitStore(new FakeDb(rows(0)), new FakeDb(rows("9007199254740991")));
      assert.deepEqual(await store.totalVisits(), { total: 9007199254740991, readFrom: "replica" });
    });

    it("reads from the primary when there is no replica", async () => {
      const writer = new FakeDb(rows(3));
      assert.deepEqual(await new VisitStore(writer, undefined).totalVisits(), { total: 3, readFrom: "primary" });
      assert.deepEqual(writer.log, [`pool: ${SELECT} []`]);
    });

    it("falls back to the primary when the replica fails, and logs it once", async () => {
      const errors: string[] = [];
      const reader = new FakeDb(failing("connect ETIMEDOUT"));
      const store = new VisitStore(new FakeDb(rows(9)), reader, { logError: (l) => errors.push(l), readerRetryMs: 0 });
      assert.deepEqual(await store.totalVisits(), { total: 9, readFrom: "primary" });
      assert.deepEqual(await store.totalVisits(), { total: 9, readFrom: "primary" });
      assert.equal(reader.log.length, 2);
      assert.deepEqual(errors, ["replica read failed, reading totals from the primary: connect ETIMEDOUT"]);
    });

    it("skips a failed replica for readerRetryMs, then tries it again", async () => {
      let now = 1000;
      let replicaUp = false;
      const errors: string[] = [];
      const reader = new FakeDb(() => {
        if (!replicaUp) throw new Error("ECONNREFUSED");
        return [{ total: 50 }];
      });
      const store = new VisitStore(new FakeDb(rows(51)), reader, { readerRetryMs: 5000, now: () => now, logError: (l) => errors.push(l) });
      assert.equal((await store.totalVisits()).readFrom, "primary");
      now = 5999;
      replicaUp = true;
      assert.equal((await store.totalVisits()).readFrom, "primary");
      assert.equal(reader.log.length, 1, "the replica is not asked during the retry delay");
      now = 6000;
      assert.deepEqual(await store.totalVisits(), { total: 50, readFrom: "replica" });
      assert.deepEqual(errors, [
        "replica read failed, reading totals from the primary: ECONNREFUSED",
        "replica answers again; reading totals from it",
      ]);
    });

    it("rejects with the primary's error when both fail", async () => {
      const store = new VisitStore(new FakeDb(failing("primary down")), new FakeDb(failing("replica down")), { logError: () => undefined });
      await assert.rejects(store.totalVisits(), { message: "primary down" });
    });

    it("rejects a malformed total", async () => {
      const store = new VisitStore(new FakeDb(() => []), undefined);
      await assert.rejects(store.totalVisits(), { message: "unexpected total from the database: undefined" });
    });
  });

  it("close() closes the writer and the replica", async () => {
    const writer = new FakeDb(rows(0));
    const reader = new FakeDb(rows(0));
    await new VisitStore(writer, reader).close();
    assert.deepEqual([writer.closed, reader.closed], [1, 1]);
    await new VisitStore(writer, undefined).close();
    assert.equal(writer.closed, 2);
  });
});
