import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as util from "util";
import { APP_METRICS_PORT_DEFAULT, Config, ConfigError, Env, loadConfig } from "../src/config";

const PASSWORD = "s3cr3t-Pa55";
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-config-"));
function file(name: string, content: string): string {
  const p = path.join(tmp, name);
  fs.writeFileSync(p, content);
  return p;
}
const passwordFile = file("password", `${PASSWORD}\n`);

// A throwaway self-signed CA certificate (its key discarded): only parsed, never trusted.
const CA_PEM = [
  "-----BEGIN CERTIFICATE-----",
  "MIIBijCCAS+gAwIBAgIUH08fJnFjMhmrsb8kGMBRtzy3/EcwCgYIKoZIzj0EAwIw",
  "GTEXMBUGA1UEAwwOZm9vYmFyIHRlc3QgQ0EwIBcNMjYxMTMwMDg1ODQ2WhgPMjEy",
  "NjExMDYwODU4NDZaMBkxFzAVBgNVBAMMDmZvb2JhciB0ZXN0IENBMFkwEwYHKoZI",
  "zj0CAQYIKoZIzj0DAQcDQgAEkj03aYHbKBAl2m17toivdjQVRJLZ/1hQ/B1+FiOA",
  "1kbe31LiWTLXJhHthpwW4t76FOFLB13WkjJPiZAHy+oPjqNTMFEwHQYDVR0OBBYE",
  "FKlcIApQJMaJZ99WuOC9Vey8gM1aMB8GA1UdIwQYMBaAFKlcIApQJMaJZ99WuOC9",
  "Vey8gM1aMA8GA1UdEwEB/wQFMAMBAf8wCgYIKoZIzj0EAwIDSQAwRgIhAKLb3bXX",
  "EdzJ8dPRbXQZ6MIg6nFWR6E3WQBGUqGUIa+fAiEAz7S0dxp8P7y6B0c1nF++/+C5",
  "vTNXezkYpRlBE3iXLYc=",
  "-----END CERTIFICATE-----",
  "",
].join("\n");
const caFile = file("ca.pem", CA_PEM);

const REQUIRED: Env = {
  FOOBAR_SERVER_NAME: "server-1",
  FOOBAR_DB_WRITER_HOST: "db-primary",
  FOOBAR_DB_PASSWORD_FILE: passwordFile,
};

/** The config with the password revealed, for deepEqual. */
function plain(config: Config): unknown {
  return { ...config, db: { ...config.db, password: config.db.password.reveal() } };
}

function problemsOf(env: Env): string {
  try {
    loadConfig(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err.message;
  }
  return assert.fail("expected loadConfig to throw");
}

const one = (line: string): string => `Invalid configuration (1 problem):\n  - ${line}`;
const PASSWORD_FIX = "Fix: set it to the path of a readable file holding only the app user's MySQL password.";
const CA_FIX =
  "Fix: set it to the path of a readable PEM file holding the CA certificate(s) that signed the database servers' certificates, or unset it to connect without TLS.";
const NAME_FIX =
  "Fix: set it to this web server's name: lowercase letters, digits and '-', starting with a letter or digit, at most 63 characters, e.g. server-1.";

describe("config", () => {
  after(() => fs.rmSync(tmp, { recursive: true, force: true }));

  it("applies every default when only the required variables are set", () => {
    assert.deepEqual(plain(loadConfig(REQUIRED)), {
      serverName: "server-1",
      domain: "www.foobar.com",
      listenHost: "0.0.0.0",
      port: 3000,
      metricsHost: "0.0.0.0",
      metricsPort: 9301,
      db: { flavor: "mariadb", writer: { host: "db-primary", port: 3306 }, database: "foobar", user: "app", password: PASSWORD },
    });
  });

  it("reads every variable, including the optional replica", () => {
    const config = loadConfig({
      FOOBAR_SERVER_NAME: "server-3",
      FOOBAR_DOMAIN: "staging.foobar.com",
      FOOBAR_LISTEN_HOST: "127.0.0.1",
      FOOBAR_PORT: "8080",
      FOOBAR_METRICS_HOST: "10.0.1.7",
      FOOBAR_METRICS_PORT: "9100",
      FOOBAR_DB_FLAVOR: "mysql",
      FOOBAR_DB_WRITER_HOST: "10.0.1.5",
      FOOBAR_DB_WRITER_PORT: "3307",
      FOOBAR_DB_READER_HOST: "foobar_db-replica_1",
      FOOBAR_DB_READER_PORT: "3308",
      FOOBAR_DB_NAME: "foobar_test",
      FOOBAR_DB_USER: "web",
      FOOBAR_DB_PASSWORD_FILE: passwordFile,
    });
    assert.deepEqual(plain(config), {
      serverName: "server-3",
      domain: "staging.foobar.com",
      listenHost: "127.0.0.1",
      port: 8080,
      metricsHost: "10.0.1.7",
      metricsPort: 9100,
      db: {
        flavor: "mysql",
        writer: { host: "10.0.1.5", port: 3307 },
        reader: { host: "foobar_db-replica_1", port: 3308 },
        database: "foobar_test",
        user: "web",
        password: PASSWORD,
      },
    });
  });

  it("serves the metrics on FOOBAR_LISTEN_HOST's address when FOOBAR_METRICS_HOST is unset or empty", () => {
    const env = { ...REQUIRED, FOOBAR_LISTEN_HOST: "127.0.0.1" };
    assert.equal(loadConfig(env).metricsHost, "127.0.0.1");
    assert.equal(loadConfig({ ...env, FOOBAR_METRICS_HOST: "" }).metricsHost, "127.0.0.1");
    assert.equal(loadConfig({ ...env, FOOBAR_METRICS_HOST: "0.0.0.0" }).metricsHost, "0.0.0.0");
    assert.equal(loadConfig({ ...REQUIRED, FOOBAR_METRICS_HOST: "::" }).metricsHost, "::");
  });

  it("lets the metrics share the site's port on another, non-wildcard address", () => {
    const config = loadConfig({
      ...REQUIRED,
      FOOBAR_LISTEN_HOST: "127.0.0.1",
      FOOBAR_METRICS_HOST: "10.0.1.7",
      FOOBAR_METRICS_PORT: "3000",
    });
    assert.deepEqual([config.listenHost, config.port, config.metricsHost, config.metricsPort], ["127.0.0.1", 3000, "10.0.1.7", 3000]);
  });

  it("knows each database engine by its name", () => {
    const flavors = ["mariadb", "galera", "mysql"].map((flavor) => loadConfig({ ...REQUIRED, FOOBAR_DB_FLAVOR: flavor }).db.flavor);
    assert.deepEqual(flavors, ["mariadb", "galera", "mysql"]);
    assert.equal(loadConfig({ ...REQUIRED, FOOBAR_DB_FLAVOR: "" }).db.flavor, "mariadb");
  });

  it("treats empty values as unset and defaults the replica port to 3306", () => {
    const config = loadConfig({
      ...REQUIRED,
      FOOBAR_PORT: "",
      FOOBAR_METRICS_PORT: "",
      FOOBAR_DB_READER_HOST: "db-replica",
      FOOBAR_DB_NAME: "",
    });
    assert.equal(config.port, 3000);
    assert.equal(config.metricsPort, APP_METRICS_PORT_DEFAULT);
    assert.equal(config.db.database, "foobar");
    assert.deepEqual(config.db.reader, { host: "db-replica", port: 3306 });
    assert.equal(loadConfig({ ...REQUIRED, FOOBAR_DB_READER_HOST: "" }).db.reader, undefined);
  });

  it("trims only trailing newlines from the password file", () => {
    const env = { ...REQUIRED, FOOBAR_DB_PASSWORD_FILE: file("crlf", " pa ss\r\n\n") };
    assert.equal(loadConfig(env).db.password.reveal(), " pa ss");
  });

  it("never prints the password when the config is logged or serialised", () => {
    const config = loadConfig(REQUIRED);
    assert.ok(!util.inspect(config, { depth: 10 }).includes(PASSWORD));
    assert.ok(!JSON.stringify(config).includes(PASSWORD));
    assert.equal(`${config.db.password}`, "[redacted]");
  });

  it("reads the database CA bundle: TLS to the databases", () => {
    const bundle = file("bundle.pem", `# the stack's CA, then Amazon's\n${CA_PEM}${CA_PEM}`);
    assert.deepEqual(loadConfig({ ...REQUIRED, FOOBAR_DB_CA_FILE: caFile }).db.tls, { caFile, ca: CA_PEM });
    assert.equal(loadConfig({ ...REQUIRED, FOOBAR_DB_CA_FILE: bundle }).db.tls?.ca, `# the stack's CA, then Amazon's\n${CA_PEM}${CA_PEM}`);
    assert.equal(loadConfig({ ...REQUIRED, FOOBAR_DB_CA_FILE: "" }).db.tls, undefined);
  });

  it("ignores a password given in the environment", () => {
    const config = loadConfig({ ...REQUIRED, FOOBAR_DB_PASSWORD: "from-env" });
    assert.equal(config.db.password.reveal(), PASSWORD);
  });

  it("lists every problem of an empty environment in one error", () => {
    assert.equal(
      problemsOf({}),
      [
        "Invalid configuration (3 problems):",
        `  - FOOBAR_SERVER_NAME is not set but is required. ${NAME_FIX}`,
        "  - FOOBAR_DB_WRITER_HOST is not set but is required. Fix: set it to the host name of the MySQL primary, e.g. db-primary.",
        `  - FOOBAR_DB_PASSWORD_FILE is not set but is required. ${PASSWORD_FIX}`,
      ].join("\n"),
    );
  });

  const missingFile = path.join(tmp, "missing");
  const cases: Array<[string, Env, string]> = [
    [
      "an upper-case server name",
      { FOOBAR_SERVER_NAME: "Server-1" },
      `FOOBAR_SERVER_NAME="Server-1" is not a valid server name. ${NAME_FIX}`,
    ],
    [
      "a server name starting with '-'",
      { FOOBAR_SERVER_NAME: "-web" },
      `FOOBAR_SERVER_NAME="-web" is not a valid server name. ${NAME_FIX}`,
    ],
    [
      "a 64-character server name",
      { FOOBAR_SERVER_NAME: "a".repeat(64) },
      `FOOBAR_SERVER_NAME="${"a".repeat(64)}" is not a valid server name. ${NAME_FIX}`,
    ],
    [
      "a domain with a space",
      { FOOBAR_DOMAIN: "www foobar.com" },
      'FOOBAR_DOMAIN="www foobar.com" is not a host name or IP address. Fix: set it to the site\'s public host name, or unset it for www.foobar.com.',
    ],
    [
      "a listen address with a port",
      { FOOBAR_LISTEN_HOST: "0.0.0.0:3000" },
      'FOOBAR_LISTEN_HOST="0.0.0.0:3000" is not a host name or IP address. Fix: set it to the address to listen on, or unset it for 0.0.0.0.',
    ],
    [
      "a metrics address with a port",
      { FOOBAR_METRICS_HOST: "0.0.0.0:9301" },
      'FOOBAR_METRICS_HOST="0.0.0.0:9301" is not a host name or IP address. Fix: set it to the address to serve /metrics on, or unset it for the same address as FOOBAR_LISTEN_HOST.',
    ],
    [
      "a metrics address URL",
      { FOOBAR_METRICS_HOST: "http://10.0.1.7" },
      'FOOBAR_METRICS_HOST="http://10.0.1.7" is not a host name or IP address. Fix: set it to the address to serve /metrics on, or unset it for the same address as FOOBAR_LISTEN_HOST.',
    ],
    [
      "a named port",
      { FOOBAR_PORT: "http" },
      'FOOBAR_PORT="http" is not a TCP port. Fix: set it to the HTTP port to listen on, an integer from 1 to 65535, or unset it for 3000.',
    ],
    [
      "port 0",
      { FOOBAR_PORT: "0" },
      'FOOBAR_PORT="0" is not a TCP port. Fix: set it to the HTTP port to listen on, an integer from 1 to 65535, or unset it for 3000.',
    ],
    [
      "port 65536",
      { FOOBAR_PORT: "65536" },
      'FOOBAR_PORT="65536" is not a TCP port. Fix: set it to the HTTP port to listen on, an integer from 1 to 65535, or unset it for 3000.',
    ],
    [
      "a named metrics port",
      { FOOBAR_METRICS_PORT: "metrics" },
      'FOOBAR_METRICS_PORT="metrics" is not a TCP port. Fix: set it to the port to serve /metrics on, an integer from 1 to 65535, or unset it for 9301.',
    ],
    [
      "metrics port 0",
      { FOOBAR_METRICS_PORT: "0" },
      'FOOBAR_METRICS_PORT="0" is not a TCP port. Fix: set it to the port to serve /metrics on, an integer from 1 to 65535, or unset it for 9301.',
    ],
    [
      "metrics port 70000",
      { FOOBAR_METRICS_PORT: "70000" },
      'FOOBAR_METRICS_PORT="70000" is not a TCP port. Fix: set it to the port to serve /metrics on, an integer from 1 to 65535, or unset it for 9301.',
    ],
    [
      "a metrics port with an address",
      { FOOBAR_METRICS_PORT: ":9301" },
      'FOOBAR_METRICS_PORT=":9301" is not a TCP port. Fix: set it to the port to serve /metrics on, an integer from 1 to 65535, or unset it for 9301.',
    ],
    [
      "the site's port as the metrics port",
      { FOOBAR_METRICS_PORT: "3000" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 3000, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "the metrics' default port as the site's port",
      { FOOBAR_PORT: "9301" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 9301, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "the site's port on the same explicit address",
      { FOOBAR_LISTEN_HOST: "10.0.1.7", FOOBAR_METRICS_HOST: "10.0.1.7", FOOBAR_METRICS_PORT: "3000" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 3000, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "the site's port with the site on every address",
      { FOOBAR_METRICS_HOST: "10.0.1.7", FOOBAR_METRICS_PORT: "3000" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 3000, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "the site's port with the metrics on every address",
      { FOOBAR_LISTEN_HOST: "127.0.0.1", FOOBAR_METRICS_HOST: "0.0.0.0", FOOBAR_METRICS_PORT: "3000" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 3000, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "the site's port with the metrics on every IPv6 (and IPv4) address",
      { FOOBAR_LISTEN_HOST: "127.0.0.1", FOOBAR_METRICS_HOST: "::", FOOBAR_PORT: "9301" },
      "FOOBAR_PORT and FOOBAR_METRICS_PORT are both 9301, but the metrics need a port of their own. Fix: set FOOBAR_METRICS_PORT to a port of its own (unset, it is 9301).",
    ],
    [
      "an unknown database engine",
      { FOOBAR_DB_FLAVOR: "postgres" },
      'FOOBAR_DB_FLAVOR="postgres" is not a database engine the app knows. Fix: set it to mariadb (our own MariaDB), galera (our own MariaDB Galera cluster) or mysql (RDS MySQL), or unset it for mariadb.',
    ],
    [
      "a database engine in capitals",
      { FOOBAR_DB_FLAVOR: "Galera" },
      'FOOBAR_DB_FLAVOR="Galera" is not a database engine the app knows. Fix: set it to mariadb (our own MariaDB), galera (our own MariaDB Galera cluster) or mysql (RDS MySQL), or unset it for mariadb.',
    ],
    [
      "a writer URL instead of a host",
      { FOOBAR_DB_WRITER_HOST: "mysql://db-primary" },
      'FOOBAR_DB_WRITER_HOST="mysql://db-primary" is not a host name or IP address. Fix: set it to the host name of the MySQL primary, e.g. db-primary.',
    ],
    [
      "a writer port with a suffix",
      { FOOBAR_DB_WRITER_PORT: "3306/tcp" },
      'FOOBAR_DB_WRITER_PORT="3306/tcp" is not a TCP port. Fix: set it to the MySQL primary\'s port, an integer from 1 to 65535, or unset it for 3306.',
    ],
    [
      "a bad replica host",
      { FOOBAR_DB_READER_HOST: "db replica" },
      'FOOBAR_DB_READER_HOST="db replica" is not a host name or IP address. Fix: set it to the host name of the MySQL replica, or unset it to read from the primary.',
    ],
    [
      "a bad replica port",
      { FOOBAR_DB_READER_HOST: "db-replica", FOOBAR_DB_READER_PORT: "-1" },
      'FOOBAR_DB_READER_PORT="-1" is not a TCP port. Fix: set it to the MySQL replica\'s port, an integer from 1 to 65535, or unset it for 3306.',
    ],
    [
      "a replica port without a replica host",
      { FOOBAR_DB_READER_PORT: "3307" },
      'FOOBAR_DB_READER_PORT="3307" is set but FOOBAR_DB_READER_HOST is not. Fix: set FOOBAR_DB_READER_HOST to the replica\'s host name, or unset FOOBAR_DB_READER_PORT.',
    ],
    [
      "a database name with '-'",
      { FOOBAR_DB_NAME: "foo-bar" },
      "FOOBAR_DB_NAME=\"foo-bar\" is not a valid MySQL database name. Fix: use letters, digits, '_' or '$' (at most 64), or unset it for foobar.",
    ],
    [
      "a user name with a space",
      { FOOBAR_DB_USER: "app user" },
      "FOOBAR_DB_USER=\"app user\" is not a valid MySQL user name. Fix: use letters, digits, '_', '.' or '-' (at most 32), or unset it for app.",
    ],
    [
      "a missing password file",
      { FOOBAR_DB_PASSWORD_FILE: missingFile },
      `FOOBAR_DB_PASSWORD_FILE=${JSON.stringify(missingFile)} cannot be read (ENOENT). ${PASSWORD_FIX}`,
    ],
    [
      "a directory as password file",
      { FOOBAR_DB_PASSWORD_FILE: tmp },
      `FOOBAR_DB_PASSWORD_FILE=${JSON.stringify(tmp)} cannot be read (EISDIR). ${PASSWORD_FIX}`,
    ],
  ];
  for (const [what, override, line] of cases) {
    it(`rejects ${what} with an exact message`, () => {
      assert.equal(problemsOf({ ...REQUIRED, ...override }), one(line));
    });
  }

  const caCases: Array<[string, () => string, string]> = [
    ["a missing CA file", () => missingFile, "cannot be read (ENOENT)"],
    ["a directory as CA file", () => tmp, "cannot be read (EISDIR)"],
    ["an empty CA file", () => file("ca-empty", " \n\n"), "names an empty file"],
    [
      "a CA file without a certificate",
      () => file("ca-key", "-----BEGIN PRIVATE KEY-----\nMC4=\n-----END PRIVATE KEY-----\n"),
      "holds no PEM certificate (no -----BEGIN CERTIFICATE----- block)",
    ],
    [
      "a CA file with a broken certificate",
      () => file("ca-broken", `${CA_PEM}-----BEGIN CERTIFICATE-----\nnot base64 DER\n-----END CERTIFICATE-----\n`),
      "holds a CERTIFICATE block that is not a valid certificate (block 2 of 2)",
    ],
  ];
  for (const [what, makeFile, why] of caCases) {
    it(`rejects ${what} with an exact message`, () => {
      const value = makeFile();
      assert.equal(
        problemsOf({ ...REQUIRED, FOOBAR_DB_CA_FILE: value }),
        one(`FOOBAR_DB_CA_FILE=${JSON.stringify(value)} ${why}. ${CA_FIX}`),
      );
    });
  }

  it("rejects a password file holding only a newline", () => {
    const empty = file("empty", "\n");
    assert.equal(
      problemsOf({ ...REQUIRED, FOOBAR_DB_PASSWORD_FILE: empty }),
      one(`FOOBAR_DB_PASSWORD_FILE=${JSON.stringify(empty)} names an empty file. ${PASSWORD_FIX}`),
    );
  });

  it("does not leak the password into the error message", () => {
    assert.ok(!problemsOf({ ...REQUIRED, FOOBAR_PORT: "x" }).includes(PASSWORD));
  });
});
