// Entry point: config → store → HTTP server (and its metrics' server); SIGTERM/SIGINT drain and
// exit 0. Exit status 1 means the app could not start (bad config, port in use).
import * as http from "http";
import * as net from "net";
import { Config, ConfigError, loadConfig } from "./config";
import { DRAIN_DELAY_MS, FORCED_EXIT_MARGIN_MS, SHUTDOWN_GRACE_MS } from "./drain";
import { createAppMetrics } from "./metrics";
import { METRICS_PATH } from "./metricsServer";
import { createServer } from "./server";

function describeDb(config: Config): string {
  const { flavor, writer, reader, database, user, tls } = config.db;
  const readerText = reader === undefined ? "none (reads from the writer)" : `${reader.host}:${reader.port}`;
  const tlsText = tls === undefined ? "no TLS" : `TLS verified against ${tls.caFile}`;
  // Never the password: only where the app connects and as whom.
  return `db ${flavor}, writer ${writer.host}:${writer.port}, reader ${readerText}, database ${database}, user ${user}, ${tlsText}`;
}

/** host:port, an IPv6 address in brackets (as in a URL). */
function hostPort(host: string, port: number): string {
  return `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
}

/** Listens, or exits 1: a server that cannot bind (EADDRINUSE, EACCES) leaves the app unable to do its job. */
function listenOrExit(server: http.Server, config: Config, host: string, port: number, ready: () => void): void {
  server.on("error", (err: Error) => {
    console.error(`${config.serverName}: cannot listen on ${hostPort(host, port)}: ${err.message}`);
    process.exit(1);
  });
  server.listen(port, host, ready);
}

async function main(): Promise<void> {
  let config: Config;
  try {
    config = loadConfig(process.env);
  } catch (err) {
    process.stderr.write(`${err instanceof ConfigError ? err.message : String(err)}\n`);
    process.exit(1);
  }

  // Loaded only now, so a bad config is reported as such even where the
  // mysql driver is not installed (e.g. a developer's machine).
  const { openVisitStore } = await import("./pools");
  const metrics = createAppMetrics();
  const store = openVisitStore(config.db, metrics, (line) => console.error(`${config.serverName}: ${line}`));
  const server = createServer({ store, serverName: config.serverName, domain: config.domain, metrics });

  listenOrExit(server, config, config.listenHost, config.port, () => {
    console.log(
      `${config.serverName}: serving ${config.domain} on http://${hostPort(config.listenHost, config.port)}; ${describeDb(config)}`,
    );
  });
  // Its own address (FOOBAR_METRICS_HOST): Prometheus may scrape from where the site's address is not reachable.
  listenOrExit(server.metricsServer, config, config.metricsHost, config.metricsPort, () => {
    console.log(`${config.serverName}: metrics served on http://${hostPort(config.metricsHost, config.metricsPort)}${METRICS_PATH}`);
  });

  let stopping = false;
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) {
      // A second Ctrl-C means "now": skip the rest of the drain.
      console.log(`${config.serverName}: ${signal} received again, exiting without draining`);
      process.exit(1);
    }
    stopping = true;
    console.log(
      `${config.serverName}: ${signal} received, draining (${DRAIN_DELAY_MS / 1000} s, then at most ${SHUTDOWN_GRACE_MS / 1000} s)`,
    );
    // The grace period bounds the connections, not the pools' close: never
    // hang on a database that stopped answering.
    setTimeout(
      () => {
        console.error(`${config.serverName}: shutdown took too long, exiting`);
        process.exit(1);
      },
      DRAIN_DELAY_MS + SHUTDOWN_GRACE_MS + FORCED_EXIT_MARGIN_MS,
    ).unref();
    void server.shutdown(SHUTDOWN_GRACE_MS, DRAIN_DELAY_MS).then(() => {
      console.log(`${config.serverName}: stopped`);
      process.exit(0);
    });
  };
  process.on("SIGTERM", stop);
  process.on("SIGINT", stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? (err.stack ?? err.message) : String(err));
  process.exit(1);
});
