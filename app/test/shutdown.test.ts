import * as assert from "node:assert/strict";
import { once } from "events";
import * as http from "http";
import * as net from "net";
import { createServer, FoobarServer } from "../src/server";
import { deferred, FakeStore, listen, reply, Reply, request } from "./helpers";

/** Resolves with the connect error, or rejects if the connection was accepted. */
function connectError(port: number): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.on("connect", () => {
      socket.destroy();
      reject(new Error("connection accepted"));
    });
    socket.on("error", resolve);
  });
}

describe("graceful shutdown", () => {
  let store: FakeStore;
  let server: FoobarServer;
  let port: number;
  let errors: string[];

  beforeEach(async () => {
    store = new FakeStore();
    errors = [];
    server = createServer({ store, serverName: "server-1", domain: "www.foobar.com", logError: (l) => errors.push(l) });
    port = await listen(server);
  });

  it("keeps taking new connections during the drain delay while /healthz says draining", async () => {
    const stopping = server.shutdown(10_000, 300);
    const health = await request(port, { path: "/healthz" });
    assert.equal(health.status, 503);
    assert.equal(health.body, JSON.stringify({ status: "draining" }));
    const page = await request(port, { path: "/" });
    assert.equal(page.status, 200);
    assert.equal(page.headers["connection"], "close");
    await stopping;
    assert.equal((await connectError(port)).code, "ECONNREFUSED");
    assert.equal(store.closed, 1);
  });

  it("finishes requests in flight, says draining, refuses new connections, then closes the store", async () => {
    const gate = deferred<void>();
    store.gate = gate.promise;
    assert.equal((await request(port, { path: "/healthz" })).status, 200);

    // A slow page view: its recordVisit waits on the gate.
    const slow = request(port, { path: "/" });
    await store.entered.promise;

    // A /healthz whose (chunked) body is still arriving when the drain starts,
    // so its connection is busy, not idle, and survives the drain.
    const arrived = once(server, "request");
    const health = http.request({
      host: "127.0.0.1",
      port,
      path: "/healthz",
      agent: false,
      headers: { "Transfer-Encoding": "chunked" },
    });
    const healthReply = new Promise<Reply>((resolve, reject) => {
      health.on("response", (res) => reply(res).then(resolve, reject));
      health.on("error", reject);
    });
    health.write("x");
    await arrived;

    let stopped = false;
    const stopping = server.shutdown(10_000).then(() => {
      stopped = true;
    });

    assert.equal((await connectError(port)).code, "ECONNREFUSED");

    health.end();
    const drainingHealth = await healthReply;
    assert.equal(drainingHealth.status, 503);
    assert.equal(drainingHealth.body, '{"status":"draining"}');
    assert.equal(drainingHealth.headers["connection"], "close");
    assert.equal(stopped, false, "shutdown waits for the request in flight");
    assert.equal(store.closed, 0, "the store stays open while requests are in flight");

    gate.resolve();
    const page = await slow;
    assert.equal(page.status, 200);
    assert.equal(page.headers["x-visit-id"], "7");
    assert.equal(page.headers["connection"], "close");

    await stopping;
    assert.equal(store.closed, 1);
    assert.deepEqual(errors, []);
  });

  it("closes idle keep-alive connections at once instead of waiting for the grace period", async function () {
    this.timeout(5000); // the grace period below is far longer: only closing idle sockets can pass
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.equal((await request(port, { path: "/healthz", agent })).status, 200);
      await server.shutdown(60_000);
      assert.equal(store.closed, 1);
    } finally {
      agent.destroy();
    }
  });

  it("cuts connections still open when the grace period ends", async () => {
    store.gate = new Promise<void>(() => undefined); // a request that never finishes
    const stuck = request(port, { path: "/" });
    await store.entered.promise;
    await server.shutdown(50);
    await assert.rejects(stuck, { code: "ECONNRESET" });
    assert.equal(store.closed, 1);
  });

  it("returns the same promise when called twice and closes the store once", async () => {
    const first = server.shutdown(1000);
    assert.equal(server.shutdown(1000), first);
    await first;
    assert.equal(store.closed, 1);
  });

  it("keeps serving /metrics through the drain, then closes its port too", async () => {
    const metricsPort = await listen(server.metricsServer);
    const gate = deferred<void>();
    store.gate = gate.promise;
    const slow = request(port, { path: "/" });
    await store.entered.promise;
    const stopping = server.shutdown(10_000);
    assert.equal((await connectError(port)).code, "ECONNREFUSED");
    assert.equal((await request(metricsPort, { path: "/metrics" })).status, 200, "scraped while a request is in flight");
    gate.resolve();
    await slow;
    await stopping;
    assert.equal((await connectError(metricsPort)).code, "ECONNREFUSED");
  });

  it("cuts a scraper's idle keep-alive connection instead of waiting for it", async function () {
    this.timeout(5000);
    const metricsPort = await listen(server.metricsServer);
    const agent = new http.Agent({ keepAlive: true });
    try {
      assert.equal((await request(metricsPort, { path: "/metrics", agent })).status, 200);
      await server.shutdown(60_000);
      assert.equal(server.metricsServer.listening, false);
    } finally {
      agent.destroy();
    }
  });

  it("still resolves, and logs, when closing the store fails", async () => {
    store.close = () => Promise.reject(new Error("pool already closed"));
    await server.shutdown(1000);
    assert.deepEqual(errors, ["server-1: closing the store failed: pool already closed"]);
  });
});

describe("shutdown of a server that never listened", () => {
  it("resolves and closes the store", async () => {
    const store = new FakeStore();
    await createServer({ store, serverName: "server-1", domain: "www.foobar.com" }).shutdown(1000);
    assert.equal(store.closed, 1);
  });
});
