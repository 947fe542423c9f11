// The HTTP server of one web server: the home page (counts a visit), a health
// check for the load balancer, and a graceful shutdown for SIGTERM. Plain
// node:http; nginx in front serves /static/ and terminates TLS. Its metrics are
// served on a port of their own (metricsServer.ts).
import * as http from "http";
import { AppMetrics, createAppMetrics, routeOf } from "./metrics";
import { closeMetricsServer, createMetricsServer } from "./metricsServer";
import { renderHomePage } from "./page";
import { PAGE_DEADLINE_MS } from "./poolConfig";
import { PageVisit, ReadSource, VisitStoreLike } from "./store";

export interface ServerDeps {
  store: VisitStoreLike;
  serverName: string;
  domain: string;
  logError?: (line: string) => void;
  /** Informational lines (a replayed request). */
  log?: (line: string) => void;
  /** A page view not answered by then gets a 503; @default PAGE_DEADLINE_MS (poolConfig.ts). */
  pageDeadlineMs?: number;
  /** What its requests are counted in (the store's pools count into the same). @default a registry of its own */
  metrics?: AppMetrics;
}

/** What HAProxy sets (a uuid) and keeps on every retry; what the visits.request_id column holds. */
const REQUEST_ID = /^[A-Za-z0-9-]{1,64}$/;

/**
 * The X-Request-Id to deduplicate on, or undefined (no deduplication) when it
 * is missing or not a plain token of at most 64 characters: such a request did
 * not come through HAProxy, and a bad value must not reach the database.
 */
export function parseRequestId(header: string | string[] | undefined): string | undefined {
  return typeof header === "string" && REQUEST_ID.test(header) ? header : undefined;
}

/** Rejects with a timeout if `work` has not settled within ms; work goes on, unobserved. */
function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from the database within ${ms} ms`)), ms);
  });
  return Promise.race([work, deadline]).finally(() => clearTimeout(timer));
}

export interface FoobarServer extends http.Server {
  /**
   * Drains and stops: /healthz turns 503 at once; new connections are still
   * taken for drainDelayMs (default 0), then no new connections are accepted,
   * idle keep-alive sockets close, requests in flight finish (their responses
   * carry `Connection: close`); sockets still open after graceMs are cut.
   * Then the store and the metrics server are closed. Safe to call more than once.
   */
  shutdown(graceMs: number, drainDelayMs?: number): Promise<void>;
  /** Serves GET /metrics; not listening until main.ts makes it (FOOBAR_METRICS_HOST, FOOBAR_METRICS_PORT). shutdown closes it last. */
  readonly metricsServer: http.Server;
}

const TEXT = "text/plain; charset=utf-8";
const HTML = "text/html; charset=utf-8";
const JSON_TYPE = "application/json";
const ALLOWED = "GET, HEAD";

function describe(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

const pathOf = (req: http.IncomingMessage): string => (req.url ?? "/").split("?")[0];

export function createServer(deps: ServerDeps): FoobarServer {
  const logError = deps.logError ?? ((line: string) => console.error(line));
  const log = deps.log ?? ((line: string) => console.log(line));
  const pageDeadlineMs = deps.pageDeadlineMs ?? PAGE_DEADLINE_MS;
  const metrics = deps.metrics ?? createAppMetrics();
  const metricsServer = createMetricsServer(metrics.registry, (line) => logError(`${deps.serverName}: ${line}`));
  let draining = false;
  let stopped: Promise<void> | undefined;

  function send(res: http.ServerResponse, status: number, type: string, body: string, extra: http.OutgoingHttpHeaders = {}): void {
    const headers: http.OutgoingHttpHeaders = {
      "Content-Type": type,
      "Content-Length": Buffer.byteLength(body),
      "Cache-Control": "no-store",
      "X-Served-By": deps.serverName,
      ...extra,
    };
    // Tells clients (and nginx) not to reuse a socket that is about to close.
    if (draining) headers["Connection"] = "close";
    res.writeHead(status, headers);
    res.end(body); // node drops the body itself for HEAD
  }

  async function visitAndTotal(requestId: string | undefined): Promise<PageVisit> {
    const visit = await deps.store.recordVisit(deps.serverName, requestId);
    if (visit.replayed) {
      log(
        `${deps.serverName}: GET / replays request ${requestId ?? "?"}: visit #${visit.visitId} is already recorded, the total is not bumped`,
      );
    }
    return visit;
  }

  async function home(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let visitId: number;
    let total: number;
    let readFrom: ReadSource;
    try {
      // The deadline backs up the pools' own limits (poolConfig.ts): the 503
      // goes out before HAProxy gives up, and HAProxy may replay it elsewhere,
      // where the request id keeps the visit from being counted twice.
      ({ visitId, total, readFrom } = await withDeadline(visitAndTotal(parseRequestId(req.headers["x-request-id"])), pageDeadlineMs));
    } catch (err) {
      // Details go to the log only; clients learn nothing about the database.
      logError(`${deps.serverName}: GET / failed: ${describe(err)}`);
      send(res, 503, TEXT, "database unavailable");
      return;
    }
    metrics.countRead(readFrom);
    const page = renderHomePage({ domain: deps.domain, serverName: deps.serverName, visitId, total, readFrom });
    send(res, 200, HTML, page, { "X-Visit-Id": String(visitId), "X-Read-From": readFrom });
  }

  function health(res: http.ServerResponse): void {
    // Deliberately no database check: a database outage must not make the
    // load balancer drop every web server at once.
    if (draining) send(res, 503, JSON_TYPE, JSON.stringify({ status: "draining" }));
    else send(res, 200, JSON_TYPE, JSON.stringify({ status: "ok", server: deps.serverName }));
  }

  async function route(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const path = pathOf(req);
    if (path !== "/" && path !== "/healthz") {
      send(res, 404, TEXT, "not found");
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      send(res, 405, TEXT, "method not allowed", { Allow: ALLOWED });
    } else if (path === "/") {
      await home(req, res);
    } else {
      health(res);
    }
  }

  const server = http.createServer((req, res) => {
    // Counted once the answer is out; a request cut off before (a client gone, the grace period
    // over) answered nothing and is not counted.
    const answered = metrics.startRequest(routeOf(pathOf(req)));
    res.on("finish", () => answered(res.statusCode));
    // Answer once the request (normally bodiless) has been read in full: the
    // answer then reflects the state when the request completed (a /healthz
    // that straddles the start of a drain says "draining"), and no unread
    // body is left in a keep-alive socket.
    req.on("end", () => {
      route(req, res).catch((err: unknown) => {
        logError(`${deps.serverName}: ${req.method ?? "?"} ${req.url ?? "?"} failed: ${describe(err)}`);
        if (!res.headersSent) send(res, 500, TEXT, "internal error");
        else res.destroy();
      });
    });
    req.resume();
  });

  function shutdown(graceMs: number, drainDelayMs = 0): Promise<void> {
    if (stopped !== undefined) return stopped;
    draining = true;
    // During the drain delay the server still takes new connections while /healthz says
    // "draining": the load balancer takes it out first, so no request meets a closed port
    // (nginx in front would turn that into a 502 the balancer may not replay elsewhere).
    const delay = drainDelayMs > 0 ? new Promise<void>((resolve) => setTimeout(resolve, drainDelayMs)) : Promise.resolve();
    const connectionsClosed = delay.then(
      () =>
        new Promise<void>((resolve) => {
          const force = setTimeout(() => server.closeAllConnections(), graceMs);
          // The callback runs once every connection has ended (or at once, with
          // an error we ignore, when the server was not listening).
          server.close(() => {
            clearTimeout(force);
            resolve();
          });
          // Node 18's close() leaves idle keep-alive sockets open; node 19+ closes them too.
          server.closeIdleConnections();
        }),
    );
    // The metrics stay up until the site's requests are done: Prometheus can watch the drain.
    stopped = connectionsClosed.then(async () => {
      await Promise.all([
        deps.store.close().catch((err: unknown) => logError(`${deps.serverName}: closing the store failed: ${describe(err)}`)),
        closeMetricsServer(metricsServer),
      ]);
    });
    return stopped;
  }

  return Object.assign(server, { shutdown, metricsServer });
}
