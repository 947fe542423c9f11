// A visit is recorded once per client request: the server reads X-Request-Id, the store inserts it
// and treats a duplicate as HAProxy replaying the request. Through the real server and VisitStore,
// over an in-memory database that enforces the UNIQUE key.
import * as assert from "node:assert/strict";
import { createServer, FoobarServer, parseRequestId } from "../src/server";
import { VisitStore } from "../src/store";
import { BUMP_TOTAL, COUNT_INSERTED, SELECT_TOTAL, insertVisitsSql, selectVisitsSql } from "../src/visitSql";
import { listen, request } from "./helpers";
import { MemoryDb } from "./memoryDb";

const UUID = "3b241101-e2bb-4255-8caf-4136c566a962";
const UUID_2 = "6fa459ea-ee8a-4ca4-894e-db77e160355e";

describe("X-Request-Id: one visit per client request", () => {
  let db: MemoryDb;
  let server: FoobarServer;
  let port: number;
  let lines: string[];
  let errors: string[];

  beforeEach(async () => {
    db = new MemoryDb();
    lines = [];
    errors = [];
    let made = 0;
    const store = new VisitStore(db, undefined, { logError: (l) => errors.push(l), newRequestId: () => `app-${++made}` });
    server = createServer({
      store,
      serverName: "server-1",
      domain: "www.foobar.com",
      log: (l) => lines.push(l),
      logError: (l) => errors.push(l),
    });
    port = await listen(server);
  });
  afterEach(() => server.shutdown(1000));

  const visit = (requestId?: string): ReturnType<typeof request> =>
    request(port, { headers: requestId === undefined ? {} : { "X-Request-Id": requestId } });

  it("records the first request with its id and bumps the total", async () => {
    const res = await visit(UUID);
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-visit-id"], "1");
    assert.ok(res.body.includes("Total visits: 1 (read from primary)"));
    assert.deepEqual(db.visits, [{ id: 1, server: "server-1", requestId: UUID }]);
    assert.deepEqual(lines, []);
  });

  it("answers a replay with the first visit's id, leaves the total alone and logs one line", async () => {
    await visit(UUID);
    db.log = [];
    const res = await visit(UUID);
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-visit-id"], "1");
    assert.ok(res.body.includes("You are visit #1"));
    assert.ok(res.body.includes("Total visits: 1 (read from primary)"));
    assert.deepEqual(db.visits, [{ id: 1, server: "server-1", requestId: UUID }]);
    assert.deepEqual(db.totals, new Map([["server-1", 1]]));
    // The bump adds what the INSERT added: nothing.
    assert.deepEqual(db.log, [
      "START TRANSACTION []",
      `${insertVisitsSql(1)} ["server-1","${UUID}"]`,
      `${COUNT_INSERTED} []`,
      `${BUMP_TOTAL} ["server-1"]`,
      `${selectVisitsSql(1)} ["${UUID}"]`,
      "COMMIT []",
      `${SELECT_TOTAL} []`,
    ]);
    assert.deepEqual(lines, [`server-1: GET / replays request ${UUID}: visit #1 is already recorded, the total is not bumped`]);
    assert.deepEqual(errors, []);
  });

  it("counts two requests with different ids twice", async () => {
    await visit(UUID);
    const res = await visit(UUID_2);
    assert.equal(res.headers["x-visit-id"], "2");
    assert.deepEqual(db.totals, new Map([["server-1", 2]]));
  });

  it("records a request without an id under an id of the app's own, every time", async () => {
    assert.equal((await visit()).headers["x-visit-id"], "1");
    assert.equal((await visit()).headers["x-visit-id"], "2");
    assert.deepEqual(
      db.visits.map((v) => v.requestId),
      ["app-1", "app-2"],
    );
    assert.deepEqual(db.totals, new Map([["server-1", 2]]));
    assert.deepEqual(lines, []);
  });

  const BAD_IDS: Array<[string, string]> = [
    ["65 characters", "a".repeat(65)],
    ["a space", "abc def"],
    ["an underscore", "abc_def"],
    ["a quote", "abc'def"],
    ["two ids (a repeated header)", `${UUID}, ${UUID}`],
    ["non-ASCII letters", "ünïcode"],
  ];
  for (const [what, bad] of BAD_IDS) {
    it(`ignores an id with ${what}: counted every time, under the app's own ids`, async () => {
      await visit(bad);
      await visit(bad);
      assert.deepEqual(
        db.visits.map((v) => v.requestId),
        ["app-1", "app-2"],
      );
      assert.deepEqual(db.totals, new Map([["server-1", 2]]));
    });
  }
});

describe("parseRequestId", () => {
  it("takes 1 to 64 letters, digits and '-'", () => {
    assert.equal(parseRequestId(UUID), UUID);
    assert.equal(parseRequestId("A"), "A");
    assert.equal(parseRequestId("Z-9".repeat(21) + "x"), "Z-9".repeat(21) + "x");
  });
  it("refuses anything else", () => {
    for (const bad of [undefined, "", "a".repeat(65), "a b", "a\tb", "a.b", "a/b", "a;b", [UUID, UUID]]) {
      assert.equal(parseRequestId(bad), undefined, JSON.stringify(bad));
    }
  });
});
