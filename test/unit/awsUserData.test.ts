// What each EC2 instance boots with, on staging and prod (each with a pair of load balancers behind
// the NLB, lb.count 2): the files in its user data are exactly what the production wiring
// (renderService with the aws view) renders, with secrets as placeholders (a Galera node's configs
// and scripts without their comment lines); targeted asserts pin the addresses and values that
// wiring must produce. Staging's database is a Galera cluster (failover automatic); with GTID
// replication instead (failover manual): awsUserDataManual.test.ts.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { renderPrimaryBootstrap } from "../../components/render/mariadb";
import { secretPlaceholder, withoutComments } from "../../components/vm/cloudInit";
import { StackRun, findResource, unwrap } from "../helpers/pulumiMocks";
import {
    AWS_TYPES,
    CloudConfig,
    instance,
    manifestOf,
    runStack,
    sgRules,
    sitePem,
    uncommented,
    userData,
    wiring,
    writtenFile,
} from "./awsHelpers";
import { Outputs } from "./stackHelpers";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_DEFAULTS_PATH, PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { PROMETHEUS_NETRC_PATH, PROMETHEUS_PASSWORD_PATH, PROMETHEUS_WEB_CONFIG_PATH } from "../../components/render/prometheusAuth";

const REPO = path.join(__dirname, "..", "..");
const APP_PW = secretPlaceholder("db-app-password");
const MONITOR_PW = secretPlaceholder("db-monitor-password");
const EXPORTER_CNF = "/etc/foobar/mysqld-exporter.cnf";
const EXPORTER_DEFAULTS = "/etc/default/prometheus-mysqld-exporter";
const EXPORTER_FILES = [EXPORTER_CNF, EXPORTER_DEFAULTS];
const EXPORTER_RESTART = ["systemctl", "restart", "prometheus-mysqld-exporter"];
const HELPER = "/usr/local/sbin/foobar-secrets";
const MANIFEST = "/etc/foobar/secrets.json";
const MY_CNF = "/etc/mysql/mariadb.conf.d/90-foobar.cnf";
const BOOTSTRAP = "/etc/mysql/foobar/bootstrap.sql";
const DB_CA = "/etc/foobar/db-ca.pem";
const DB_CERT = "/etc/mysql/foobar/server-cert.pem";
const DB_KEY = "/etc/mysql/foobar/server-key.pem";
/** A MariaDB server's files: config, bootstrap, the database CA (shared with its exporter and app) and its own TLS pair. */
const MARIADB_FILES = [MY_CNF, BOOTSTRAP, DB_CA, DB_CERT, DB_KEY];
const RDS_CA_DOWNLOAD = [
    "curl",
    "-fsS",
    "--retry",
    "10",
    "--retry-all-errors",
    "-o",
    DB_CA,
    "https://truststore.pki.rds.amazonaws.com/eu-west-1/eu-west-1-bundle.pem",
];
/**
 * Where the boot finds its bundle's object in S3 (awsArtifacts.test.ts): on a web server the app bundle's
 * (the app's code and static assets ride there), where Prometheus runs the monitoring bundle's (its alert rules).
 */
const ARTIFACT = "/etc/foobar/artifact.json";
/** The node exporter, on every server: its flags, and it starts first (components/vm/boot.ts, START_ORDER). */
const NODE_EXPORTER_DEFAULTS = "/etc/default/prometheus-node-exporter";
const NODE_EXPORTER_RESTART = ["systemctl", "restart", "prometheus-node-exporter"];
/** Beside each nginx, started after it: its exporter, which reads nginx's stub_status. */
const NGINX_EXPORTER_DEFAULTS = "/etc/default/prometheus-nginx-exporter";
const WEB_FILES = [
    ARTIFACT,
    "/etc/foobar/secrets/db-password",
    "/etc/foobar/app.env",
    "/etc/systemd/system/foobar-app.service",
    "/etc/nginx/nginx.conf",
    NGINX_EXPORTER_DEFAULTS,
];
const APP_RUNCMD = [["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "foobar"], [HELPER]];
const WEB_COMMANDS = [
    // The app bundle, fetched and checked, before the app or nginx starts.
    [HELPER, "--artifact", ARTIFACT],
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", "foobar-app"],
    ["rm", "-f", "/etc/nginx/sites-enabled/default"],
    ["systemctl", "restart", "nginx"],
    ["systemctl", "restart", "prometheus-nginx-exporter"],
];
/** The Galera cluster's write address (components/platforms/aws/writeAddress.ts): the apps write there. */
const WRITE_IP = "100.127.255.254";
/** A Galera node's route hook's settings, the aws CLI's profile and its wrapper: first in its boot (writeAddress.ts). */
const WRITE_ROUTE_FILES = ["/etc/foobar/aws-write-route.env", "/etc/foobar/aws-write-route.cfg", "/usr/local/sbin/foobar-aws"];
const KEEPALIVED_CONF = "/etc/keepalived/keepalived.conf";
/** A Galera node's own, after MariaDB's (components/vm/galera.ts): keepalived's config, the start script's environment, the scripts, the units, the route hook. */
const GALERA_FILES = [
    KEEPALIVED_CONF,
    "/etc/foobar/galera.env",
    "/usr/local/bin/foobar-galera-check",
    "/usr/local/bin/foobar-galera-role",
    "/usr/local/sbin/foobar-galera-start",
    "/etc/systemd/system/foobar-galera.service",
    "/etc/systemd/system/keepalived.service.d/foobar-galera.conf",
    "/etc/foobar/galera-role.d/50-aws-write-route",
];
/** Once the data volume is in place: the node starts (foobar-galera decides how), then keepalived; never Debian's unit alone. */
const GALERA_COMMANDS = [
    ["systemctl", "daemon-reload"],
    ["systemctl", "disable", "mariadb"],
    ["systemctl", "enable", "--now", "foobar-galera"],
    ["systemctl", "enable", "keepalived"],
    ["systemctl", "restart", "keepalived"],
];
/** The data volume's script and MariaDB's drop-in (components/vm/dataVolume.ts), after MariaDB's own files. */
const VOLUME_FILES = ["/usr/local/sbin/foobar-data-volume", "/etc/systemd/system/mariadb.service.d/foobar-data-volume.conf"];
/** The data volume goes in place before MariaDB restarts: found by its EBS volume id (the mocks' id), or the attachment's device. */
const volumeCommand = (stack: string, server: string) => [
    "/usr/local/sbin/foobar-data-volume",
    "/srv/foobar-db",
    "/var/lib/mysql",
    "mysql",
    "mariadb",
    `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_foobar${stack}${server.replace("-", "")}dbid`,
    "/dev/sdf",
    "/dev/xvdf",
];
/** Last on a web server: once its services pass their health checks, it writes its instance id to its readiness parameter. */
const READY = "/etc/foobar/ready.json";
const READY_RUNCMD = [HELPER, "--ready", READY];
/** A pair's HAProxy: systemd stops it softly (components/vm/boot.ts), after a daemon-reload that reads the drop-in. */
const SOFT_STOP = "/etc/systemd/system/haproxy.service.d/foobar-soft-stop.conf";
const HAPROXY_FILES = ["/etc/haproxy/haproxy.cfg", "/etc/haproxy/certs/site.pem", SOFT_STOP];
const HAPROXY_RESTART = [
    ["systemctl", "daemon-reload"],
    ["systemctl", "restart", "haproxy"],
];

const lines = (text: string, prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix));

function configOf(run: StackRun<Outputs>, stack: string, server: string): CloudConfig {
    return userData(instance(run, `foobar-${stack}`, server)).config;
}

/**
 * The blackbox exporter beside each Prometheus, started after HAProxy (components/vm/boot.ts): its module,
 * its flags, and the site's certificate, its only trust anchor for the probe of the public URL.
 */
const BLACKBOX_SITE_PEM = "/etc/prometheus/blackbox-site.pem";
const BLACKBOX_FILES = ["/etc/prometheus/blackbox.yml", "/etc/default/prometheus-blackbox-exporter", BLACKBOX_SITE_PEM];
const BLACKBOX_RESTART = ["systemctl", "restart", "prometheus-blackbox-exporter"];
/** Alertmanager beside Prometheus, started before it (components/vm/boot.ts): its config and flags (no receiver configured here). */
const ALERTMANAGER_FILES = ["/etc/prometheus/alertmanager.yml", "/etc/default/prometheus-alertmanager"];
const ALERTMANAGER_RESTART = ["systemctl", "restart", "prometheus-alertmanager"];
/**
 * Prometheus's config and flags; its alert rules (PROMETHEUS_RULES_PATH) are no longer in user data but
 * in the monitoring bundle's object, fetched just before Prometheus starts (MONITORING_FETCH).
 */
const PROMETHEUS_FILES = [PROMETHEUS_CONFIG_PATH, PROMETHEUS_DEFAULTS_PATH];
const MONITORING_FETCH = [HELPER, "--artifact", ARTIFACT];
const PROMETHEUS_RESTART = ["systemctl", "restart", "prometheus"];
/** Prometheus's own secrets (prometheusAuth.ts): written 0600 until the boot helper fills them in, then its unit's. */
const PROMETHEUS_OWNERS = [
    { path: PROMETHEUS_WEB_CONFIG_PATH, owner: "prometheus", group: "prometheus", mode: "0400" },
    { path: PROMETHEUS_PASSWORD_PATH, owner: "prometheus", group: "prometheus", mode: "0400" },
    { path: PROMETHEUS_NETRC_PATH, owner: "root", group: "root", mode: "0400" },
];
const PROMETHEUS_SECRET_FILES = [PROMETHEUS_WEB_CONFIG_PATH, PROMETHEUS_PASSWORD_PATH, PROMETHEUS_NETRC_PATH];
const staging = wiring("staging");
const DATABASES = [
    ["server-3", "server-3-mariadb-primary", "10.20.0.10"],
    ["server-1", "server-1-mariadb-replica", "10.20.0.11"],
    ["server-2", "server-2-mariadb-replica", "10.20.1.12"],
] as const;

describe("aws user data: staging", () => {
    let run: StackRun<Outputs>;
    let s1: CloudConfig;
    let s2: CloudConfig;
    let s3: CloudConfig;
    let s4: CloudConfig;
    before(async () => {
        run = await runStack("staging");
        [s1, s2, s3, s4] = ["server-1", "server-2", "server-3", "server-4"].map((s) => configOf(run, "staging", s));
    });

    it("web servers: packages, files in order, commands in start order", () => {
        for (const [c, name] of [
            [s1, "server-1"],
            [s2, "server-2"],
        ] as const) {
            assert.equal(c.hostname, name);
            assert.deepEqual(c.packages, [
                // The route hook's aws CLI; curl: the health checks of nginx and the exporters, before the readiness write.
                "awscli",
                "curl",
                // Galera's provider, its state transfers (mariabackup streamed with socat), keepalived.
                "galera-4",
                "keepalived",
                "mariadb-backup",
                "mariadb-server",
                "nginx-light",
                "node-mysql",
                "nodejs",
                // The database's exporter, nginx's, and the node exporter every server runs.
                "prometheus-mysqld-exporter",
                "prometheus-nginx-exporter",
                "prometheus-node-exporter",
                "python3-botocore",
                // aws-vpc-move-ip: the write address's route.
                "resource-agents",
                "socat",
            ]);
            assert.deepEqual(
                c.write_files.map((f) => f.path),
                [
                    HELPER,
                    MANIFEST,
                    ...WRITE_ROUTE_FILES,
                    NODE_EXPORTER_DEFAULTS,
                    ...MARIADB_FILES,
                    ...GALERA_FILES,
                    ...VOLUME_FILES,
                    ...EXPORTER_FILES,
                    ...WEB_FILES,
                    READY,
                ],
            );
            assert.deepEqual(c.runcmd, [
                ...APP_RUNCMD,
                NODE_EXPORTER_RESTART,
                volumeCommand("staging", name),
                ...GALERA_COMMANDS,
                EXPORTER_RESTART,
                ...WEB_COMMANDS,
                READY_RUNCMD,
            ]);
        }
    });

    it("server-3: HAProxy, the cluster's bootstrap node (the primary), its exporter and Prometheus; it says when it serves (the pair's readiness gate)", () => {
        assert.deepEqual(s3.packages, [
            "awscli",
            "curl",
            "galera-4",
            "haproxy",
            "keepalived",
            "mariadb-backup",
            "mariadb-server",
            "prometheus",
            "prometheus-alertmanager",
            "prometheus-blackbox-exporter",
            "prometheus-mysqld-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
            "resource-agents",
            "socat",
        ]);
        // The monitoring bundle's location (ARTIFACT) just before Prometheus's files, and its fetch just before Prometheus starts.
        assert.deepEqual(
            s3.write_files.map((f) => f.path),
            [
                HELPER,
                MANIFEST,
                ...WRITE_ROUTE_FILES,
                NODE_EXPORTER_DEFAULTS,
                ...MARIADB_FILES,
                ...GALERA_FILES,
                ...VOLUME_FILES,
                ...EXPORTER_FILES,
                ...HAPROXY_FILES,
                ...BLACKBOX_FILES,
                ...ALERTMANAGER_FILES,
                ARTIFACT,
                ...PROMETHEUS_FILES,
                ...PROMETHEUS_SECRET_FILES,
                READY,
            ],
        );
        assert.deepEqual(s3.runcmd, [
            [HELPER],
            NODE_EXPORTER_RESTART,
            volumeCommand("staging", "server-3"),
            ...GALERA_COMMANDS,
            EXPORTER_RESTART,
            ...HAPROXY_RESTART,
            BLACKBOX_RESTART,
            ALERTMANAGER_RESTART,
            MONITORING_FETCH,
            PROMETHEUS_RESTART,
            READY_RUNCMD,
        ]);
    });

    it("server-4: HAProxy and Prometheus only: no database, no database exporter, no app", () => {
        assert.equal(s4.hostname, "server-4");
        // Besides them: the node exporter every server runs, and the blackbox exporter beside Prometheus.
        assert.deepEqual(s4.packages, [
            "curl",
            "haproxy",
            "prometheus",
            "prometheus-alertmanager",
            "prometheus-blackbox-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
            "socat",
        ]);
        assert.deepEqual(
            s4.write_files.map((f) => f.path),
            [
                HELPER,
                MANIFEST,
                NODE_EXPORTER_DEFAULTS,
                ...HAPROXY_FILES,
                ...BLACKBOX_FILES,
                ...ALERTMANAGER_FILES,
                ARTIFACT,
                ...PROMETHEUS_FILES,
                ...PROMETHEUS_SECRET_FILES,
                READY,
            ],
        );
        assert.deepEqual(s4.runcmd, [
            [HELPER],
            NODE_EXPORTER_RESTART,
            ...HAPROXY_RESTART,
            BLACKBOX_RESTART,
            ALERTMANAGER_RESTART,
            MONITORING_FETCH,
            PROMETHEUS_RESTART,
            READY_RUNCMD,
        ]);
        assert.deepEqual(manifestOf(s4), {
            region: "eu-west-1",
            parameters: Object.fromEntries(
                ["prometheus-password", "prometheus-password-hash", "tls-private-key"].map((k) => [k, `/foobar/staging/${k}`]),
            ),
            files: [{ path: "/etc/haproxy/certs/site.pem", owner: "root", group: "haproxy", mode: "0640" }, ...PROMETHEUS_OWNERS],
        });
        for (const file of PROMETHEUS_FILES) assert.equal(writtenFile(s4, file), staging.file("server-4-prometheus", file), file);
        // Without its comment lines: EC2's 16 KiB of user data (components/platforms/aws/boot.ts).
        const rendered = staging.file("server-4-haproxy", "/etc/haproxy/haproxy.cfg");
        assert.equal(writtenFile(s4, "/etc/haproxy/haproxy.cfg"), withoutComments(rendered));
        assert.ok(rendered.length - withoutComments(rendered).length > 300, "the render has its comments");
    });

    it("Prometheus on each load balancer scrapes both HAProxies on the private addresses their stats bind to and each exporter where it listens, with the docker platform's rules and flags", () => {
        for (const file of PROMETHEUS_FILES) assert.equal(writtenFile(s3, file), staging.file("server-3-prometheus", file), file);
        for (const file of PROMETHEUS_FILES) assert.equal(writtenFile(s4, file), staging.file("server-4-prometheus", file), file);
        interface Job {
            job_name: string;
            metrics_path?: string;
            params?: Record<string, string[]>;
            static_configs: Array<{ targets: string[]; labels?: Record<string, string> }>;
            relabel_configs?: Array<Record<string, unknown>>;
        }
        const [c3, c4] = [s3, s4].map((c) => yaml.load(writtenFile(c, PROMETHEUS_CONFIG_PATH)) as { scrape_configs: Job[] });
        // Both load balancers' Prometheus servers scrape the same targets: one config and the same flags, but
        // that each probes the public URL through the blackbox exporter beside it (below).
        const withoutProbe = (c: { scrape_configs: Job[] }) => ({
            ...c,
            scrape_configs: c.scrape_configs.filter((j) => j.job_name !== "blackbox"),
        });
        assert.deepEqual(withoutProbe(c4), withoutProbe(c3));
        assert.equal(writtenFile(s4, PROMETHEUS_DEFAULTS_PATH), writtenFile(s3, PROMETHEUS_DEFAULTS_PATH));
        assert.deepEqual(
            c3.scrape_configs.map((j) => j.job_name),
            ["haproxy", "mysqld", "app", "nginx", "node", "blackbox", "alertmanager", "prometheus"],
        );
        const targets = (job: string) => c3.scrape_configs.find((c) => c.job_name === job)?.static_configs;
        assert.deepEqual(targets("haproxy"), [
            { targets: ["10.20.0.10:8404"], labels: { host: "server-3" } },
            { targets: ["10.20.1.10:8404"], labels: { host: "server-4" } },
        ]);
        // The Galera nodes are alike and the writer moves: each is a "node", none primary or replica.
        assert.deepEqual(targets("mysqld"), [
            { targets: ["10.20.0.11:9104"], labels: { host: "server-1", role: "node" } },
            { targets: ["10.20.1.12:9104"], labels: { host: "server-2", role: "node" } },
            // Beside server-3's Prometheus, but server-4's scrapes it too: on the private address (the lb -> db 9104 rule).
            { targets: ["10.20.0.10:9104"], labels: { host: "server-3", role: "node" } },
        ]);
        // Each app's own metrics and each nginx exporter, on its web server's private address (the lb -> web 9301 and 9113 rules).
        assert.deepEqual(targets("app"), [
            { targets: ["10.20.0.11:9301"], labels: { host: "server-1" } },
            { targets: ["10.20.1.12:9301"], labels: { host: "server-2" } },
        ]);
        assert.deepEqual(targets("nginx"), [
            { targets: ["10.20.0.11:9113"], labels: { host: "server-1" } },
            { targets: ["10.20.1.12:9113"], labels: { host: "server-2" } },
        ]);
        // Every server's node exporter, the load balancers' too: both Prometheus scrape each (the lb -> host 9100 rule).
        assert.deepEqual(targets("node"), [
            { targets: ["10.20.0.11:9100"], labels: { host: "server-1" } },
            { targets: ["10.20.1.12:9100"], labels: { host: "server-2" } },
            { targets: ["10.20.0.10:9100"], labels: { host: "server-3" } },
            { targets: ["10.20.1.10:9100"], labels: { host: "server-4" } },
        ]);
        // Both Alertmanagers, where the alerts go (the lb -> lb 9093 rule).
        assert.deepEqual(targets("alertmanager"), [{ targets: ["10.20.0.10:9093", "10.20.1.10:9093"] }]);
        // The public URL, through the blackbox exporter beside this Prometheus, on loopback: labelled with its own server.
        for (const [c, host] of [
            [c3, "server-3"],
            [c4, "server-4"],
        ] as const) {
            const probe = c.scrape_configs.find((j) => j.job_name === "blackbox");
            assert.deepEqual(
                [probe?.metrics_path, probe?.params, probe?.static_configs, probe?.relabel_configs?.at(-1)],
                [
                    "/probe",
                    { module: ["foobar_https"] },
                    [{ targets: ["https://www.foobar.com/healthz"], labels: { host } }],
                    { target_label: "__address__", replacement: "127.0.0.1:9115" },
                ],
                host,
            );
        }
        // The docker platform's rules and flags: the same renderers, the same settings (the cluster's rules, not replication's).
        // The rules ride in the monitoring bundle's object, not in user data (EC2's 16 KiB): one for both load balancers.
        for (const c of [s1, s2, s3, s4]) assert.ok(!c.write_files.some((f) => f.path === PROMETHEUS_RULES_PATH), c.hostname);
        const rules = staging.file("server-3-prometheus", PROMETHEUS_RULES_PATH);
        assert.equal(staging.file("server-4-prometheus", PROMETHEUS_RULES_PATH), rules);
        const bundle = findResource(run.resources, AWS_TYPES.bucketObject, "foobar-staging-monitoring-bundle");
        assert.deepEqual(JSON.parse(bundle.inputs.content).files, [{ path: PROMETHEUS_RULES_PATH, content: rules, mode: "0644" }]);
        assert.ok(rules.includes("alert: FoobarDatabaseNoWriter") && !rules.includes("alert: FoobarReplicationLagging"));
        // With node exporters and a probe of the public URL: the hosts' rules and the probe's.
        for (const alert of ["FoobarDiskAlmostFull", "FoobarSiteUnreachable", "FoobarCertificateExpiresSoon"])
            assert.ok(rules.includes(`alert: ${alert}`), alert);
        assert.ok(writtenFile(s3, PROMETHEUS_DEFAULTS_PATH).includes("--storage.tsdb.retention.time=15d"));
    });

    it("haproxy.cfg on each load balancer balances over the web servers' private addresses; PROXY protocol from the NLB, its health frontend on 8405, stats on the private address", () => {
        for (const [c, ip] of [
            [s3, "10.20.0.10"],
            [s4, "10.20.1.10"],
        ] as const) {
            const cfg = writtenFile(c, "/etc/haproxy/haproxy.cfg");
            assert.equal(cfg, withoutComments(staging.file(`${c.hostname}-haproxy`, "/etc/haproxy/haproxy.cfg")));
            assert.deepEqual(lines(cfg, "    balance "), ["    balance roundrobin"]);
            assert.deepEqual(lines(cfg, "    server "), ["    server server-1 10.20.0.11:80", "    server server-2 10.20.1.12:80"]);
            assert.deepEqual(lines(cfg, "    bind "), [
                "    bind :80 accept-proxy",
                "    bind :443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1 accept-proxy",
                `    bind ${ip}:8404`,
                "    bind :8405 accept-proxy",
            ]);
            // The NLB's health check: 503 from the moment HAProxy begins to stop, which it does 12 s after its stop signal.
            assert.deepEqual(lines(cfg, "    grace ").concat(lines(cfg, "    monitor")), [
                "    grace 12000ms",
                "    monitor-uri /healthz",
                "    monitor fail if { stopping }",
            ]);
            assert.equal(writtenFile(c, "/etc/haproxy/certs/site.pem"), `${sitePem("staging")}${secretPlaceholder("tls-private-key")}\n`);
            // Debian's unit would stop it with SIGTERM, at once: a soft stop serves through the 12 s grace, then 20 s to finish.
            assert.equal(
                writtenFile(c, SOFT_STOP),
                "# Rendered by foobar-infra (components/vm/boot.ts).\n# A soft stop: HAProxy serves through its grace time while the front moves clients away.\n[Service]\nKillSignal=SIGUSR1\nTimeoutStopSec=32\n",
            );
        }
    });

    it("nginx proxies to the app on loopback; the app listens on loopback and writes to the write address; its metrics on the private address, nginx's status for its exporter only", () => {
        for (const [c, name, ip] of [
            [s1, "server-1", "10.20.0.11"],
            [s2, "server-2", "10.20.1.12"],
        ] as const) {
            const conf = writtenFile(c, "/etc/nginx/nginx.conf");
            assert.equal(conf, staging.file(`${name}-nginx`, "/etc/nginx/nginx.conf"));
            assert.deepEqual(lines(conf, "        server 127.0.0.1"), ["        server 127.0.0.1:3000 max_fails=0;"]);
            // The site, and a server of its own for stub_status on 8081, which lets in only the nginx exporter
            // beside it (over loopback: no security group rule opens 8081).
            assert.deepEqual(lines(conf, "        listen "), ["        listen 80 default_server;", "        listen 8081;"]);
            assert.deepEqual(lines(conf, "        allow ").concat(lines(conf, "        deny ")), [
                "        allow 127.0.0.1;",
                "        deny all;",
            ]);
            // Reads go to the server's own replica, at the instance's private address: MariaDB users accept the VPC range only.
            const env = writtenFile(c, "/etc/foobar/app.env");
            assert.equal(env, staging.env(`${name}-app`));
            // Galera: causal reads on the local node; writes wherever keepalived put the write address.
            assert.deepEqual(lines(env, "FOOBAR_DB_"), [
                "FOOBAR_DB_FLAVOR=galera",
                `FOOBAR_DB_WRITER_HOST=${WRITE_IP}`,
                "FOOBAR_DB_WRITER_PORT=3306",
                `FOOBAR_DB_READER_HOST=${ip}`,
                "FOOBAR_DB_READER_PORT=3306",
                "FOOBAR_DB_NAME=foobar",
                "FOOBAR_DB_USER=app",
                "FOOBAR_DB_PASSWORD_FILE=/etc/foobar/secrets/db-password",
                "FOOBAR_DB_CA_FILE=/etc/foobar/db-ca.pem",
            ]);
            assert.ok(lines(writtenFile(c, "/etc/foobar/app.env"), "FOOBAR_").includes("FOOBAR_LISTEN_HOST=127.0.0.1"));
            // Its own /metrics on the instance's private address, where the load balancers' Prometheus scrapes it
            // (the lb -> web 9301 rule): after the reader's lines, before the database's name.
            const all = lines(env, "FOOBAR_");
            assert.deepEqual(all.slice(all.indexOf("FOOBAR_DB_READER_PORT=3306") + 1, all.indexOf("FOOBAR_DB_NAME=foobar")), [
                `FOOBAR_METRICS_HOST=${ip}`,
                "FOOBAR_METRICS_PORT=9301",
            ]);
            assert.equal(writtenFile(c, "/etc/foobar/secrets/db-password"), APP_PW);
        }
    });

    it("the app reads from its own instance's private address, which is loopback traffic: no new security group rule", async () => {
        for (const [c, name] of [
            [s1, "server-1"],
            [s2, "server-2"],
        ] as const) {
            const ip = instance(run, "foobar-staging", name).inputs.privateIp;
            assert.deepEqual(lines(writtenFile(c, "/etc/foobar/app.env"), "FOOBAR_DB_READER_HOST="), [`FOOBAR_DB_READER_HOST=${ip}`], name);
            // That address is the replica on the same instance, listening on every address.
            assert.ok((await unwrap(run.outputs.databaseReaderEndpoints)).includes(`${ip}:3306`), name);
            assert.ok(writtenFile(c, MY_CNF).split("\n").includes("bind_address = 0.0.0.0"), name);
        }
        // The kernel keeps traffic to an instance's own address on the instance: the rules are exactly
        // the cross-instance flows', unchanged, and the apps' 3306 rules are for their writes only
        // (9104 is Prometheus on the load balancers scraping the exporters; 9093 and 9094 the two
        // Alertmanagers' (alerts from both Prometheus, gossip over TCP and UDP); 80, 443 and 8405 come from
        // the NLB's subnets; 8404 is each load balancer's Prometheus scraping the other's HAProxy;
        // 4444, 4567, 4568 and VRRP are the Galera cluster's, between its nodes; 9301 and 9113 are the
        // load balancers' Prometheus scraping the apps' own metrics and the nginx exporters, 9100 every
        // other instance's node exporter (group host). The blackbox exporters' probe of the public URL
        // goes out through host's 443, which names it, and comes back through the NLB: no rule of its own).
        assert.deepEqual(sgRules(run, "foobar-staging"), [
            "egress db 4444 sg:db",
            "egress db 4567 sg:db",
            "egress db 4568 sg:db",
            "egress db vrrp sg:db",
            "egress host 443 0.0.0.0/0",
            "egress host 80 0.0.0.0/0",
            "egress lb 80 sg:web",
            "egress lb 8404 sg:lb",
            "egress lb 9093 sg:lb",
            "egress lb 9094 sg:lb",
            "egress lb 9100 sg:host",
            "egress lb 9104 sg:db",
            "egress lb 9113 sg:web",
            "egress lb 9301 sg:web",
            "egress lb udp/9094 sg:lb",
            `egress web 3306 ${WRITE_IP}/32`,
            "egress web 3306 sg:db",
            "ingress db 3306 sg:web",
            "ingress db 4444 sg:db",
            "ingress db 4567 sg:db",
            "ingress db 4568 sg:db",
            "ingress db 9104 sg:lb",
            "ingress db vrrp sg:db",
            "ingress host 9100 sg:lb",
            "ingress lb 443 10.20.0.0/24",
            "ingress lb 443 10.20.1.0/24",
            "ingress lb 80 10.20.0.0/24",
            "ingress lb 80 10.20.1.0/24",
            "ingress lb 8404 sg:lb",
            "ingress lb 8405 10.20.0.0/24",
            "ingress lb 8405 10.20.1.0/24",
            "ingress lb 9093 sg:lb",
            "ingress lb 9094 sg:lb",
            "ingress lb udp/9094 sg:lb",
            "ingress web 80 sg:lb",
            "ingress web 9113 sg:lb",
            "ingress web 9301 sg:lb",
        ]);
        const description = (type: typeof AWS_TYPES.ingress | typeof AWS_TYPES.egress, name: string) =>
            findResource(run.resources, type, `foobar-staging-${name}`).inputs.description;
        assert.equal(description(AWS_TYPES.ingress, "db-ingress-3306-web"), "writes through the write address, wherever it is");
        assert.equal(description(AWS_TYPES.egress, "web-egress-3306-db"), "writes through the write address, wherever it is");
        assert.equal(description(AWS_TYPES.egress, "web-egress-3306-100-127-255-254-32"), "writes to the write address");
        assert.equal(
            description(AWS_TYPES.egress, "host-egress-443-0-0-0-0-0"),
            "SSM, the AWS APIs and the Debian security archive; the probe of the public URL",
        );
        for (const [port, purpose, group] of [
            [9301, "app metrics scrapes", "web"],
            [9113, "nginx metrics scrapes", "web"],
            [9100, "host metrics scrapes", "host"],
        ] as const) {
            assert.equal(description(AWS_TYPES.ingress, `${group}-ingress-${port}-lb`), purpose);
            assert.equal(description(AWS_TYPES.egress, `lb-egress-${port}-${group}`), purpose);
        }
    });

    it("MariaDB: each node's config, keepalived and bootstrap; one Galera cluster of the three, read_only until elected", () => {
        for (const [server, key] of DATABASES) {
            const c = configOf(run, "staging", server);
            // The configs and the SQL without their comment lines (components/vm/galera.ts).
            assert.equal(writtenFile(c, MY_CNF), uncommented(staging.file(key, MY_CNF)), key);
            assert.equal(writtenFile(c, KEEPALIVED_CONF), uncommented(staging.file(key, KEEPALIVED_CONF)), key);
            assert.equal(writtenFile(c, BOOTSTRAP), uncommented(staging.file(key, BOOTSTRAP), "--"), key);
        }
        assert.deepEqual(
            [s3, s1, s2].map((c) => lines(writtenFile(c, MY_CNF), "server_id")),
            [["server_id = 1"], ["server_id = 101"], ["server_id = 102"]],
        );
        // One cluster of the three private addresses; every node is read_only until keepalived elects it; no semi-sync.
        const WANTED = /^wsrep_(on|cluster_address|node_address|node_name|sst_method) /;
        for (const [server, , ip] of DATABASES) {
            const cnf = writtenFile(configOf(run, "staging", server), MY_CNF);
            assert.deepEqual(
                lines(cnf, "wsrep_").filter((l) => WANTED.test(l)),
                [
                    "wsrep_on = ON",
                    "wsrep_cluster_address = gcomm://10.20.0.10,10.20.0.11,10.20.1.12",
                    `wsrep_node_address = ${ip}`,
                    `wsrep_node_name = ${server}`,
                    "wsrep_sst_method = mariabackup",
                ],
                server,
            );
            assert.deepEqual(lines(cnf, "read_only").concat(lines(cnf, "rpl_semi_sync")), ["read_only = ON"], server);
        }
        // The users accept the VPC range, the app the write address too (the app beside its holder
        // connects from it); their passwords are placeholders the boot helper fills in.
        const sql = writtenFile(s3, BOOTSTRAP);
        for (const user of [
            `'app'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${APP_PW}'`,
            `'app'@'${WRITE_IP}' IDENTIFIED BY '${APP_PW}'`,
            `'foobar_monitor'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${MONITOR_PW}'`,
        ]) {
            assert.ok(sql.includes(`CREATE USER IF NOT EXISTS ${user}`), user);
        }
        // Every node applies the same statements once synced: no replicator, no replication to set up.
        for (const c of [s1, s2]) assert.equal(writtenFile(c, BOOTSTRAP), sql, c.hostname);
        assert.ok(!/replicator|MASTER/.test(sql), sql);
    });

    it("each exporter logs in to its own database on the private address and listens where Prometheus scrapes it", () => {
        for (const [c, address, listen] of [
            [s1, "10.20.0.11", "10.20.0.11"],
            [s2, "10.20.1.12", "10.20.1.12"],
            // Scraped by both load balancers' Prometheus: on the private address, not loopback.
            [s3, "10.20.0.10", "10.20.0.10"],
        ] as const) {
            const key = `${c.hostname}-mysqld-exporter`;
            const login = writtenFile(c, EXPORTER_CNF);
            assert.equal(login, staging.file(key, EXPORTER_CNF));
            assert.deepEqual(lines(login, "host="), [`host=${address}`]);
            assert.deepEqual(lines(login, "password="), [`password="${MONITOR_PW}"`]);
            assert.equal(writtenFile(c, EXPORTER_DEFAULTS), staging.file(key, EXPORTER_DEFAULTS));
            assert.ok(writtenFile(c, EXPORTER_DEFAULTS).includes(`--web.listen-address=${listen}:9104`));
        }
    });

    it("the node, nginx and blackbox exporters listen where their Prometheus scrapes them; the probe trusts the site's certificate alone", () => {
        // A node exporter on every server, on the private address: both load balancers' Prometheus scrape each.
        for (const [c, ip] of [
            [s1, "10.20.0.11"],
            [s2, "10.20.1.12"],
            [s3, "10.20.0.10"],
            [s4, "10.20.1.10"],
        ] as const) {
            const flags = writtenFile(c, NODE_EXPORTER_DEFAULTS);
            assert.equal(flags, staging.file(`${c.hostname}-node-exporter`, NODE_EXPORTER_DEFAULTS), c.hostname);
            assert.ok(flags.includes(`--web.listen-address=${ip}:9100 `), flags);
        }
        // An nginx exporter beside each nginx: it reads the stub_status on loopback, and listens on the private address.
        for (const [c, ip] of [
            [s1, "10.20.0.11"],
            [s2, "10.20.1.12"],
        ] as const) {
            const flags = writtenFile(c, NGINX_EXPORTER_DEFAULTS);
            assert.equal(flags, staging.file(`${c.hostname}-nginx-exporter`, NGINX_EXPORTER_DEFAULTS), c.hostname);
            assert.ok(flags.includes(`ARGS="-nginx.scrape-uri=http://127.0.0.1:8081/stub_status -web.listen-address=${ip}:9113"`), flags);
        }
        // A blackbox exporter beside each Prometheus, which alone asks it: on loopback. Its only trust anchor
        // is the site's certificate: public, it rides in user data as it is (no placeholder, readable by all).
        for (const c of [s3, s4]) {
            const key = `${c.hostname}-blackbox-exporter`;
            for (const file of BLACKBOX_FILES) assert.equal(writtenFile(c, file), staging.file(key, file), `${key} ${file}`);
            assert.ok(writtenFile(c, BLACKBOX_FILES[1]).includes("--web.listen-address=127.0.0.1:9115"), c.hostname);
            assert.ok(writtenFile(c, BLACKBOX_FILES[0]).includes(`ca_file: ${BLACKBOX_SITE_PEM}`), c.hostname);
            assert.equal(writtenFile(c, BLACKBOX_SITE_PEM), sitePem("staging"), c.hostname);
            assert.equal(c.write_files.find((f) => f.path === BLACKBOX_SITE_PEM)?.permissions, "0644", c.hostname);
            assert.ok(!manifestOf(c).files.some((f) => f.path === BLACKBOX_SITE_PEM), c.hostname);
        }
    });

    it("installs the boot helper and a Galera node's scripts as in the repository, without comments; the app comes from S3", () => {
        // Nothing of the app's code or static assets rides in user data (awsArtifacts.test.ts checks the object),
        // nor Prometheus's alert rules (the monitoring bundle's object: the test of Prometheus above).
        for (const c of [s1, s2, s3, s4])
            assert.ok(!c.write_files.some((f) => /^\/(opt\/foobar-app|srv\/foobar)\//.test(f.path)), c.hostname);
        // The helper's code as in the repository; its comment lines stay there (user data is limited to 16 KiB).
        const helper = fs.readFileSync(path.join(REPO, "components/platforms/aws/files/foobar-secrets.py"), "utf8").split("\n");
        assert.equal(writtenFile(s3, HELPER), helper.filter((l, i) => i === 0 || !/^\s*#/.test(l)).join("\n"));
        assert.ok(writtenFile(s3, HELPER).startsWith("#!/usr/bin/python3\n") && helper.filter((l) => /^\s*#/.test(l)).length > 20);
        // A Galera node's scripts ship without their comments too (components/vm/galera.ts); with
        // failover manual the data volume's ships whole (awsUserDataManual.test.ts).
        for (const [file, source] of [
            [VOLUME_FILES[0], "components/vm/files/foobar-data-volume.sh"],
            ["/usr/local/sbin/foobar-galera-start", "components/vm/files/foobar-galera-start.sh"],
            ["/etc/foobar/galera-role.d/50-aws-write-route", "components/platforms/aws/files/foobar-aws-write-route.sh"],
        ]) {
            const script = fs.readFileSync(path.join(REPO, source), "utf8");
            assert.equal(writtenFile(s3, file), uncommented(script), file);
            assert.ok(script.length - uncommented(script).length > 500, `${source} has its comments in the repository`);
        }
        assert.deepEqual(
            s3.write_files.map((f) => [f.path, f.permissions]),
            [
                [HELPER, "0755"],
                [MANIFEST, "0600"],
                [WRITE_ROUTE_FILES[0], "0644"],
                [WRITE_ROUTE_FILES[1], "0644"],
                [WRITE_ROUTE_FILES[2], "0755"],
                [NODE_EXPORTER_DEFAULTS, "0644"],
                [MY_CNF, "0644"],
                [BOOTSTRAP, "0600"],
                // Certificates are public; the server's key waits for the boot helper.
                [DB_CA, "0644"],
                [DB_CERT, "0644"],
                [DB_KEY, "0600"],
                // The Galera node's config, environment, scripts, units and route hook.
                [KEEPALIVED_CONF, "0644"],
                ["/etc/foobar/galera.env", "0644"],
                ["/usr/local/bin/foobar-galera-check", "0755"],
                ["/usr/local/bin/foobar-galera-role", "0755"],
                ["/usr/local/sbin/foobar-galera-start", "0755"],
                ["/etc/systemd/system/foobar-galera.service", "0644"],
                ["/etc/systemd/system/keepalived.service.d/foobar-galera.conf", "0644"],
                ["/etc/foobar/galera-role.d/50-aws-write-route", "0755"],
                [VOLUME_FILES[0], "0755"],
                [VOLUME_FILES[1], "0644"],
                [EXPORTER_CNF, "0600"],
                [EXPORTER_DEFAULTS, "0644"],
                ["/etc/haproxy/haproxy.cfg", "0644"],
                ["/etc/haproxy/certs/site.pem", "0600"],
                [SOFT_STOP, "0644"],
                // The blackbox exporter's: its site certificate is public, as the other certificates.
                ...BLACKBOX_FILES.map((f) => [f, "0644"]),
                ...ALERTMANAGER_FILES.map((f) => [f, "0644"]),
                // Where the monitoring bundle is (its alert rules come from S3), then Prometheus's config and flags.
                [ARTIFACT, "0644"],
                ...PROMETHEUS_FILES.map((f) => [f, "0644"]),
                ...PROMETHEUS_SECRET_FILES.map((f) => [f, "0600"]),
                [READY, "0644"],
            ],
        );
    });

    it("hands each secret-bearing file to its owner", () => {
        const exporter = { path: EXPORTER_CNF, owner: "prometheus", group: "prometheus", mode: "0400" };
        assert.deepEqual(manifestOf(s1).files, [
            { path: BOOTSTRAP, owner: "mysql", group: "mysql", mode: "0400" },
            { path: DB_KEY, owner: "mysql", group: "mysql", mode: "0400" },
            exporter,
            { path: "/etc/foobar/secrets/db-password", owner: "foobar", group: "foobar", mode: "0400" },
        ]);
        assert.deepEqual(manifestOf(s3).files, [
            { path: BOOTSTRAP, owner: "mysql", group: "mysql", mode: "0400" },
            { path: DB_KEY, owner: "mysql", group: "mysql", mode: "0400" },
            exporter,
            { path: "/etc/haproxy/certs/site.pem", owner: "root", group: "haproxy", mode: "0640" },
            ...PROMETHEUS_OWNERS,
        ]);
    });
});

describe("aws user data: prod", () => {
    const RDS = "foobar-prod-db.abcdefghijkl.eu-west-1.rds.amazonaws.com";
    const RDS_REPLICA = "foobar-prod-db-replica-1.abcdefghijkl.eu-west-1.rds.amazonaws.com";
    let s1: CloudConfig;
    let s3: CloudConfig;
    let s4: CloudConfig;
    before(async () => {
        const run = await runStack("prod");
        [s1, s3, s4] = ["server-1", "server-3", "server-4"].map((s) => configOf(run, "prod", s));
    });

    it("web servers run nginx and the app only, reading and writing on RDS", () => {
        // ...and what watches them: nginx's exporter, and the node exporter every server runs.
        assert.deepEqual(s1.packages, [
            "ca-certificates",
            "curl",
            "nginx-light",
            "node-mysql",
            "nodejs",
            "prometheus-nginx-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
        ]);
        assert.deepEqual(
            s1.write_files.map((f) => f.path),
            [HELPER, MANIFEST, NODE_EXPORTER_DEFAULTS, ...WEB_FILES, READY],
        );
        // Amazon's CA for RDS first: the app verifies RDS against it from its first connection. No data volume: RDS keeps the data.
        assert.deepEqual(s1.runcmd, [...APP_RUNCMD, RDS_CA_DOWNLOAD, NODE_EXPORTER_RESTART, ...WEB_COMMANDS, READY_RUNCMD]);
        const prod = wiring("prod", [RDS, RDS_REPLICA]);
        const env = writtenFile(s1, "/etc/foobar/app.env");
        assert.equal(env, prod.env("server-1-app"));
        // RDS MySQL: the app reads totals from the primary, having no GTID to wait for on the replica.
        assert.deepEqual(
            lines(env, "FOOBAR_DB_FLAVOR=").concat(lines(env, "FOOBAR_DB_WRITER_HOST="), lines(env, "FOOBAR_DB_READER_HOST=")),
            ["FOOBAR_DB_FLAVOR=mysql", `FOOBAR_DB_WRITER_HOST=${RDS}`, `FOOBAR_DB_READER_HOST=${RDS_REPLICA}`],
        );
        assert.equal(writtenFile(s1, "/etc/nginx/nginx.conf"), prod.file("server-1-nginx", "/etc/nginx/nginx.conf"));
        assert.deepEqual(manifestOf(s1), {
            region: "eu-west-1",
            parameters: { "db-app-password": "/foobar/prod/db-app-password" },
            files: [{ path: "/etc/foobar/secrets/db-password", owner: "foobar", group: "foobar", mode: "0400" }],
        });
    });

    it("server-3 runs HAProxy (leastconn over private addresses) and creates the schema and app user on RDS once", () => {
        assert.deepEqual(s3.packages, [
            "ca-certificates",
            "curl",
            "haproxy",
            "mariadb-client",
            "prometheus",
            "prometheus-alertmanager",
            "prometheus-blackbox-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
            "socat",
        ]);
        assert.deepEqual(
            s3.write_files.map((f) => f.path),
            [
                HELPER,
                MANIFEST,
                "/etc/foobar/rds-admin.cnf",
                "/etc/foobar/rds-bootstrap.sql",
                NODE_EXPORTER_DEFAULTS,
                ...HAPROXY_FILES,
                ...BLACKBOX_FILES,
                ...ALERTMANAGER_FILES,
                ARTIFACT,
                ...PROMETHEUS_FILES,
                ...PROMETHEUS_SECRET_FILES,
                READY,
            ],
        );
        const cfg = writtenFile(s3, "/etc/haproxy/haproxy.cfg");
        assert.equal(cfg, withoutComments(wiring("prod", [RDS, RDS_REPLICA]).file("server-3-haproxy", "/etc/haproxy/haproxy.cfg")));
        assert.deepEqual(lines(cfg, "    server ").concat(lines(cfg, "    balance ")), [
            "    server server-1 10.30.2.11:80",
            "    server server-2 10.30.3.12:80",
            "    balance leastconn",
        ]);
        assert.equal(writtenFile(s3, "/etc/haproxy/certs/site.pem"), `${sitePem("prod")}${secretPlaceholder("tls-private-key")}\n`);
        assert.equal(
            writtenFile(s3, "/etc/foobar/rds-admin.cnf"),
            `[client]\nhost=${RDS}\nuser=foobar_admin\npassword=${secretPlaceholder("rds-admin-password")}\nssl-ca=/etc/foobar/db-ca.pem\nssl-verify-server-cert\n`,
        );
        assert.equal(
            writtenFile(s3, "/etc/foobar/rds-bootstrap.sql"),
            renderPrimaryBootstrap({
                database: "foobar",
                appUser: "app",
                appPassword: APP_PW,
                clientHost: "10.30.0.0/255.255.0.0",
                authPlugin: "mysql_native_password",
            }),
        );
        assert.ok(!writtenFile(s3, "/etc/foobar/rds-bootstrap.sql").includes("replicator"), "RDS replicates by itself");
        assert.deepEqual(s3.runcmd, [
            [HELPER],
            RDS_CA_DOWNLOAD,
            [
                "sh",
                "-c",
                "for i in $(seq 120); do mariadb --defaults-extra-file=/etc/foobar/rds-admin.cnf < /etc/foobar/rds-bootstrap.sql && exit 0; sleep 10; done; exit 1",
            ],
            // The admin login goes once the schema and the app user exist.
            ["rm", "-f", "/etc/foobar/rds-admin.cnf"],
            NODE_EXPORTER_RESTART,
            ...HAPROXY_RESTART,
            BLACKBOX_RESTART,
            ALERTMANAGER_RESTART,
            MONITORING_FETCH,
            PROMETHEUS_RESTART,
            READY_RUNCMD,
        ]);
        assert.deepEqual(manifestOf(s3).files, [
            { path: "/etc/foobar/rds-admin.cnf", owner: "root", group: "root", mode: "0400" },
            { path: "/etc/foobar/rds-bootstrap.sql", owner: "root", group: "root", mode: "0400" },
            { path: "/etc/haproxy/certs/site.pem", owner: "root", group: "haproxy", mode: "0640" },
            ...PROMETHEUS_OWNERS,
        ]);
    });

    it("server-4 runs HAProxy and Prometheus only: no RDS bootstrap, no RDS CA (nothing on it talks to RDS)", () => {
        // ...with Alertmanager, the blackbox exporter beside Prometheus and the node exporter every server runs.
        assert.deepEqual(s4.packages, [
            "curl",
            "haproxy",
            "prometheus",
            "prometheus-alertmanager",
            "prometheus-blackbox-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
            "socat",
        ]);
        assert.deepEqual(
            s4.write_files.map((f) => f.path),
            [
                HELPER,
                MANIFEST,
                NODE_EXPORTER_DEFAULTS,
                ...HAPROXY_FILES,
                ...BLACKBOX_FILES,
                ...ALERTMANAGER_FILES,
                ARTIFACT,
                ...PROMETHEUS_FILES,
                ...PROMETHEUS_SECRET_FILES,
                READY,
            ],
        );
        assert.deepEqual(s4.runcmd, [
            [HELPER],
            NODE_EXPORTER_RESTART,
            ...HAPROXY_RESTART,
            BLACKBOX_RESTART,
            ALERTMANAGER_RESTART,
            MONITORING_FETCH,
            PROMETHEUS_RESTART,
            READY_RUNCMD,
        ]);
        assert.deepEqual(Object.keys(manifestOf(s4).parameters), ["prometheus-password", "prometheus-password-hash", "tls-private-key"]);
        const cfg = writtenFile(s4, "/etc/haproxy/haproxy.cfg");
        assert.equal(cfg, withoutComments(wiring("prod", [RDS, RDS_REPLICA]).file("server-4-haproxy", "/etc/haproxy/haproxy.cfg")));
        assert.deepEqual(lines(cfg, "    bind "), [
            "    bind :80 accept-proxy",
            "    bind :443 ssl crt /etc/haproxy/certs/site.pem alpn h2,http/1.1 accept-proxy",
            "    bind 10.30.3.10:8404",
            "    bind :8405 accept-proxy",
        ]);
    });
});
