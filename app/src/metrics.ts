// The app's own Prometheus metrics (prom-client), in a registry of each server's own rather than
// prom-client's global one: two servers in one process (the tests) never share a count. Labels
// take a few fixed values only (a route, never the URL a client sent; a pool's name), so a
// scanner trying paths cannot grow the number of series.
import { Counter, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import type { ReadSource } from "./store";

/** The site's routes as the metrics know them: every other path is "other". */
export type Route = "/" | "/healthz" | "other";
/** The mysql pools (pools.ts): the writer (the primary) and the reader (the replica). */
export type PoolName = "writer" | "reader";
const POOLS: readonly PoolName[] = ["writer", "reader"];
const READ_SOURCES: readonly ReadSource[] = ["replica", "primary"];

export function routeOf(path: string): Route {
  return path === "/" || path === "/healthz" ? path : "other";
}

/**
 * From 5 ms (a page answered by warm connections) to 5 s (well past the page's 1.5 s deadline,
 * PAGE_DEADLINE_MS, which is a bucket of its own: "answered in time" is one series).
 */
export const DURATION_BUCKETS: readonly number[] = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5];

export interface AppMetrics {
  readonly registry: Registry;
  /** Starts timing a request; the returned function counts it once its answer is out. */
  startRequest(route: Route): (status: number) => void;
  /** The database that answered a page's total. */
  countRead(source: ReadSource): void;
  /** A script that failed on one of the pools (db.ts: onFailure). */
  countDatabaseError(pool: PoolName): void;
}

export interface AppMetricsOptions {
  /** prom-client's process_* and nodejs_* metrics (CPU, memory, event loop lag, GC). @default true */
  processMetrics?: boolean;
}

export function createAppMetrics(options: AppMetricsOptions = {}): AppMetrics {
  const registry = new Registry();
  if (options.processMetrics ?? true) collectDefaultMetrics({ register: registry });
  const requests = new Counter({
    name: "foobar_app_http_requests_total",
    help: "HTTP requests answered, by route ('/', '/healthz' or 'other') and status code.",
    labelNames: ["route", "status"] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: "foobar_app_http_request_duration_seconds",
    help: "Time from a request's arrival to the end of its answer, by route.",
    labelNames: ["route"] as const,
    buckets: [...DURATION_BUCKETS],
    registers: [registry],
  });
  const databaseErrors = new Counter({
    name: "foobar_app_database_errors_total",
    help: "Database scripts that failed (an error answer, a lost connection, no connection in time), by pool.",
    labelNames: ["pool"] as const,
    registers: [registry],
  });
  const reads = new Counter({
    name: "foobar_app_reads_total",
    help: "Pages whose total was read from the replica or, when it lagged, failed or is absent, from the primary.",
    labelNames: ["source"] as const,
    registers: [registry],
  });
  // Every known series exists from the start, at 0: the first error or read is then an increase
  // that rate() and increase() see, not the birth of a series they cannot compare with anything.
  for (const pool of POOLS) databaseErrors.inc({ pool }, 0);
  for (const source of READ_SOURCES) reads.inc({ source }, 0);
  return {
    registry,
    startRequest(route) {
      const stop = duration.startTimer({ route });
      return (status) => {
        stop();
        requests.inc({ route, status: String(status) });
      };
    },
    countRead: (source) => reads.inc({ source }),
    countDatabaseError: (pool) => databaseErrors.inc({ pool }),
  };
}
