// The metrics' own HTTP server, on a port of its own (FOOBAR_METRICS_PORT, config.ts) and an address
// of its own (FOOBAR_METRICS_HOST, unset: FOOBAR_LISTEN_HOST's; main.ts listens there): Prometheus
// scrapes it there, from the monitoring network, while nginx proxies the site's port, which may listen
// on 127.0.0.1 only (AWS). So /metrics is never part of the public site, and a scrape is never
// counted as one of the site's requests.
import * as http from "http";
import { Registry } from "prom-client";

export const METRICS_PATH = "/metrics";

export function createMetricsServer(registry: Registry, logError: (line: string) => void): http.Server {
  return http.createServer((req, res) => {
    const send = (status: number, type: string, body: string, extra: http.OutgoingHttpHeaders = {}): void => {
      res.writeHead(status, { "Content-Type": type, "Content-Length": Buffer.byteLength(body), ...extra });
      res.end(body); // node drops the body itself for HEAD
    };
    req.resume();
    const path = (req.url ?? "/").split("?")[0];
    if (path !== METRICS_PATH) {
      send(404, "text/plain; charset=utf-8", "not found");
    } else if (req.method !== "GET" && req.method !== "HEAD") {
      send(405, "text/plain; charset=utf-8", "method not allowed", { Allow: "GET, HEAD" });
    } else {
      registry.metrics().then(
        (text) => send(200, registry.contentType, text),
        (err: unknown) => {
          logError(`GET ${METRICS_PATH} failed: ${err instanceof Error ? err.message : String(err)}`);
          send(500, "text/plain; charset=utf-8", "internal error");
        },
      );
    }
  });
}

/**
 * Stops it at once, scrapes in flight included: a cut scrape costs one missing sample, and
 * Prometheus keeps its connections alive, which would otherwise hold the shutdown up.
 */
export function closeMetricsServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    // The callback gets an error, ignored, when the server was not listening.
    server.close(() => resolve());
    server.closeAllConnections();
  });
}
