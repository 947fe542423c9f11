// Staging with database.failover manual (as one web server or an existing VPC requires): GTID
// replication from the primary on server-3, no Galera. What its database servers boot with, the
// firewall rules replication needs and where the apps write; the stack file's own Galera cluster:
// awsUserData.test.ts, awsGalera.test.ts.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { secretPlaceholder } from "../../components/vm/cloudInit";
import { StackRun, unwrap } from "../helpers/pulumiMocks";
import { CloudConfig, instance, manualFailover, runStack, sgRules, userData, wiring, writtenFile } from "./awsHelpers";
import { Outputs } from "./stackHelpers";

const MANUAL = manualFailover("staging");
const REPO = path.join(__dirname, "..", "..");
const APP_PW = secretPlaceholder("db-app-password");
const REPL_PW = secretPlaceholder("db-replication-password");
const MONITOR_PW = secretPlaceholder("db-monitor-password");
const HELPER = "/usr/local/sbin/foobar-secrets";
const MANIFEST = "/etc/foobar/secrets.json";
const MY_CNF = "/etc/mysql/mariadb.conf.d/90-foobar.cnf";
const BOOTSTRAP = "/etc/mysql/foobar/bootstrap.sql";
const MARIADB_FILES = [MY_CNF, BOOTSTRAP, "/etc/foobar/db-ca.pem", "/etc/mysql/foobar/server-cert.pem", "/etc/mysql/foobar/server-key.pem"];
const VOLUME_FILES = ["/usr/local/sbin/foobar-data-volume", "/etc/systemd/system/mariadb.service.d/foobar-data-volume.conf"];
const EXPORTER_FILES = ["/etc/foobar/mysqld-exporter.cnf", "/etc/default/prometheus-mysqld-exporter"];
const EXPORTER_RESTART = ["systemctl", "restart", "prometheus-mysqld-exporter"];
/** The node exporter, on every server, starts first (awsUserData.test.ts). */
const NODE_EXPORTER_FILES = ["/etc/default/prometheus-node-exporter"];
const NODE_EXPORTER_RESTART = ["systemctl", "restart", "prometheus-node-exporter"];
/** The app bundle's object in S3, then the app and nginx; nginx's exporter after it. */
const WEB_FILES = [
    "/etc/foobar/artifact.json",
    "/etc/foobar/secrets/db-password",
    "/etc/foobar/app.env",
    "/etc/systemd/system/foobar-app.service",
    "/etc/nginx/nginx.conf",
    "/etc/default/prometheus-nginx-exporter",
];
/**
 * HAProxy of the pair, the blackbox exporter, Alertmanager and Prometheus (awsUserData.test.ts): the
 * alert rules come in the monitoring bundle's object (artifact.json, just before Prometheus), not in user data.
 */
const LB_FILES = [
    "/etc/haproxy/haproxy.cfg",
    "/etc/haproxy/certs/site.pem",
    "/etc/systemd/system/haproxy.service.d/foobar-soft-stop.conf",
    "/etc/prometheus/blackbox.yml",
    "/etc/default/prometheus-blackbox-exporter",
    "/etc/prometheus/blackbox-site.pem",
    "/etc/prometheus/alertmanager.yml",
    "/etc/default/prometheus-alertmanager",
    "/etc/foobar/artifact.json",
    "/etc/prometheus/prometheus.yml",
    "/etc/default/prometheus",
    "/etc/prometheus/web.yml",
    "/etc/prometheus/operator-password",
    "/etc/prometheus/healthcheck.netrc",
];
const USERADD = ["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "foobar"];
const READY = "/etc/foobar/ready.json";
/** The data volume goes in place before MariaDB restarts (awsUserData.test.ts). */
const volumeCommand = (server: string) => [
    "/usr/local/sbin/foobar-data-volume",
    "/srv/foobar-db",
    "/var/lib/mysql",
    "mysql",
    "mariadb",
    `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_foobarstaging${server.replace("-", "")}dbid`,
    "/dev/sdf",
    "/dev/xvdf",
];
const lines = (text: string, prefix: string) => text.split("\n").filter((l) => l.startsWith(prefix));

describe("aws user data: staging with failover manual (GTID replication)", () => {
    const staging = wiring("staging", [], MANUAL);
    let run: StackRun<Outputs>;
    let s1: CloudConfig;
    let s2: CloudConfig;
    let s3: CloudConfig;
    before(async () => {
        run = await runStack("staging", MANUAL);
        [s1, s2, s3] = ["server-1", "server-2", "server-3"].map((s) => userData(instance(run, "foobar-staging", s)).config);
    });

    it("web servers: MariaDB alone (no Galera, no keepalived), restarted once its data volume is in place", () => {
        for (const [c, name] of [
            [s1, "server-1"],
            [s2, "server-2"],
        ] as const) {
            assert.deepEqual(c.packages, [
                "curl",
                "mariadb-server",
                "nginx-light",
                "node-mysql",
                "nodejs",
                "prometheus-mysqld-exporter",
                "prometheus-nginx-exporter",
                "prometheus-node-exporter",
                "python3-botocore",
            ]);
            assert.deepEqual(
                c.write_files.map((f) => f.path),
                [HELPER, MANIFEST, ...NODE_EXPORTER_FILES, ...MARIADB_FILES, ...VOLUME_FILES, ...EXPORTER_FILES, ...WEB_FILES, READY],
            );
            assert.deepEqual(c.runcmd, [
                USERADD,
                [HELPER],
                NODE_EXPORTER_RESTART,
                volumeCommand(name),
                ["systemctl", "restart", "mariadb"],
                EXPORTER_RESTART,
                [HELPER, "--artifact", "/etc/foobar/artifact.json"],
                ["systemctl", "daemon-reload"],
                ["systemctl", "enable", "--now", "foobar-app"],
                ["rm", "-f", "/etc/nginx/sites-enabled/default"],
                ["systemctl", "restart", "nginx"],
                ["systemctl", "restart", "prometheus-nginx-exporter"],
                [HELPER, "--ready", READY],
            ]);
        }
    });

    it("server-3: HAProxy, the primary, its exporter and Prometheus; the data volume's script whole, comments included", () => {
        assert.deepEqual(s3.packages, [
            "curl",
            "haproxy",
            "mariadb-server",
            "prometheus",
            "prometheus-alertmanager",
            "prometheus-blackbox-exporter",
            "prometheus-mysqld-exporter",
            "prometheus-node-exporter",
            "python3-botocore",
            "socat",
        ]);
        assert.deepEqual(
            s3.write_files.map((f) => f.path),
            [HELPER, MANIFEST, ...NODE_EXPORTER_FILES, ...MARIADB_FILES, ...VOLUME_FILES, ...EXPORTER_FILES, ...LB_FILES, READY],
        );
        assert.deepEqual(s3.runcmd, [
            [HELPER],
            NODE_EXPORTER_RESTART,
            volumeCommand("server-3"),
            ["systemctl", "restart", "mariadb"],
            EXPORTER_RESTART,
            ["systemctl", "daemon-reload"],
            ["systemctl", "restart", "haproxy"],
            ["systemctl", "restart", "prometheus-blackbox-exporter"],
            ["systemctl", "restart", "prometheus-alertmanager"],
            // The alert rules, fetched and checked, before Prometheus starts.
            [HELPER, "--artifact", "/etc/foobar/artifact.json"],
            ["systemctl", "restart", "prometheus"],
            [HELPER, "--ready", READY],
        ]);
        // A Galera node's goes without its comments (awsUserData.test.ts).
        const script = fs.readFileSync(path.join(REPO, "components/vm/files/foobar-data-volume.sh"), "utf8");
        for (const c of [s1, s2, s3]) assert.equal(writtenFile(c, VOLUME_FILES[0]), script, c.hostname);
    });

    it("MariaDB: the primary's and the replicas' config and bootstrap, replicating from server-3's private address", () => {
        for (const [c, key] of [
            [s3, "server-3-mariadb-primary"],
            [s1, "server-1-mariadb-replica"],
            [s2, "server-2-mariadb-replica"],
        ] as const) {
            assert.equal(writtenFile(c, MY_CNF), staging.file(key, MY_CNF), key);
            assert.equal(writtenFile(c, BOOTSTRAP), staging.file(key, BOOTSTRAP), key);
        }
        assert.deepEqual(
            [s3, s1, s2].map((c) => lines(writtenFile(c, MY_CNF), "server_id")),
            [["server_id = 1"], ["server_id = 101"], ["server_id = 102"]],
        );
        assert.deepEqual(lines(writtenFile(s3, MY_CNF), "rpl_semi_sync_master_enabled"), ["rpl_semi_sync_master_enabled = ON"]);
        // The users accept the VPC range; their passwords are placeholders the boot helper fills in.
        const primary = writtenFile(s3, BOOTSTRAP);
        for (const user of [
            `'app'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${APP_PW}'`,
            `'replicator'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${REPL_PW}'`,
        ]) {
            assert.ok(primary.includes(`CREATE USER IF NOT EXISTS ${user}`), user);
        }
        assert.ok(primary.includes(`'foobar_monitor'@'10.20.0.0/255.255.0.0' IDENTIFIED BY '${MONITOR_PW}'`));
        const replica = writtenFile(s1, BOOTSTRAP);
        assert.equal(writtenFile(s2, BOOTSTRAP), replica);
        assert.ok(
            replica.includes(`MASTER_HOST = '10.20.0.10', MASTER_PORT = 3306, MASTER_USER = 'replicator', MASTER_PASSWORD = '${REPL_PW}'`),
        );
        // A replica resumes from its own GTID position at every start: nothing resets replication.
        assert.ok(replica.includes("MASTER_USE_GTID = slave_pos") && !/RESET/i.test(replica), replica);
    });

    it("a replica's readiness waits for MariaDB to answer; the apps write to server-3, which replicates to the replicas over 3306", async () => {
        // The health checks of nginx, the app, the replica (Galera's: a synced member, awsReadiness.test.ts), the
        // exporter, the nginx exporter and the node exporter (those three where the load balancers' Prometheus scrape them).
        const ready = JSON.parse(writtenFile(s1, READY)) as { checks: string[][] };
        assert.deepEqual(
            ready.checks.map((c) => c.at(-1)),
            [
                "http://127.0.0.1:80/nginx-health",
                "http://127.0.0.1:3000/healthz",
                "--silent",
                "http://10.20.0.11:9104/metrics",
                "http://10.20.0.11:9113/metrics",
                "http://10.20.0.11:9100/metrics",
            ],
        );
        assert.deepEqual(ready.checks[2], ["mariadb-admin", "ping", "--silent"]);
        assert.deepEqual(
            lines(writtenFile(s1, "/etc/foobar/app.env"), "FOOBAR_DB_FLAVOR=").concat(
                lines(writtenFile(s1, "/etc/foobar/app.env"), "FOOBAR_DB_WRITER_HOST="),
            ),
            ["FOOBAR_DB_FLAVOR=mariadb", "FOOBAR_DB_WRITER_HOST=10.20.0.10"],
        );
        assert.equal(await unwrap(run.outputs.databaseWriterEndpoint), "10.20.0.10:3306");
        // The pair's rules (awsLoadBalancerPair.test.ts: the scrapes of 9100, 9113 and 9301 among them) with
        // replication's 3306 between the database servers, no Galera's.
        assert.deepEqual(sgRules(run, "foobar-staging"), [
            "egress db 3306 sg:db",
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
            "egress web 3306 sg:db",
            "ingress db 3306 sg:db",
            "ingress db 3306 sg:web",
            "ingress db 9104 sg:lb",
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
    });
});
