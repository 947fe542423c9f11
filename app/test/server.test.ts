import * as assert from "node:assert/strict";
import { createServer, FoobarServer } from "../src/server";
import { escapeHtml } from "../src/page";
import { FakeStore, listen, request } from "./helpers";

// Every HTML-special character, to prove each dynamic value is escaped.
const NASTY_NAME = `srv<1>&"'`;
const NASTY_DOMAIN = "www.foobar.com<script>";

const EXPECTED_PAGE = [
  "<!DOCTYPE html>",
  '<html lang="en">',
  "<head>",
  '<meta charset="utf-8">',
  '<meta name="viewport" content="width=device-width, initial-scale=1">',
  "<title>www.foobar.com&lt;script&gt;</title>",
  '<link rel="stylesheet" href="/static/style.css">',
  '<link rel="icon" type="image/svg+xml" href="/static/favicon.svg">',
  "</head>",
  "<body>",
  "<main>",
  "<h1>www.foobar.com&lt;script&gt;</h1>",
  '<p id="served-by">Served by srv&lt;1&gt;&amp;&quot;&#39;</p>',
  '<p id="visit">You are visit #7</p>',
  '<p id="total">Total visits: 42 (read from replica)</p>',
  "</main>",
  "</body>",
  "</html>",
  "",
].join("\n");

describe("escapeHtml", () => {
  it("escapes the five HTML-special characters", () => {
    assert.equal(escapeHtml(`<a href="x">'&'</a>`), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert.equal(escapeHtml(42), "42");
  });
});

describe("HTTP server routes", () => {
  let store: FakeStore;
  let server: FoobarServer;
  let port: number;
  let errors: string[];

  async function start(serverName: string, domain = "www.foobar.com"): Promise<void> {
    server = createServer({ store, serverName, domain, logError: (line) => errors.push(line) });
    port = await listen(server);
  }

  beforeEach(() => {
    store = new FakeStore();
    errors = [];
  });
  afterEach(async () => {
    await server.shutdown(1000);
  });

  it("GET / records a visit and answers the page with its headers", async () => {
    await start(NASTY_NAME, NASTY_DOMAIN);
    const res = await request(port, { path: "/?utm_source=test" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "text/html; charset=utf-8");
    assert.equal(res.headers["cache-control"], "no-store");
    assert.equal(res.headers["x-served-by"], NASTY_NAME);
    assert.equal(res.headers["x-visit-id"], "7");
    assert.equal(res.headers["x-read-from"], "replica");
    assert.equal(res.headers["content-length"], String(Buffer.byteLength(EXPECTED_PAGE)));
    assert.equal(res.body, EXPECTED_PAGE);
    assert.deepEqual(store.recorded, [NASTY_NAME]);
  });

  it("reports a total read from the primary", async () => {
    store.readFrom = "primary";
    store.total = 1234;
    await start("server-1");
    const res = await request(port);
    assert.equal(res.headers["x-read-from"], "primary");
    assert.ok(res.body.includes('<p id="total">Total visits: 1234 (read from primary)</p>'));
    assert.ok(res.body.includes('<p id="served-by">Served by server-1</p>'));
    assert.ok(res.body.includes("<title>www.foobar.com</title>"));
  });

  it("HEAD / answers the same headers without a body", async () => {
    await start("server-1");
    const res = await request(port, { method: "HEAD" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["x-visit-id"], "7");
    assert.equal(res.headers["x-read-from"], "replica");
    assert.equal(res.body, "");
  });

  it("GET / answers 503 without details when the database fails, and logs why", async () => {
    store.failWith = new Error("connect ECONNREFUSED 10.0.0.9:3306");
    await start("server-2");
    const res = await request(port);
    assert.equal(res.status, 503);
    assert.equal(res.headers["content-type"], "text/plain; charset=utf-8");
    assert.equal(res.headers["x-served-by"], "server-2");
    assert.equal(res.body, "database unavailable");
    assert.deepEqual(errors, ["server-2: GET / failed: connect ECONNREFUSED 10.0.0.9:3306"]);
  });

  it("GET /healthz answers ok without touching the database", async () => {
    store.failWith = new Error("database down");
    await start("server-3");
    const res = await request(port, { path: "/healthz" });
    assert.equal(res.status, 200);
    assert.equal(res.headers["content-type"], "application/json");
    assert.equal(res.headers["cache-control"], "no-store");
    assert.equal(res.body, '{"status":"ok","server":"server-3"}');
    assert.deepEqual(store.recorded, []);
  });

  for (const path of ["/nope", "/static/style.css", "/healthz/", "/__proto__", "/index.html"]) {
    it(`answers 404 for ${path}`, async () => {
      await start("server-1");
      const res = await request(port, { path });
      assert.equal(res.status, 404);
      assert.equal(res.body, "not found");
      assert.deepEqual(store.recorded, []);
    });
  }

  for (const [method, path] of [
    ["POST", "/"],
    ["PUT", "/"],
    ["DELETE", "/healthz"],
    ["OPTIONS", "/healthz"],
  ]) {
    it(`answers 405 with Allow for ${method} ${path}`, async () => {
      await start("server-1");
      const res = await request(port, { method, path });
      assert.equal(res.status, 405);
      assert.equal(res.headers["allow"], "GET, HEAD");
      assert.equal(res.body, "method not allowed");
      assert.deepEqual(store.recorded, []);
    });
  }
});
