// Reads the app's settings from the environment and validates all of them at
// once, so an operator fixes every mistake in one round instead of one per
// restart. The database password comes only from a file (a Docker/Pulumi
// secret mount): env vars leak into `docker inspect`, /proc and crash dumps.
// The database CA, too, is a file (FOOBAR_DB_CA_FILE): set, every database
// connection uses TLS and checks the server's certificate and name against it.
import * as fs from "fs";
import * as net from "net";
import { readCaBundle } from "./caBundle";
import { Secret } from "./secret";

export { Secret } from "./secret";

export type Env = Readonly<Record<string, string | undefined>>;

export interface DbEndpoint {
  host: string;
  port: number;
}

export interface DbTls {
  /** The file FOOBAR_DB_CA_FILE names (for the start-up log). */
  caFile: string;
  /** PEM bundle of the CA certificate(s) the database servers' certificates must chain to. */
  ca: string;
}

/**
 * The database engine (FOOBAR_DB_FLAVOR), which says where a page reads its own write (store.ts): MariaDB
 * (ours) on the replica once it has the GTID; Galera (ours) on the local node, a causal read; MySQL (RDS) on the primary.
 */
export type DbFlavor = "mariadb" | "mysql" | "galera";
const DB_FLAVORS: readonly DbFlavor[] = ["mariadb", "mysql", "galera"];

export interface DbConfig {
  /** @default "mariadb" */
  flavor: DbFlavor;
  writer: DbEndpoint;
  /** Absent: reads go to the writer. */
  reader?: DbEndpoint;
  database: string;
  user: string;
  password: Secret;
  /** Absent: no TLS to the databases (FOOBAR_DB_CA_FILE unset). */
  tls?: DbTls;
}

/** The port of the app's /metrics (FOOBAR_METRICS_PORT) when unset: Prometheus scrapes it there. */
export const APP_METRICS_PORT_DEFAULT = 9301;

export interface Config {
  serverName: string;
  domain: string;
  /** Where the site's server listens (FOOBAR_LISTEN_HOST). */
  listenHost: string;
  port: number;
  /** Where the metrics' server listens (FOOBAR_METRICS_HOST); unset, listenHost. */
  metricsHost: string;
  /** The metrics' own port, never the site's where the two addresses overlap: /metrics is not part of the site (metricsServer.ts). */
  metricsPort: number;
  db: DbConfig;
}

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    const noun = problems.length === 1 ? "problem" : "problems";
    super(`Invalid configuration (${problems.length} ${noun}):\n` + problems.map((p) => `  - ${p}`).join("\n"));
    this.name = "ConfigError";
    this.problems = problems;
  }
}

/** The addresses that take every local address: another server there collides with any host on the same port. */
const WILDCARD_HOSTS: readonly string[] = ["0.0.0.0", "::"];

const SERVER_NAME = /^[a-z0-9][a-z0-9-]{0,62}$/;
// '_' is not valid in DNS names but Docker's embedded DNS resolves container
// names such as "foobar_db_1", so it is accepted.
const HOST_LABEL = /^[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?$/;
// MySQL unquoted identifier; the app never quotes the database name.
const DB_NAME = /^[A-Za-z0-9_$]{1,64}$/;
// MySQL 8 / MariaDB user names are at most 32 characters.
const DB_USER = /^[A-Za-z0-9_.-]{1,32}$/;

function isHost(value: string): boolean {
  if (net.isIP(value) !== 0) return true;
  return value.length <= 253 && value.split(".").every((label) => HOST_LABEL.test(label));
}

function parsePort(value: string): number | undefined {
  if (!/^[0-9]{1,5}$/.test(value)) return undefined;
  const port = Number(value);
  return port >= 1 && port <= 65535 ? port : undefined;
}

/** Reads the password file; trailing newlines (from `echo pw > file`) are not part of the password. */
function readPassword(path: string): { password?: string; problem?: string } {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "unknown error";
    return { problem: `cannot be read (${code})` };
  }
  const password = text.replace(/[\r\n]+$/, "");
  return password === "" ? { problem: "names an empty file" } : { password };
}

export function loadConfig(env: Env = process.env): Config {
  const problems: string[] = [];
  // Docker passes `-e NAME=` through as "", which means "not set" here.
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value === "" ? undefined : value;
  };
  const bad = (name: string, value: string, why: string, fix: string): void => {
    problems.push(`${name}=${JSON.stringify(value)} ${why}. Fix: ${fix}.`);
  };
  const missing = (name: string, fix: string): void => {
    problems.push(`${name} is not set but is required. Fix: ${fix}.`);
  };

  const text = (name: string, fallback: string | undefined, ok: (v: string) => boolean, why: string, fix: string): string => {
    const value = get(name);
    if (value === undefined) {
      if (fallback === undefined) missing(name, fix);
      return fallback ?? "";
    }
    if (!ok(value)) bad(name, value, why, fix);
    return value;
  };
  const port = (name: string, fallback: number | undefined, what: string): number => {
    const value = get(name);
    const fix = `set it to ${what}, an integer from 1 to 65535` + (fallback === undefined ? "" : `, or unset it for ${fallback}`);
    if (value === undefined) return fallback ?? 0;
    const parsed = parsePort(value);
    if (parsed === undefined) bad(name, value, "is not a TCP port", fix);
    return parsed ?? 0;
  };
  const host = (name: string, fallback: string | undefined, what: string): string =>
    text(name, fallback, isHost, "is not a host name or IP address", `set it to ${what}`);

  const serverName = text(
    "FOOBAR_SERVER_NAME",
    undefined,
    (v) => SERVER_NAME.test(v),
    "is not a valid server name",
    "set it to this web server's name: lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters, e.g. server-1",
  );
  const domain = host("FOOBAR_DOMAIN", "www.foobar.com", "the site's public host name, or unset it for www.foobar.com");
  const listenHost = host("FOOBAR_LISTEN_HOST", "0.0.0.0", "the address to listen on, or unset it for 0.0.0.0");
  const listenPort = port("FOOBAR_PORT", 3000, "the HTTP port to listen on");
  // Its own address (on AWS the site listens on 127.0.0.1 for nginx, but Prometheus scrapes from another instance).
  const metricsHost = host(
    "FOOBAR_METRICS_HOST",
    listenHost,
    "the address to serve /metrics on, or unset it for the same address as FOOBAR_LISTEN_HOST",
  );
  const metricsPort = port("FOOBAR_METRICS_PORT", APP_METRICS_PORT_DEFAULT, "the port to serve /metrics on");
  // One port can serve two servers on two different addresses (127.0.0.1:3000 and 10.0.1.5:3000), but not
  // when the addresses are the same or one of them is a wildcard, which takes every address. Kept to a
  // comparison of the strings: two names of one address (localhost, 127.0.0.1) pass here and then fail
  // to listen (EADDRINUSE), which main.ts reports and exits 1 on.
  const hostsOverlap = metricsHost === listenHost || WILDCARD_HOSTS.includes(metricsHost) || WILDCARD_HOSTS.includes(listenHost);
  if (hostsOverlap && metricsPort === listenPort && metricsPort !== 0) {
    const fix = `set FOOBAR_METRICS_PORT to a port of its own (unset, it is ${APP_METRICS_PORT_DEFAULT})`;
    problems.push(`FOOBAR_PORT and FOOBAR_METRICS_PORT are both ${metricsPort}, but the metrics need a port of their own. Fix: ${fix}.`);
  }

  const flavor = text(
    "FOOBAR_DB_FLAVOR",
    "mariadb",
    (v) => (DB_FLAVORS as readonly string[]).includes(v),
    "is not a database engine the app knows",
    "set it to mariadb (our own MariaDB), galera (our own MariaDB Galera cluster) or mysql (RDS MySQL), or unset it for mariadb",
  ) as DbFlavor;
  const writerHost = host("FOOBAR_DB_WRITER_HOST", undefined, "the host name of the MySQL primary, e.g. db-primary");
  const writerPort = port("FOOBAR_DB_WRITER_PORT", 3306, "the MySQL primary's port");

  // The replica is optional; a port without a host is a half-done setting.
  let reader: DbEndpoint | undefined;
  const readerPort = get("FOOBAR_DB_READER_PORT");
  if (get("FOOBAR_DB_READER_HOST") !== undefined) {
    reader = {
      host: host("FOOBAR_DB_READER_HOST", undefined, "the host name of the MySQL replica, or unset it to read from the primary"),
      port: port("FOOBAR_DB_READER_PORT", 3306, "the MySQL replica's port"),
    };
  } else if (readerPort !== undefined) {
    bad(
      "FOOBAR_DB_READER_PORT",
      readerPort,
      "is set but FOOBAR_DB_READER_HOST is not",
      "set FOOBAR_DB_READER_HOST to the replica's host name, or unset FOOBAR_DB_READER_PORT",
    );
  }

  const database = text(
    "FOOBAR_DB_NAME",
    "foobar",
    (v) => DB_NAME.test(v),
    "is not a valid MySQL database name",
    "use letters, digits, '_' or '$' (at most 64), or unset it for foobar",
  );
  const user = text(
    "FOOBAR_DB_USER",
    "app",
    (v) => DB_USER.test(v),
    "is not a valid MySQL user name",
    "use letters, digits, '_', '.' or '-' (at most 32), or unset it for app",
  );

  let password = "";
  const passwordFix = "set it to the path of a readable file holding only the app user's MySQL password";
  const passwordFile = get("FOOBAR_DB_PASSWORD_FILE");
  if (passwordFile === undefined) {
    missing("FOOBAR_DB_PASSWORD_FILE", passwordFix);
  } else {
    const result = readPassword(passwordFile);
    if (result.problem !== undefined) bad("FOOBAR_DB_PASSWORD_FILE", passwordFile, result.problem, passwordFix);
    password = result.password ?? "";
  }

  // Optional until every platform delivers a CA: unset means no TLS at all.
  let tls: DbTls | undefined;
  const caFile = get("FOOBAR_DB_CA_FILE");
  if (caFile !== undefined) {
    const result = readCaBundle(caFile);
    if (result.problem !== undefined) {
      bad(
        "FOOBAR_DB_CA_FILE",
        caFile,
        result.problem,
        "set it to the path of a readable PEM file holding the CA certificate(s) that signed the database servers' certificates, or unset it to connect without TLS",
      );
    }
    tls = { caFile, ca: result.ca ?? "" };
  }

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    serverName,
    domain,
    listenHost,
    port: listenPort,
    metricsHost,
    metricsPort,
    db: {
      flavor,
      writer: { host: writerHost, port: writerPort },
      ...(reader === undefined ? {} : { reader }),
      database,
      user,
      password: new Secret(password),
      ...(tls === undefined ? {} : { tls }),
    },
  };
}
