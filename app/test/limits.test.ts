// The pools' options, the time budget of one page view, and what the page does when the database
// cannot keep up: a full pool queue and a database that does not answer both give a 503 in time.
import * as assert from "node:assert/strict";
import { DbConfig, Secret } from "../src/config";
import { poolDatabase } from "../src/db";
import { LOAD_BALANCER_TIMEOUT_MS, PAGE_DEADLINE_MS, READER_LIMITS, WRITER_LIMITS, poolConfig, worstCasePageMs } from "../src/poolConfig";
import { createServer, FoobarServer } from "../src/server";
import { VisitStore } from "../src/store";
import { deferred, FakeStore, listen, request } from "./helpers";
import { FakePool } from "./fakePool";

const DB: DbConfig = {
  writer: { host: "10.0.1.5", port: 3306 },
  reader: { host: "db-replica", port: 3307 },
  database: "foobar",
  user: "app",
  password: new Secret("pw"),
};
const CA = "-----BEGIN CERTIFICATE-----\n...\n-----END CERTIFICATE-----\n";

describe("pool options", () => {
  it("bounds the writer's connections, queue and waits, without TLS when no CA is configured", () => {
    assert.deepEqual(poolConfig(DB, DB.writer, WRITER_LIMITS), {
      host: "10.0.1.5",
      port: 3306,
      user: "app",
      password: "pw",
      database: "foobar",
      connectTimeout: 2000,
      acquireTimeout: 2000,
      connectionLimit: 10,
      queueLimit: 20,
      charset: "utf8mb4",
      timezone: "Z",
    });
  });

  it("bounds the replica's more tightly", () => {
    const config = poolConfig(DB, DB.reader ?? DB.writer, READER_LIMITS);
    assert.deepEqual(
      [config.host, config.port, config.connectTimeout, config.acquireTimeout, config.connectionLimit, config.queueLimit],
      ["db-replica", 3307, 1000, 1000, 10, 10],
    );
    assert.deepEqual([READER_LIMITS.queryTimeoutMs, WRITER_LIMITS.queryTimeoutMs], [2000, 3000]);
  });

  it("connects with TLS, verifying the server against the CA, when one is configured", () => {
    const config = poolConfig({ ...DB, tls: { caFile: "/etc/foobar/db-ca.pem", ca: CA } }, DB.writer, WRITER_LIMITS);
    assert.deepEqual(config.ssl, { ca: CA, rejectUnauthorized: true });
  });
});

describe("the time budget of one GET /", () => {
  it("is 25 s at worst, within the page deadline, 5 s under the load balancer's timeout", () => {
    // writer: acquire 2 s + 5 statements × 3 s; replica: 1 s + 2 s; then the primary: 2 s + 3 s.
    assert.equal(worstCasePageMs(WRITER_LIMITS, READER_LIMITS), 25_000);
    assert.equal(worstCasePageMs(WRITER_LIMITS, undefined), 22_000);
    assert.ok(worstCasePageMs(WRITER_LIMITS, READER_LIMITS) <= PAGE_DEADLINE_MS);
    assert.equal(LOAD_BALANCER_TIMEOUT_MS - PAGE_DEADLINE_MS, 5_000);
  });
});

describe("GET / when the database cannot keep up", () => {
  let server: FoobarServer;
  let port: number;
  let errors: string[];

  afterEach(() => server.shutdown(1000));

  it("answers 503 at once when the writer pool's queue is full, and serves the queued requests", async () => {
    const pool = new FakePool(1, 1);
    let nextId = 1;
    pool.respond = (sql) => (sql.startsWith("INSERT INTO visits") ? { insertId: nextId++ } : [{ total: 5 }]);
    // A long acquire timeout: only the queue limit can make the third request fail fast.
    const writer = poolDatabase(pool, { queryTimeoutMs: 3000, acquireTimeoutMs: 10_000 });
    errors = [];
    server = createServer({
      store: new VisitStore(writer, undefined),
      serverName: "server-1",
      domain: "d",
      logError: (l) => errors.push(l),
    });
    port = await listen(server);

    const gate = deferred<void>();
    pool.gate = gate.promise;
    const first = request(port); // takes the only connection and waits at START TRANSACTION
    await waitFor(() => pool.made.length === 1);
    const second = request(port); // waits in the queue
    await waitFor(() => pool.queue.length === 1);

    const started = Date.now();
    const third = await request(port);
    assert.equal(third.status, 503);
    assert.equal(third.body, "database unavailable");
    assert.ok(Date.now() - started < 500, `answered after ${Date.now() - started} ms`);
    assert.deepEqual(errors, ["server-1: GET / failed: Queue limit reached."]);

    pool.gate = undefined;
    gate.resolve();
    assert.deepEqual(
      (await Promise.all([first, second])).map((r) => [r.status, r.headers["x-visit-id"]]),
      [
        [200, "1"],
        [200, "2"],
      ],
    );
  });

  it("answers 503 when the store has not answered by the page deadline", async () => {
    const store = new FakeStore();
    store.gate = new Promise<void>(() => undefined); // a database that never answers
    errors = [];
    server = createServer({ store, serverName: "server-2", domain: "d", logError: (l) => errors.push(l), pageDeadlineMs: 100 });
    port = await listen(server);
    const started = Date.now();
    const res = await request(port);
    const took = Date.now() - started;
    assert.equal(res.status, 503);
    assert.ok(took >= 95 && took < 1000, `answered after ${took} ms`);
    assert.deepEqual(errors, ["server-2: GET / failed: no answer from the database within 100 ms"]);
  });
});

async function waitFor(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.ok(condition(), "condition not met within 1 s");
}
