// defineStack on variants of the dev stack file: sizes, LB modes, no replicas, provided TLS, bad config.
import assert from "node:assert/strict";
import { ConfigError } from "../../components/config/problems";
import { defineStack } from "../../components/stack";
import { TYPES, byType, loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { container, containers, countByType, haproxyLines, isSecretAt, runDev, upload } from "./stackHelpers";
import { TLS } from "./tlsFixtures";

const P = "foobar-dev";
const DEV_LB = { algorithm: "roundrobin", mode: "active-active" };
const TLS_RESOURCES = { privateKey: 2, selfSignedCert: 1, certRequest: 1, locallySignedCert: 1 };
/**
 * networks: edge, web, data, metrics (with monitoring on) and one per web server; images: the base and
 * one per kind (Prometheus's, Alertmanager's and the exporter's too, with monitoring on); passwords: the app's, the replicator's
 * and, with monitoring on, the exporters' monitor user's and Prometheus's operator's.
 */
const counts = (containers: number, volumes: number, networks: number, tls: Record<string, number> = TLS_RESOURCES, monitoring = true) => {
    // Every database keeps a volume (Prometheus and Alertmanager one more each) and gets a TLS key and certificate from the stack's database CA.
    const databases = volumes - (monitoring ? 2 : 0);
    const databaseTls: Record<string, number> = {
        privateKey: 1 + databases,
        selfSignedCert: 1,
        certRequest: databases,
        locallySignedCert: databases,
    };
    const allTls = Object.fromEntries(Object.keys(databaseTls).map((k) => [k, (tls[k] ?? 0) + databaseTls[k]]));
    return {
        component: 1,
        container: containers,
        network: networks,
        image: monitoring ? 11 : 5,
        volume: volumes,
        password: monitoring ? 4 : 2,
        ...allTls,
    };
};

const { cert: CERT, key: KEY } = TLS;

const VARIANTS: ReadonlyArray<{
    name: string;
    config: Record<string, unknown>;
    counts: Record<string, number>;
    servers: string[];
    readers: string[];
}> = [
    {
        name: "dev",
        config: {},
        counts: counts(19, 5, 6),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "1 web server, 1 replica",
        config: { "foobar:webServers": 1, "foobar:database": { mode: "self-managed", replicas: 1 } },
        counts: counts(13, 4, 5),
        servers: ["server-1 10.77.1.11:80"],
        readers: ["10.77.2.31:3306"],
    },
    {
        name: "3 web servers, 2 replicas",
        config: { "foobar:webServers": 3 },
        counts: counts(23, 5, 7),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80", "server-3 10.77.1.13:80"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "active-passive",
        config: { "foobar:lb": { ...DEV_LB, mode: "active-passive" } },
        counts: counts(19, 5, 6),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80 backup"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "active-passive, 3 web servers",
        config: { "foobar:webServers": "3", "foobar:lb": { ...DEV_LB, mode: "active-passive" } },
        counts: counts(23, 5, 7),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80 backup", "server-3 10.77.1.13:80 backup"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "leastconn",
        config: { "foobar:lb": { ...DEV_LB, algorithm: "leastconn" } },
        counts: counts(19, 5, 6),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "no replicas",
        config: { "foobar:database": { mode: "self-managed", replicas: 0 } },
        // The primary's exporter only (and an Alertmanager beside Prometheus, with its volume; the
        // node, nginx and blackbox exporters).
        counts: counts(15, 3, 6),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80"],
        readers: [],
    },
    {
        name: "monitoring off",
        config: { "foobar:monitoring": { enabled: false } },
        // No Prometheus, no exporters, no metrics network.
        counts: counts(8, 3, 5, TLS_RESOURCES, false),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
    {
        name: "provided TLS",
        config: { "foobar:tls": { mode: "provided", certificate: CERT, key: KEY } },
        counts: counts(19, 5, 6, {}),
        servers: ["server-1 10.77.1.11:80", "server-2 10.77.1.12:80"],
        readers: ["10.77.2.31:3306", "10.77.2.32:3306"],
    },
];

describe("defineStack: variants of the dev stack", () => {
    for (const v of VARIANTS) {
        it(`${v.name}: resources, backend servers and reader endpoints`, async () => {
            const run = await runDev(v.config);
            assert.deepEqual(countByType(run.resources), v.counts);
            const lb = `${P}-server-${v.servers.length + 1}-haproxy`;
            assert.deepEqual(
                haproxyLines(run, lb, "    server ").map((l) => l.slice("    server ".length)),
                v.servers,
            );
            const balance = v.name === "leastconn" ? "leastconn" : "roundrobin";
            assert.deepEqual(haproxyLines(run, lb, "    balance"), [`    balance ${balance}`]);
            assert.deepEqual(await unwrap(run.outputs.databaseReaderEndpoints), v.readers);
            // Still only HAProxy and Prometheus (with monitoring on) publish ports and sit on edge, and
            // Alertmanager for its route out (it publishes nothing and listens on metrics only), and the
            // blackbox exporter, which visits the site there as a client would.
            const publishing = containers(run).filter(
                (c) => c.inputs.ports.length > 0 || c.inputs.networksAdvanced.some((n: { name: string }) => n.name === `${P}-edge`),
            );
            const monitored = v.name !== "monitoring off";
            assert.deepEqual(
                publishing.map((c) => c.name),
                monitored
                    ? [
                          lb,
                          lb.replace(/haproxy$/, "alertmanager"),
                          lb.replace(/haproxy$/, "prometheus"),
                          lb.replace(/haproxy$/, "blackbox-exporter"),
                      ]
                    : [lb],
            );
            assert.equal(await unwrap(run.outputs.monitoringUrl), monitored ? "http://127.0.0.1:9090/" : "");
        });
    }

    it("3 web servers: server-3 reads from server-1's replica", async () => {
        const run = await runDev({ "foobar:webServers": 3 });
        const env = container(run, `${P}-server-3-app`).inputs.envs as string[];
        assert.ok(env.includes("FOOBAR_DB_READER_HOST=10.77.2.31"), env.join(" "));
        assert.ok(env.includes("FOOBAR_DB_WRITER_HOST=10.77.2.3"));
        assert.deepEqual(container(run, `${P}-server-3-nginx`).inputs.networksAdvanced, [
            { name: `${P}-web`, ipv4Address: "10.77.1.13" },
            { name: `${P}-server-3`, ipv4Address: "10.77.6.13" },
        ]);
        assert.deepEqual(container(run, `${P}-server-3-app`).inputs.networksAdvanced, [
            { name: `${P}-data`, ipv4Address: "10.77.2.23" },
            { name: `${P}-metrics`, ipv4Address: "10.77.3.23" },
            { name: `${P}-server-3`, ipv4Address: "10.77.6.23" },
        ]);
        assert.deepEqual(
            upload(container(run, `${P}-server-3-nginx`), "/etc/nginx/nginx.conf")
                .split("\n")
                .filter((l) => l.includes(":3000")),
            ["        server 10.77.6.23:3000 max_fails=0;"],
        );
    });

    it("no replicas: apps read from the primary and the primary does not wait for semi-sync", async () => {
        const run = await runDev({ "foobar:database": { mode: "self-managed", replicas: 0 } });
        for (const n of [1, 2]) {
            const env = container(run, `${P}-server-${n}-app`).inputs.envs as string[];
            assert.deepEqual(
                env.filter((e) => e.startsWith("FOOBAR_DB_")).map((e) => e.split("=")[0]),
                [
                    "FOOBAR_DB_FLAVOR",
                    "FOOBAR_DB_WRITER_HOST",
                    "FOOBAR_DB_WRITER_PORT",
                    "FOOBAR_DB_NAME",
                    "FOOBAR_DB_USER",
                    "FOOBAR_DB_PASSWORD_FILE",
                    "FOOBAR_DB_CA_FILE",
                ],
            );
        }
        const cnf = upload(container(run, `${P}-server-3-mariadb-primary`), "/etc/mysql/mariadb.conf.d/90-foobar.cnf");
        assert.ok(cnf.split("\n").includes("rpl_semi_sync_master_enabled = OFF"));
    });

    it("monitoring off: no exporter and no metrics network, whose /24 stays reserved; no replicas: the primary's exporter alone", async () => {
        const off = await runDev({ "foobar:monitoring": { enabled: false } });
        assert.deepEqual(
            containers(off).filter((c) => c.name.endsWith("-mysqld-exporter")),
            [],
        );
        assert.deepEqual(
            byType(off.resources, TYPES.network).map((n) => [n.name, n.inputs.ipamConfigs[0].subnet]),
            [
                [`${P}-edge`, "10.77.0.0/24"],
                [`${P}-web`, "10.77.1.0/24"],
                [`${P}-data`, "10.77.2.0/24"],
                [`${P}-server-1`, "10.77.4.0/24"],
                [`${P}-server-2`, "10.77.5.0/24"],
            ],
        );
        const alone = await runDev({ "foobar:database": { mode: "self-managed", replicas: 0 } });
        assert.deepEqual(
            containers(alone)
                .filter((c) => c.name.endsWith("-mysqld-exporter"))
                .map((c) => [c.name, c.inputs.networksAdvanced]),
            [
                [
                    `${P}-server-3-mysqld-exporter`,
                    [
                        { name: `${P}-data`, ipv4Address: "10.77.2.43" },
                        { name: `${P}-metrics`, ipv4Address: "10.77.3.43" },
                    ],
                ],
            ],
        );
    });

    it("provided TLS: no site TLS resources, the bundle holds both PEMs as a secret, the CA output is the certificate", async () => {
        const run = await runDev({ "foobar:tls": { mode: "provided", certificate: CERT, key: KEY } });
        // Only the database's CA and certificates are the stack's own.
        assert.deepEqual(
            run.resources.filter((r) => r.type.startsWith("tls:") && !/-db-ca|-tls-(key|csr|cert)$/.test(r.name)).map((r) => r.name),
            [],
        );
        const haproxy = container(run, `${P}-server-3-haproxy`);
        assert.equal(upload(haproxy, "/etc/haproxy/certs/site.pem"), `${CERT}${KEY}`);
        assert.equal(haproxy.inputs.uploads[1].file, "/etc/haproxy/certs/site.pem");
        assert.ok(isSecretAt(haproxy, "uploads[1].content"));
        assert.equal(await unwrap(run.outputs.caCertificatePem), CERT);
    });

    it("names everything after the stack", async () => {
        const run = await runDev({}, "staging");
        assert.ok(run.resources.every((r) => r.name === "foobar-staging" || r.name.startsWith("foobar-staging-")));
        const haproxy = container(run, "foobar-staging-server-3-haproxy");
        assert.deepEqual(haproxy.inputs.labels[0], { label: "foobar.stack", value: "foobar-staging" });
        assert.equal(haproxy.inputs.networksAdvanced[0].name, "foobar-staging-edge");
        assert.equal(byType(run.resources, TYPES.network).length, 6);
        assert.deepEqual(
            byType(run.resources, TYPES.network).map((n) => n.inputs.name),
            ["edge", "web", "data", "metrics", "server-1", "server-2"].map((s) => `foobar-staging-${s}`),
        );
    });

    it("publishes on 443 without a port in the URL", async () => {
        const run = await runDev({ "foobar:docker": { httpPort: 80, httpsPort: 443, bindAddress: "127.0.0.1" } });
        assert.equal(await unwrap(run.outputs.url), "https://www.foobar.com/");
        assert.equal(await unwrap(run.outputs.loadBalancerAddress), "127.0.0.1:443");
        assert.deepEqual(haproxyLines(run, `${P}-server-3-haproxy`, "    http-request redirect"), [
            "    http-request redirect prefix https://www.foobar.com code 301 unless { ssl_fc }",
        ]);
    });
});

describe("defineStack: invalid stack config", () => {
    const HEADER = "Invalid foobar-infra configuration (1 problem); nothing was created:";
    const CASES: ReadonlyArray<[string, Record<string, unknown>, string]> = [
        ["webServers 0", { "foobar:webServers": "0" }, `  - foobar:webServers: got "0"; must be a whole number from 1 to 8.`],
        [
            "a misspelt key",
            { "foobar:webservers": "3" },
            `  - foobar:webservers: got "3"; unknown key; known keys are platform, domain, webServers, lb, tls, database, monitoring, production, docker, aws. Did you mean "webServers"?`,
        ],
        [
            "lb that is not JSON",
            { "foobar:lb": "roundrobin" },
            `  - foobar:lb: got "roundrobin"; must be an object with keys count, algorithm, mode, healthCheck.`,
        ],
        [
            "1 web server with the dev file's 2 replicas",
            { "foobar:webServers": 1 },
            `  - foobar:database.replicas: got 2; must be a whole number from 0 to 1.`,
        ],
    ];
    for (const [name, overrides, line] of CASES) {
        it(`${name}: throws the ConfigError and registers nothing`, async () => {
            let caught: unknown;
            const run = await runUnderMocks({ ...loadStackConfig("dev"), ...overrides }, () => {
                try {
                    return defineStack();
                } catch (err) {
                    caught = err;
                    return undefined;
                }
            });
            assert.ok(caught instanceof ConfigError, String(caught));
            assert.equal(caught.message, `${HEADER}\n${line}`);
            assert.deepEqual(run.resources, []);
        });
    }

    it("makes runUnderMocks reject with the ConfigError", async () => {
        await assert.rejects(runUnderMocks({ ...loadStackConfig("dev"), "foobar:webServers": "0" }, defineStack), {
            name: "ConfigError",
            message: `${HEADER}\n  - foobar:webServers: got "0"; must be a whole number from 1 to 8.`,
        });
    });

    it("ignores other namespaces", async () => {
        const run = await runDev({ "docker:host": "unix:///var/run/docker.sock", "pulumi:template": "x" });
        assert.equal(byType(run.resources, TYPES.container).length, 19);
    });
});
