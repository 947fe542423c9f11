// The renderers: whole files against golden copies, plus the rules each file must keep.
import assert from "node:assert/strict";
import * as yaml from "js-yaml";
import { APP_PASSWORD_PATH, appEnvironment } from "../../components/render/app";
import { haproxyCertBundle, renderHaproxyConfig, HaproxyConfigInput } from "../../components/render/haproxy";
import { renderMariadbConfig, renderPrimaryBootstrap, renderReplicaBootstrap } from "../../components/render/mariadb";
import { renderExporterClient } from "../../components/render/mysqldExporter";
import {
    PROMETHEUS_RULES_PATH,
    renderAlertRules,
    renderPrometheusConfig,
    renderPrometheusDefaults,
} from "../../components/render/prometheus";
import { assertSafeToken, lines, sqlString } from "../../components/render/text";
import {
    FAKE_APP_PASSWORD,
    FAKE_MONITOR_PASSWORD,
    FAKE_REPLICATION_PASSWORD,
    GOLDEN_FILES,
    assertGolden,
    devTopology,
    renderAll,
} from "./golden";
import { topologyOf } from "./topologyHelpers";

const rendered = renderAll(devTopology());
const linesOf = (text: string) => text.split("\n");

const HAPROXY_BASE: HaproxyConfigInput = {
    domain: "www.foobar.com",
    algorithm: "roundrobin",
    servers: [{ name: "server-1", address: "10.77.1.11", port: 80, backup: false }],
    healthCheck: { intervalMs: 1000, timeoutMs: 1000, fall: 2, rise: 2 },
    httpPort: 80,
    httpsPort: 443,
    publicHttpsPort: 8443,
    statsBind: "10.77.1.2:8404",
};

describe("renderers: golden files of the dev topology", () => {
    for (const name of GOLDEN_FILES) {
        it(name, () => assertGolden(name, rendered[name]));
    }
});

describe("haproxy.cfg", () => {
    const cfg = linesOf(rendered["haproxy.cfg"]);

    it("redirects HTTP to the configured domain on the published HTTPS port, never to the Host header", () => {
        const redirects = cfg.filter((l) => l.includes("http-request redirect"));
        assert.deepEqual(redirects, ["    http-request redirect prefix https://www.foobar.com:8443 code 301 unless { ssl_fc }"]);
        assert.ok(!rendered["haproxy.cfg"].includes("req.hdr(host)"), "nothing reads the Host header");
    });

    it('redirects to the domain without any port when the published port is 443 (never keeps ":80")', () => {
        const redirects = linesOf(renderHaproxyConfig({ ...HAPROXY_BASE, domain: "shop.example.org", publicHttpsPort: 443 })).filter((l) =>
            l.includes("http-request redirect"),
        );
        assert.deepEqual(redirects, ["    http-request redirect prefix https://shop.example.org code 301 unless { ssl_fc }"]);
    });

    it("follows Mozilla's intermediate profile: its curves, its ECDHE suites for ECDSA and RSA, its TLS 1.3 suites", () => {
        const global = cfg.slice(cfg.indexOf("global"), cfg.indexOf("defaults"));
        assert.deepEqual(
            global.filter((l) => l.startsWith("    ssl-")),
            [
                "    ssl-default-bind-options ssl-min-ver TLSv1.2 no-tls-tickets",
                "    ssl-default-bind-curves X25519:prime256v1:secp384r1",
                "    ssl-default-bind-ciphers ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305",
                "    ssl-default-bind-ciphersuites TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384:TLS_CHACHA20_POLY1305_SHA256",
            ],
        );
        // Every TLS 1.2 suite for an ECDSA certificate has its RSA twin; no DHE (it would need a dhparam file).
        const ciphers = (global.find((l) => l.startsWith("    ssl-default-bind-ciphers ")) ?? "").trim().split(" ")[1].split(":");
        assert.deepEqual(
            ciphers.filter((c) => c.startsWith("ECDHE-ECDSA-")).map((c) => c.replace("-ECDSA-", "-RSA-")),
            ciphers.filter((c) => c.startsWith("ECDHE-RSA-")),
        );
        assert.ok(
            ciphers.every((c) => c.startsWith("ECDHE-")),
            ciphers.join(":"),
        );
    });

    it("sets every security header after all other rules, on every response; HSTS (two years) over TLS only", () => {
        const www = cfg.slice(cfg.indexOf("frontend www"), cfg.indexOf("backend web"));
        assert.deepEqual(
            www.filter((l) => /^\s+http-(after-)?response /.test(l)),
            [
                '    http-after-response set-header Strict-Transport-Security "max-age=63072000" if { ssl_fc }',
                '    http-after-response set-header X-Content-Type-Options "nosniff"',
                '    http-after-response set-header Referrer-Policy "no-referrer"',
                `    http-after-response set-header Content-Security-Policy "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"`,
            ],
        );
        // The request id stays as it was.
        assert.ok(www.includes("    http-request set-header X-Request-Id %[uuid()]"));
    });

    it("replays failed requests on another server, and those to a server that died in silence after 2 s", () => {
        for (const line of ["    retries 3", "    option redispatch 1", "    retry-on all-retryable-errors", "    timeout server 2000ms"]) {
            assert.equal(cfg.filter((l) => l === line).length, 1, line);
        }
    });

    it("keeps every request's log line in a ring in memory, and sends only failed requests to stdout", () => {
        const global = cfg.slice(cfg.indexOf("global"), cfg.indexOf("defaults"));
        assert.deepEqual(
            global.filter((l) => l.trimStart().startsWith("log ")),
            ["    log ring@requests local0 info", "    log stdout format raw local0 err"],
        );
        assert.ok(cfg.includes("    option log-separate-errors"));
        const ring = cfg.slice(cfg.indexOf("ring requests"));
        assert.deepEqual(
            ring.slice(0, ring.indexOf("")).filter((l) => /^\s+(size|format) /.test(l)),
            ["    format raw", "    size 4194304"],
        );
        assert.ok(cfg.includes("    stats socket /run/haproxy/admin.sock mode 660 level admin"));
    });

    it("binds stats only to HAProxy's address on the monitoring network", () => {
        const binds = cfg.filter((l) => l.trimStart().startsWith("bind "));
        assert.deepEqual(binds, [
            "    bind :80",
            "    bind :443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1",
            "    bind 10.77.3.2:8404",
        ]);
        assert.equal(cfg[cfg.indexOf("frontend stats") + 1], "    bind 10.77.3.2:8404");
    });

    it("lists the web servers with the health check settings", () => {
        assert.deepEqual(
            cfg.filter((l) => l.startsWith("    server ") || l.startsWith("    default-server") || l.startsWith("    balance")),
            [
                "    balance roundrobin",
                "    default-server check inter 1000ms fastinter 250ms fall 2 rise 2 observe layer4 error-limit 1 on-error mark-down",
                "    server server-1 10.77.1.11:80",
                "    server server-2 10.77.1.12:80",
            ],
        );
    });

    it("marks backup servers and uses the chosen algorithm", () => {
        const text = renderHaproxyConfig({
            ...HAPROXY_BASE,
            algorithm: "leastconn",
            healthCheck: { intervalMs: 2000, timeoutMs: 500, fall: 3, rise: 4 },
            servers: [
                { name: "server-1", address: "10.77.1.11", port: 80, backup: false },
                { name: "server-2", address: "10.77.1.12", port: 80, backup: true },
            ],
        });
        const l = linesOf(text);
        assert.ok(l.includes("    balance leastconn"));
        assert.ok(l.includes("    timeout check 500ms"));
        assert.ok(
            l.includes(
                "    default-server check inter 2000ms fastinter 500ms fall 3 rise 4 observe layer4 error-limit 1 on-error mark-down",
            ),
        );
        assert.deepEqual(
            l.filter((x) => x.startsWith("    server ")),
            ["    server server-1 10.77.1.11:80", "    server server-2 10.77.1.12:80 backup"],
        );
    });

    it("refuses unsafe tokens instead of rendering them", () => {
        assert.throws(() => renderHaproxyConfig({ ...HAPROXY_BASE, domain: "x;y" }), {
            message: 'refusing to render domain "x;y": only letters, digits and . _ : % / - are allowed',
        });
        // "%" would open a log-format directive in the redirect.
        assert.throws(() => renderHaproxyConfig({ ...HAPROXY_BASE, domain: "www.%[req.hdr(host)].com" }), {
            message: 'refusing to render domain "www.%[req.hdr(host)].com": only letters, digits and . _ : % / - are allowed',
        });
        assert.throws(() => renderHaproxyConfig({ ...HAPROXY_BASE, domain: "www.a%25.com" }), {
            message: 'refusing to render domain "www.a%25.com": not a DNS name',
        });
        assert.throws(
            () => renderHaproxyConfig({ ...HAPROXY_BASE, servers: [{ name: "s 1", address: "10.0.0.1", port: 80, backup: false }] }),
            {
                message: 'refusing to render server name "s 1": only letters, digits and . _ : % / - are allowed',
            },
        );
    });

    it("bundles certificate and key in one PEM, each trimmed, newline-terminated", () => {
        assert.equal(haproxyCertBundle("CERT\n\n", "\nKEY\n"), "CERT\nKEY\n");
    });
});

describe("text helpers", () => {
    const REJECTED: ReadonlyArray<[string, string]> = [
        ["a b", 'refusing to render thing "a b": only letters, digits and . _ : % / - are allowed'],
        ["x;y", 'refusing to render thing "x;y": only letters, digits and . _ : % / - are allowed'],
        ["a\nb", 'refusing to render thing "a\\nb": only letters, digits and . _ : % / - are allowed'],
        ["", 'refusing to render thing "": only letters, digits and . _ : % / - are allowed'],
        ["a'b", `refusing to render thing "a'b": only letters, digits and . _ : % / - are allowed`],
        ["a{b}", 'refusing to render thing "a{b}": only letters, digits and . _ : % / - are allowed'],
    ];
    for (const [value, message] of REJECTED) {
        it(`assertSafeToken rejects ${JSON.stringify(value)}`, () => {
            assert.throws(() => assertSafeToken("thing", value), { message });
        });
    }

    it("assertSafeToken accepts plain tokens", () => {
        for (const ok of ["www.foobar.com", "10.77.2.%", "server-1", "a_b:c/d"]) assertSafeToken("thing", ok);
    });

    it("sqlString doubles quotes and escapes backslashes", () => {
        const CASES: ReadonlyArray<[string, string]> = [
            ["plain", "'plain'"],
            ["O'Brien", "'O''Brien'"],
            ["a\\b", "'a\\\\b'"],
            ["\\'", "'\\\\'''"],
            ["''", "''''''"],
        ];
        for (const [input, expected] of CASES) assert.equal(sqlString(input), expected, input);
    });

    it("lines ends with exactly one newline", () => {
        assert.equal(lines("a", "b"), "a\nb\n");
    });
});

describe("MariaDB files", () => {
    it("grants the app, the replicator and the exporters' monitor exactly what they need, from the data network only", () => {
        const grants = linesOf(rendered["primary-bootstrap.sql"]).filter((l) => l.startsWith("GRANT"));
        assert.deepEqual(grants, [
            "GRANT SELECT, INSERT ON foobar.visits TO 'app'@'10.77.2.%';",
            "GRANT SELECT, INSERT, UPDATE ON foobar.visit_totals TO 'app'@'10.77.2.%';",
            "GRANT REPLICATION SLAVE ON *.* TO 'replicator'@'10.77.2.%';",
            "GRANT PROCESS, BINLOG MONITOR, SLAVE MONITOR ON *.* TO 'foobar_monitor'@'10.77.2.%';",
        ]);
        const users = linesOf(rendered["primary-bootstrap.sql"]).filter((l) => /^(CREATE|ALTER) USER/.test(l));
        assert.deepEqual(users, [
            `CREATE USER IF NOT EXISTS 'app'@'10.77.2.%' IDENTIFIED BY '${FAKE_APP_PASSWORD}' REQUIRE SSL;`,
            `ALTER USER 'app'@'10.77.2.%' IDENTIFIED BY '${FAKE_APP_PASSWORD}' REQUIRE SSL;`,
            `CREATE USER IF NOT EXISTS 'replicator'@'10.77.2.%' IDENTIFIED BY '${FAKE_REPLICATION_PASSWORD}' REQUIRE SSL;`,
            `ALTER USER 'replicator'@'10.77.2.%' IDENTIFIED BY '${FAKE_REPLICATION_PASSWORD}' REQUIRE SSL;`,
            `CREATE USER IF NOT EXISTS 'foobar_monitor'@'10.77.2.%' IDENTIFIED BY '${FAKE_MONITOR_PASSWORD}' REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;`,
            `ALTER USER 'foobar_monitor'@'10.77.2.%' IDENTIFIED BY '${FAKE_MONITOR_PASSWORD}' REQUIRE SSL WITH MAX_USER_CONNECTIONS 3;`,
        ]);
    });

    it("makes replicas read-only GTID replicas that start replication from bootstrap", () => {
        const cnf = linesOf(rendered["mariadb-replica.cnf"]);
        // Applies what the primary group-committed together, in parallel: pages wait for the replica.
        for (const line of [
            "server_id = 101",
            "read_only = ON",
            "skip_slave_start = ON",
            "rpl_semi_sync_slave_enabled = ON",
            "slave_parallel_threads = 4",
        ]) {
            assert.ok(cnf.includes(line), line);
        }
        assert.deepEqual(linesOf(rendered["replica-bootstrap.sql"]).slice(2, 6), [
            "STOP SLAVE;",
            "-- Over TLS, verifying that the primary is the one its certificate names.",
            `CHANGE MASTER TO MASTER_HOST = '10.77.2.3', MASTER_PORT = 3306, MASTER_USER = 'replicator', MASTER_PASSWORD = '${FAKE_REPLICATION_PASSWORD}', MASTER_SSL = 1, MASTER_SSL_CA = '/etc/foobar/db-ca.pem', MASTER_SSL_VERIFY_SERVER_CERT = 1, MASTER_USE_GTID = slave_pos, MASTER_CONNECT_RETRY = 2;`,
            "START SLAVE;",
        ]);
        // Every server takes TLS connections only, with the stack's database CA.
        for (const line of [
            "ssl_ca = /etc/foobar/db-ca.pem",
            "ssl_cert = /etc/mysql/foobar/server-cert.pem",
            "ssl_key = /etc/mysql/foobar/server-key.pem",
            "require_secure_transport = ON",
        ]) {
            assert.ok(cnf.includes(line), line);
        }
    });

    it("makes the primary writable, semi-sync only when a replica exists", () => {
        const cnf = linesOf(rendered["mariadb-primary.cnf"]);
        for (const line of [
            "server_id = 1",
            "read_only = OFF",
            "rpl_semi_sync_master_enabled = ON",
            "rpl_semi_sync_master_timeout = 1000",
        ]) {
            assert.ok(cnf.includes(line), line);
        }
        assert.ok(!cnf.includes("skip_slave_start = ON"));
        // Durable and never held back to wait for other commits (the app batches its visits).
        assert.ok(cnf.includes("sync_binlog = 1") && cnf.includes("innodb_flush_log_at_trx_commit = 1"));
        assert.ok(!cnf.some((l) => l.startsWith("binlog_commit_wait")));
        const alone = linesOf(renderMariadbConfig({ role: "primary", serverId: 1, port: 3306, semiSync: false, semiSyncTimeoutMs: 1000 }));
        assert.ok(alone.includes("rpl_semi_sync_master_enabled = OFF"));
    });

    it("escapes passwords inside SQL literals", () => {
        const sql = linesOf(
            renderPrimaryBootstrap({
                database: "foobar",
                appUser: "app",
                appPassword: "a'b\\c",
                replicationUser: "replicator",
                replicationPassword: "r'",
                clientHost: "10.77.2.%",
            }),
        );
        assert.ok(sql.includes("ALTER USER 'app'@'10.77.2.%' IDENTIFIED BY 'a''b\\\\c' REQUIRE SSL;"), sql.join("\n"));
        assert.ok(sql.includes("ALTER USER 'replicator'@'10.77.2.%' IDENTIFIED BY 'r''' REQUIRE SSL;"), sql.join("\n"));
        const replica = renderReplicaBootstrap({
            primaryHost: "10.77.2.3",
            primaryPort: 3306,
            replicationUser: "replicator",
            replicationPassword: "r'",
        });
        assert.ok(replica.includes("MASTER_PASSWORD = 'r'''"), replica);
    });
});

describe("mysqld exporter files", () => {
    it("logs in to its own database over data and listens only on metrics, where Prometheus scrapes it", () => {
        // server-1's exporter: its replica is 10.77.2.31 on data; the exporter is 10.77.3.41 on metrics.
        assert.ok(linesOf(rendered["mysqld-exporter.cnf"]).includes("host=10.77.2.31"));
        assert.match(rendered["mysqld-exporter.defaults"], / --web\.listen-address=10\.77\.3\.41:9104 /m);
        // Without the default collectors nothing here reads; the rules' metrics (global_status, slave_status) stay.
        assert.match(
            rendered["mysqld-exporter.defaults"],
            / --no-collect\.info_schema\.innodb_cmp --no-collect\.info_schema\.innodb_cmpmem --no-collect\.info_schema\.query_response_time"$/m,
        );
    });

    it("refuses a password that could end the option file's quoting", () => {
        const input = { host: "10.77.2.31", port: 3306, user: "foobar_monitor", caFile: "/etc/foobar/db-ca.pem" };
        for (const password of ['a"b', "a\\b", "a\nb"]) {
            assert.throws(() => renderExporterClient({ ...input, password }), /refusing to render the exporter's password/, password);
        }
    });
});

describe("app environment", () => {
    it("names the password file, never a password", () => {
        const env = rendered["app.env"];
        assert.ok(!env.includes(FAKE_APP_PASSWORD) && !env.includes(FAKE_REPLICATION_PASSWORD));
        const keys = linesOf(env)
            .filter(Boolean)
            .map((l) => l.split("=")[0]);
        assert.deepEqual(
            keys.filter((k) => k.includes("PASSWORD")),
            ["FOOBAR_DB_PASSWORD_FILE"],
        );
        assert.ok(linesOf(env).includes(`FOOBAR_DB_PASSWORD_FILE=${APP_PASSWORD_PATH}`));
        assert.equal(APP_PASSWORD_PATH, "/etc/foobar/secrets/db-password");
    });

    it("tells the app which engine it talks to (RDS MySQL: test/unit/awsUserData.test.ts)", () => {
        assert.ok(linesOf(rendered["app.env"]).includes("FOOBAR_DB_FLAVOR=mariadb"));
    });

    it("leaves out the reader when the server has no replica to read", () => {
        const t = topologyOf({ database: { replicas: 0 } });
        const keys = linesOf(renderAll(t)["app.env"])
            .filter(Boolean)
            .map((l) => l.split("=")[0]);
        assert.deepEqual(keys, [
            "FOOBAR_SERVER_NAME",
            "FOOBAR_DOMAIN",
            "FOOBAR_LISTEN_HOST",
            "FOOBAR_PORT",
            "FOOBAR_DB_FLAVOR",
            "FOOBAR_DB_WRITER_HOST",
            "FOOBAR_DB_WRITER_PORT",
            "FOOBAR_METRICS_HOST",
            "FOOBAR_METRICS_PORT",
            "FOOBAR_DB_NAME",
            "FOOBAR_DB_USER",
            "FOOBAR_DB_PASSWORD_FILE",
            "FOOBAR_DB_CA_FILE",
        ]);
    });

    it("refuses a value that could break the environment", () => {
        const input = {
            serverName: "server-1",
            domain: "www.foobar.com",
            listenHost: "0.0.0.0",
            port: 3000,
            dbFlavor: "mariadb" as const,
            writerHost: "10.77.2.3",
            dbPort: 3306,
            database: "foobar",
            user: "app",
            caFile: "/etc/foobar/db-ca.pem",
        };
        assert.equal(appEnvironment(input).length, 11);
        assert.throws(() => appEnvironment({ ...input, writerHost: "10.77.2.3\nFOOBAR_DB_USER=root" }), {
            message: 'refusing to render FOOBAR_DB_WRITER_HOST="10.77.2.3\\nFOOBAR_DB_USER=root"',
        });
    });
});

describe("prometheus", () => {
    const config = yaml.load(rendered["prometheus.yml"]) as {
        global: Record<string, unknown>;
        rule_files: string[];
        scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const rulesOf = (text: string) =>
        (yaml.load(text) as { groups: Array<{ rules: Array<{ alert: string; expr: string; for: string }> }> }).groups[0].rules;

    it("scrapes HAProxy on its internal stats address, and reads the rules it is shipped with", () => {
        const haproxy = config.scrape_configs.find((j) => j.job_name === "haproxy");
        assert.deepEqual(haproxy?.static_configs[0].targets, ["10.77.3.2:8404"]);
        assert.ok(linesOf(rendered["haproxy.cfg"]).includes("    bind 10.77.3.2:8404"), "the target is HAProxy's stats bind");
        assert.deepEqual(config.rule_files, [PROMETHEUS_RULES_PATH]);
        // A target label named like one of HAProxy's own (proxy, server, state, code) would rename
        // HAProxy's away to exported_*: alerts would then name server-3 instead of the web server.
        const labels = (haproxy as unknown as { static_configs: Array<{ labels: Record<string, string> }> }).static_configs[0].labels;
        assert.deepEqual(labels, { host: "server-3" });
        assert.equal(config.global.scrape_interval, "5s");
    });

    it("alerts on what a visitor would notice, and waits two scrapes so one miss never pages", () => {
        const rules = rulesOf(rendered["prometheus-alerts.yml"]);
        assert.deepEqual(
            rules.map((r) => [r.alert, r.for]),
            [
                ["FoobarWebServerDown", "10s"],
                ["FoobarSiteDown", "5s"],
                ["FoobarLoadBalancerDown", "10s"],
                ["FoobarServerErrors", "2m"],
                ["FoobarPrimaryDatabaseDown", "10s"],
                ["FoobarReplicaDatabaseDown", "10s"],
                ["FoobarReplicationStopped", "10s"],
                ["FoobarReplicationLagging", "60s"],
                ["FoobarSemiSyncOff", "10s"],
                ["FoobarSlowResponses", "5m"],
                ["FoobarDiskAlmostFull", "10s"],
                ["FoobarMemoryPressure", "5m"],
                ["FoobarClockNotSynchronised", "10m"],
                ["FoobarClockSkew", "10m"],
                ["FoobarSiteUnreachable", "10s"],
                ["FoobarCertificateExpiresSoon", "10s"],
                ["FoobarNotificationsFailing", "5m"],
            ],
        );
        // The metric labels match the proxies haproxy.cfg declares.
        assert.ok(linesOf(rendered["haproxy.cfg"]).includes("frontend www"));
        assert.ok(linesOf(rendered["haproxy.cfg"]).includes("backend web"));
        assert.match(rules[0].expr, /proxy="web"/);
        assert.match(rules[3].expr, /proxy="www"/);
        // Without exporters (RDS), no database alerts.
        assert.deepEqual(
            rulesOf(renderAlertRules({ scrapeIntervalSeconds: 5, databases: false, semiSync: false, loadBalancers: 1 })).map(
                (r) => r.alert,
            ),
            ["FoobarWebServerDown", "FoobarSiteDown", "FoobarLoadBalancerDown", "FoobarServerErrors", "FoobarSlowResponses"],
        );
    });

    it("scrapes each database's exporter on the metrics network, labelled with its server and role", () => {
        const mysqld = config.scrape_configs.find((j) => j.job_name === "mysqld") as unknown as {
            static_configs: Array<{ targets: string[]; labels: Record<string, string> }>;
        };
        assert.deepEqual(mysqld.static_configs, [
            { targets: ["10.77.3.41:9104"], labels: { host: "server-1", role: "replica" } },
            { targets: ["10.77.3.42:9104"], labels: { host: "server-2", role: "replica" } },
            { targets: ["10.77.3.43:9104"], labels: { host: "server-3", role: "primary" } },
        ]);
        assert.deepEqual(
            config.scrape_configs.map((j) => j.job_name),
            ["haproxy", "mysqld", "app", "nginx", "node", "blackbox", "alertmanager", "prometheus"],
        );
    });

    it("keeps four samples in every rate() window at a slow scrape interval", () => {
        const slow = rulesOf(renderAlertRules({ scrapeIntervalSeconds: 60, databases: true, semiSync: true, loadBalancers: 1 }));
        assert.equal(slow[0].for, "120s");
        // The database alerts wait two scrapes too, the lag alert included (a minute is one scrape here).
        assert.deepEqual(
            slow.slice(4, 9).map((r) => [r.alert, r.for]),
            [
                ["FoobarPrimaryDatabaseDown", "120s"],
                ["FoobarReplicaDatabaseDown", "120s"],
                ["FoobarReplicationStopped", "120s"],
                ["FoobarReplicationLagging", "120s"],
                ["FoobarSemiSyncOff", "120s"],
            ],
        );
        assert.match(slow[3].expr, /\[240s\]/);
        assert.doesNotMatch(slow[3].expr, /\[60s\]/);
    });

    it("keeps its flags in Debian's /etc/default/prometheus form, retention included", () => {
        assert.equal(
            linesOf(renderPrometheusDefaults({ listenPort: 9090, retentionDays: 30 }))[1],
            'ARGS="--config.file=/etc/prometheus/prometheus.yml --storage.tsdb.path=/var/lib/prometheus/metrics2 --storage.tsdb.retention.time=30d --web.listen-address=:9090 --web.config.file=/etc/prometheus/web.yml"',
        );
    });

    it("refuses a scrape target that could break the file", () => {
        const input = {
            scrapeIntervalSeconds: 5,
            haproxyTargets: [{ target: "10.77.1.2:8404", host: "server-3" }],
            externalLabels: {},
            listenPort: 9090,
            databaseTargets: [],
            alertmanagers: ["10.77.3.7:9093"],
        };
        assert.throws(
            () => renderPrometheusConfig({ ...input, haproxyTargets: [{ target: "10.77.1.2:8404\n- evil", host: "server-3" }] }),
            /refusing to render/,
        );
        const evil = { target: "10.77.3.41:9104\n- evil", host: "server-1", role: "replica" } as const;
        assert.throws(() => renderPrometheusConfig({ ...input, databaseTargets: [evil] }), /refusing to render/);
        assert.throws(
            () => renderPrometheusConfig({ ...input, alertmanagers: ["10.77.3.7:9093\n- evil"] }),
            /refusing to render Alertmanager target/,
        );
    });
});
