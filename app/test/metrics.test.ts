import * as assert from "node:assert/strict";
import { poolDatabase } from "../src/db";
import { AppMetrics, DURATION_BUCKETS, createAppMetrics, routeOf } from "../src/metrics";
import { PAGE_DEADLINE_MS } from "../src/poolConfig";
import { createServer, FoobarServer } from "../src/server";
import { FakePool, mysqlError } from "./fakePool";
import { FakeStore, deferred, listen, request } from "./helpers";

/** The exposition's lines of one metric (its samples, not HELP and TYPE), sorted. */
function samples(text: string, name: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
    .sort();
}

describe("metrics: the site's requests and reads", () => {
  let store: FakeStore;
  let server: FoobarServer;
  let port: number;
  let metricsPort: number;

  beforeEach(async () => {
    store = new FakeStore();
    server = createServer({ store, serverName: "server-1", domain: "www.foobar.com", logError: () => undefined });
    port = await listen(server);
    metricsPort = await listen(server.metricsServer);
  });
  afterEach(async () => {
    await server.shutdown(1000);
  });

  async function scrape(): Promise<string> {
    const res = await request(metricsPort, { path: "/metrics" });
    assert.equal(res.status, 200);
    return res.body;
  }

  it("serves Prometheus's text format on its own port, and nothing else there", async () => {
    const res = await request(metricsPort, { path: "/metrics" });
    assert.equal(res.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert.match(res.body, /^# TYPE foobar_app_http_requests_total counter$/m);
    assert.match(res.body, /^# TYPE process_cpu_seconds_total counter$/m, "prom-client's process metrics");
    assert.equal((await request(metricsPort, { method: "HEAD", path: "/metrics" })).body, "");
    assert.equal((await request(metricsPort, { path: "/" })).status, 404);
    const post = await request(metricsPort, { method: "POST", path: "/metrics" });
    assert.deepEqual([post.status, post.headers["allow"]], [405, "GET, HEAD"]);
    // ...and the site's port has no /metrics: it is one of the unknown paths.
    assert.equal((await request(port, { path: "/metrics" })).status, 404);
  });

  it("counts requests by route and status, any unknown path as 'other', and never a scrape", async () => {
    await request(port, { path: "/?utm_source=x" });
    await request(port, { path: "/healthz" });
    await request(port, { path: "/healthz" });
    await request(port, { path: "/wp-login.php" });
    await request(port, { path: "/static/style.css" });
    await request(port, { method: "POST", path: "/" });
    await scrape();
    assert.deepEqual(samples(await scrape(), "foobar_app_http_requests_total"), [
      'foobar_app_http_requests_total{route="/",status="200"} 1',
      'foobar_app_http_requests_total{route="/",status="405"} 1',
      'foobar_app_http_requests_total{route="/healthz",status="200"} 2',
      'foobar_app_http_requests_total{route="other",status="404"} 2',
    ]);
  });

  it("counts a 503 of a failed page under its route, and a draining /healthz", async () => {
    store.failWith = new Error("database down");
    await request(port, { path: "/" });
    const stopping = server.shutdown(1000, 200);
    await request(port, { path: "/healthz" });
    const text = await scrape();
    await stopping;
    assert.deepEqual(samples(text, "foobar_app_http_requests_total"), [
      'foobar_app_http_requests_total{route="/",status="503"} 1',
      'foobar_app_http_requests_total{route="/healthz",status="503"} 1',
    ]);
  });

  it("times each request into the route's histogram, from 5 ms to 5 s", async () => {
    const gate = deferred<void>();
    store.gate = gate.promise;
    const slow = request(port, { path: "/" });
    await store.entered.promise;
    await new Promise((resolve) => setTimeout(resolve, 60));
    gate.resolve();
    await slow;
    await request(port, { path: "/healthz" });
    const text = await scrape();
    const home = samples(text, "foobar_app_http_request_duration_seconds_bucket").filter((l) => l.includes('route="/"'));
    const counts = new Map(home.map((l) => [/le="([^"]+)"/.exec(l)?.[1] ?? "", Number(l.split(" ")[1])]));
    assert.deepEqual([...counts.keys()].sort(), [...DURATION_BUCKETS.map(String), "+Inf"].sort());
    // The page took at least 60 ms: in none of the buckets up to 50 ms; in 5 s unless the machine stalled.
    assert.deepEqual(
      ["0.005", "0.01", "0.025", "0.05", "5", "+Inf"].map((le) => counts.get(le)),
      [0, 0, 0, 0, 1, 1],
    );
    assert.deepEqual(samples(text, "foobar_app_http_request_duration_seconds_count"), [
      'foobar_app_http_request_duration_seconds_count{route="/"} 1',
      'foobar_app_http_request_duration_seconds_count{route="/healthz"} 1',
    ]);
    const sum = Number(samples(text, "foobar_app_http_request_duration_seconds_sum")[0].split(" ")[1]);
    assert.ok(sum >= 0.06 && sum < 5, `${sum} s`);
  });

  it("counts each page's read by the database that answered it; a failed page reads nothing", async () => {
    assert.deepEqual(samples(await scrape(), "foobar_app_reads_total"), [
      'foobar_app_reads_total{source="primary"} 0',
      'foobar_app_reads_total{source="replica"} 0',
    ]);
    await request(port);
    await request(port);
    store.readFrom = "primary";
    await request(port);
    store.failWith = new Error("database down");
    await request(port);
    assert.deepEqual(samples(await scrape(), "foobar_app_reads_total"), [
      'foobar_app_reads_total{source="primary"} 1',
      'foobar_app_reads_total{source="replica"} 2',
    ]);
  });
});

describe("metrics: database errors", () => {
  /** A pool as pools.ts opens it: its failed scripts counted under its name. */
  function pool(metrics: AppMetrics, name: "writer" | "reader", fake: FakePool) {
    const options = { acquireTimeoutMs: 50, scriptTimeoutMs: 1000, name, logError: () => undefined };
    return poolDatabase(fake, { ...options, onFailure: () => metrics.countDatabaseError(name) });
  }

  it("counts every failed script once, by pool: a server's error answer, a refused connect, no connection in time; not a success", async () => {
    const metrics = createAppMetrics({ processMetrics: false });
    const writerPool = new FakePool();
    const readerPool = new FakePool();
    const writer = pool(metrics, "writer", writerPool);
    const reader = pool(metrics, "reader", readerPool);
    const stmt = [{ sql: "SELECT 1", params: [] }];

    await writer.script(stmt);
    writerPool.failQueries = [mysqlError("ER_LOCK_WAIT_TIMEOUT: lock wait", { code: "ER_LOCK_WAIT_TIMEOUT", errno: 1205, index: 0 })];
    await assert.rejects(writer.script(stmt));
    readerPool.failConnects = [
      mysqlError("connect ECONNREFUSED 10.0.1.9:3306", { code: "ECONNREFUSED", fatal: true }),
      mysqlError("connect ECONNREFUSED 10.0.1.9:3306", { code: "ECONNREFUSED", fatal: true }),
    ];
    await assert.rejects(reader.script(stmt));
    await assert.rejects(reader.script(stmt));
    readerPool.getConnection = () => undefined; // no connection within acquireTimeoutMs
    await assert.rejects(reader.script(stmt));

    assert.deepEqual(samples(await metrics.registry.metrics(), "foobar_app_database_errors_total"), [
      'foobar_app_database_errors_total{pool="reader"} 3',
      'foobar_app_database_errors_total{pool="writer"} 1',
    ]);
  });
});

describe("metrics: labels and buckets", () => {
  it("maps paths to a fixed set of routes", () => {
    const routes = ["/", "/healthz", "/healthz/", "//", "/index.html", "/metrics", ""].map(routeOf);
    assert.deepEqual(routes, ["/", "/healthz", "other", "other", "other", "other", "other"]);
  });

  it("has the page's deadline as a bucket, in ascending buckets from 5 ms to 5 s", () => {
    assert.ok(DURATION_BUCKETS.includes(PAGE_DEADLINE_MS / 1000));
    assert.deepEqual(
      [...DURATION_BUCKETS].sort((a, b) => a - b),
      DURATION_BUCKETS,
    );
    assert.deepEqual([DURATION_BUCKETS[0], DURATION_BUCKETS[DURATION_BUCKETS.length - 1]], [0.005, 5]);
  });

  it("gives each server a registry of its own", async () => {
    const a = createAppMetrics({ processMetrics: false });
    const b = createAppMetrics({ processMetrics: false });
    a.countRead("replica");
    assert.deepEqual(samples(await b.registry.metrics(), "foobar_app_reads_total"), [
      'foobar_app_reads_total{source="primary"} 0',
      'foobar_app_reads_total{source="replica"} 0',
    ]);
    assert.doesNotMatch(await a.registry.metrics(), /^process_/m, "no process metrics when asked for none");
  });
});
