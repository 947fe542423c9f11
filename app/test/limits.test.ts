// The pools' options, the time budget of one page view, and what the page does when the database
// cannot keep up: too many visits waiting and a database that does not answer both give a 503 in time.
import * as assert from "node:assert/strict";
import { IncomingMessage } from "http";
import { DbConfig, Secret } from "../src/config";
import { poolDatabase } from "../src/db";
import {
  LOAD_BALANCER_TIMEOUT_MS,
  PAGE_DEADLINE_MS,
  READER_LIMITS,
  REPLICA_WAIT_MS,
  TOTAL_READ_MS,
  WRITER_LIMITS,
  poolConfig,
  worstCasePageMs,
} from "../src/poolConfig";
import { createServer, FoobarServer } from "../src/server";
import { VisitStore } from "../src/store";
import { deferred, FakeStore, listen, request } from "./helpers";
import { FakePool, perStatement } from "./fakePool";

const DB: DbConfig = {
  flavor: "mariadb",
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
      connectTimeout: 300,
      acquireTimeout: 300,
      connectionLimit: 4,
      queueLimit: 8,
      charset: "utf8mb4",
      timezone: "Z",
      multipleStatements: true,
    });
  });

  it("bounds the replica's more tightly", () => {
    const config = poolConfig(DB, DB.reader ?? DB.writer, READER_LIMITS);
    assert.deepEqual(
      [config.host, config.port, config.connectTimeout, config.acquireTimeout, config.connectionLimit, config.queueLimit],
      ["db-replica", 3307, 200, 200, 4, 4],
    );
    assert.deepEqual([READER_LIMITS.scriptTimeoutMs, WRITER_LIMITS.scriptTimeoutMs], [250, 500]);
  });

  it("connects with TLS, verifying the server against the CA, when one is configured", () => {
    const config = poolConfig({ ...DB, tls: { caFile: "/etc/foobar/db-ca.pem", ca: CA } }, DB.writer, WRITER_LIMITS);
    assert.deepEqual(config.ssl, { ca: CA, rejectUnauthorized: true });
  });
});

describe("the time budget of one GET /", () => {
  it("is 1.5 s at worst, the page deadline, 0.5 s under the load balancer's timeout", () => {
    // The batch in flight and its own (500 ms each), then reading its total (500 ms).
    assert.equal(worstCasePageMs(WRITER_LIMITS, TOTAL_READ_MS), 1500);
    assert.equal(PAGE_DEADLINE_MS, 1500);
    assert.equal(LOAD_BALANCER_TIMEOUT_MS, 2000);
    assert.equal(LOAD_BALANCER_TIMEOUT_MS - PAGE_DEADLINE_MS, 500);
  });

  it("leaves the primary time to answer after the replica's try, and the replica time to wait and read", () => {
    assert.ok(TOTAL_READ_MS - READER_LIMITS.scriptTimeoutMs >= 200);
    assert.ok(REPLICA_WAIT_MS <= READER_LIMITS.scriptTimeoutMs / 2);
  });
});

describe("GET / when the database cannot keep up", () => {
  let server: FoobarServer;
  let port: number;
  let errors: string[];

  afterEach(() => server.shutdown(1000));

  it("answers 503 at once when more visits wait than fit in the next batch, and serves the others", async () => {
    const pool = new FakePool(1, 1);
    const ids = new Map<unknown, number>();
    pool.respond = perStatement((sql, values) => {
      if (sql.startsWith("INSERT IGNORE INTO visits")) {
        const first = ids.size + 1;
        for (let i = 1; i < values.length; i += 2) ids.set(values[i], ids.size + 1);
        return { affectedRows: values.length / 2, insertId: first };
      }
      if (sql.startsWith("SELECT id")) return values.map((v) => ({ id: ids.get(v), request_id: v }));
      return sql.startsWith("SELECT COALESCE") ? [{ total: ids.size }] : { affectedRows: 1 };
    });
    const writer = poolDatabase(pool, { acquireTimeoutMs: 10_000, scriptTimeoutMs: 10_000 });
    errors = [];
    server = createServer({
      store: new VisitStore(writer, undefined, { maxBatch: 1 }),
      serverName: "server-1",
      domain: "d",
      logError: (l) => errors.push(l),
    });
    port = await listen(server);
    // The server's own listeners come first: when ours hears a request end, it has asked the store.
    let asked = 0;
    server.on("request", (req: IncomingMessage) => req.on("end", () => (asked += 1)));

    const gate = deferred<void>();
    pool.gate = gate.promise;
    const first = request(port); // its batch's script waits for the database
    await waitFor(() => pool.made.length === 1);
    const second = request(port); // waits for the next batch
    await waitFor(() => asked === 2);

    const started = Date.now();
    const third = await request(port);
    assert.equal(third.status, 503);
    assert.equal(third.body, "database unavailable");
    assert.ok(Date.now() - started < 500, `answered after ${Date.now() - started} ms`);
    assert.deepEqual(errors, ["server-1: GET / failed: 1 visits already wait for the database"]);

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
