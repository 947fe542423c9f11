import * as assert from "node:assert/strict";
import {
  BUMP_TOTAL,
  COUNT_INSERTED,
  SELECT_LAST_GTID,
  gtidOf,
  insertVisitsSql,
  selectVisitsSql,
  toCount,
  totalOf,
  visitsScript,
  waitedOf,
} from "../src/visitSql";

const OK = { affectedRows: 0 };

describe("visit SQL", () => {
  it("builds one placeholder group per row", () => {
    assert.equal(insertVisitsSql(2), "INSERT IGNORE INTO visits (server, request_id) VALUES (?, ?), (?, ?)");
    assert.equal(selectVisitsSql(3), "SELECT id, request_id FROM visits WHERE request_id IN (?, ?, ?)");
  });

  describe("visitsScript", () => {
    it("inserts per server and bumps each by what its INSERT added, in one transaction, then reads the GTID", () => {
      const script = visitsScript(
        [
          { server: "server-1", requestId: "a" },
          { server: "server-2", requestId: "b" },
          { server: "server-1", requestId: "c" },
        ],
        { gtid: true },
      );
      assert.deepEqual(script.statements, [
        { sql: "START TRANSACTION", params: [] },
        { sql: insertVisitsSql(2), params: ["server-1", "a", "server-1", "c"] },
        { sql: COUNT_INSERTED, params: [] },
        { sql: BUMP_TOTAL, params: ["server-1"] },
        { sql: insertVisitsSql(1), params: ["server-2", "b"] },
        { sql: COUNT_INSERTED, params: [] },
        { sql: BUMP_TOTAL, params: ["server-2"] },
        { sql: selectVisitsSql(3), params: ["a", "b", "c"] },
        { sql: "COMMIT", params: [] },
        { sql: SELECT_LAST_GTID, params: [] },
      ]);
      assert.equal(script.commitAt, 8, "the COMMIT's position, the GTID read after it");
      const rows = [
        { id: 10, request_id: "a" },
        { id: 11, request_id: "c" },
        { id: "12", request_id: "b" },
      ];
      const results = [
        OK,
        { affectedRows: 2, insertId: 10 },
        OK,
        OK,
        { affectedRows: 1, insertId: 12 },
        OK,
        OK,
        rows,
        OK,
        [{ gtid: "0-1-7" }],
      ];
      assert.deepEqual(script.read(results), {
        inserted: 3,
        gtid: "0-1-7",
        visits: [
          { visitId: 10, replayed: false },
          { visitId: 12, replayed: false },
          { visitId: 11, replayed: false },
        ],
      });
      assert.equal(
        BUMP_TOTAL,
        "INSERT INTO visit_totals (server, total) VALUES (?, @foobar_inserted) ON DUPLICATE KEY UPDATE total = total + @foobar_inserted",
      );
    });

    it("tells a skipped row from an inserted one by its id when only some went in, and a repeat in the batch", () => {
      // "old" was recorded before (id 5); "new" gets 8 from this INSERT; the second "new" replays it.
      const requests = ["old", "new", "new"].map((requestId) => ({ server: "s", requestId }));
      const script = visitsScript(requests, { gtid: false });
      assert.equal(script.statements.length, 6, "no GTID read");
      assert.deepEqual(script.statements[script.commitAt], { sql: "COMMIT", params: [] });
      assert.equal(script.commitAt, 5, "the last statement");
      assert.deepEqual(script.statements[1], { sql: insertVisitsSql(2), params: ["s", "old", "s", "new"] });
      const rows = [
        { id: 5, request_id: "old" },
        { id: 8, request_id: "new" },
      ];
      assert.deepEqual(script.read([OK, { affectedRows: 1, insertId: 8 }, OK, OK, rows, OK]), {
        inserted: 1,
        visits: [
          { visitId: 5, replayed: true },
          { visitId: 8, replayed: false },
          { visitId: 8, replayed: true },
        ],
      });
    });

    it("answers replays only with their first visits, nothing inserted", () => {
      const script = visitsScript([{ server: "s", requestId: "old" }], { gtid: true });
      const results = [OK, { affectedRows: 0, insertId: 0 }, OK, OK, [{ id: 5, request_id: "old" }], OK, [{ gtid: "0-1-6" }]];
      assert.deepEqual(script.read(results), { inserted: 0, gtid: "0-1-6", visits: [{ visitId: 5, replayed: true }] });
    });

    it("rejects results it cannot trust: too few, no affectedRows, no insertId, a row missing after the INSERT", () => {
      const script = visitsScript([{ server: "s", requestId: "a" }], { gtid: false });
      const rows = [{ id: 3, request_id: "a" }];
      const cases: Array<[unknown[], string]> = [
        [[OK, OK], "a script of 6 statements got 2 results"],
        [[OK, {}, OK, OK, rows, OK], "unexpected affectedRows from the database: undefined"],
        [[OK, { affectedRows: 1 }, OK, OK, rows, OK], "unexpected insertId from the database: undefined"],
        [[OK, { affectedRows: 1, insertId: 3 }, OK, OK, [], OK], "no visit with request id a after inserting it"],
      ];
      for (const [results, message] of cases) assert.throws(() => script.read(results), { message });
      assert.throws(() => visitsScript([], { gtid: false }), { message: "a batch holds at least one visit" });
    });
  });

  it("reads counts as numbers or decimal strings, and refuses anything else", () => {
    assert.equal(toCount(7, "n"), 7);
    assert.equal(toCount("9007199254740991", "n"), 9007199254740991);
    for (const bad of [undefined, null, -1, 1.5, "x", "9007199254740993"]) {
      assert.throws(() => toCount(bad, "total"), { message: `unexpected total from the database: ${String(bad)}` });
    }
    assert.equal(totalOf([{ total: "42" }]), 42);
    assert.throws(() => totalOf([]), { message: "unexpected total from the database: undefined" });
  });

  it("reads a GTID position, and none when the session has none", () => {
    assert.equal(gtidOf([{ gtid: "0-1-4527" }]), "0-1-4527");
    assert.equal(gtidOf([{ gtid: "0-1-9,1-2-3" }]), "0-1-9,1-2-3");
    for (const none of [[{ gtid: "" }], [{ gtid: null }], []]) assert.equal(gtidOf(none), undefined);
    assert.throws(() => gtidOf([{ gtid: "0-1-x'; --" }]), { message: "unexpected GTID from the database: 0-1-x'; --" });
  });

  it("takes only 0 from MASTER_GTID_WAIT for applied", () => {
    assert.equal(waitedOf([{ waited: 0 }]), true);
    assert.equal(waitedOf([{ waited: "0" }]), true);
    for (const not of [[{ waited: -1 }], [{ waited: null }], []]) assert.equal(waitedOf(not), false);
  });
});
