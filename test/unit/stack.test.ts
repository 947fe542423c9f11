// defineStack on the dev stack file, under mocks: every resource, network, secret and output.
import assert from "node:assert/strict";
import { StackRun, TYPES, byType, findResource } from "../helpers/pulumiMocks";
import { FAKE_APP_PASSWORD, FAKE_MONITOR_PASSWORD, FAKE_REPLICATION_PASSWORD, readGolden } from "./golden";
import { Outputs, container, containers, countByType, isSecretAt, runDev, stringLeaves, upload } from "./stackHelpers";

const P = "foobar-dev";
/** Files carrying a key or a password, besides the app's password file (its own test below). */
const SECRET_FILES = [
    "/etc/haproxy/certs/site.pem",
    "/etc/mysql/foobar/bootstrap.sql",
    "/etc/foobar/mysqld-exporter.cnf",
    "/etc/mysql/foobar/server-key.pem",
];

/** Graceful stop: HAProxy finishes connections on SIGUSR1, nginx on SIGQUIT; the rest on SIGTERM. */
const STOP_SIGNAL: Record<string, string> = { haproxy: "SIGUSR1", nginx: "SIGQUIT" };

/**
 * container suffix -> server, service label, networks in attach order [network, address]; in
 * registration order, which follows dependencies: the primary; what needs only it (the primary's
 * exporter, the replicas, the apps); what needs those (the replicas' exporters, nginx); HAProxy;
 * Prometheus.
 */
const CONTAINERS: ReadonlyArray<[string, string, string, Array<[string, string]>]> = [
    ["server-3-mariadb-primary", "server-3", "mariadb-primary", [["data", "10.77.2.3"]]],
    [
        "server-3-mysqld-exporter",
        "server-3",
        "mysqld-exporter",
        [
            ["data", "10.77.2.43"],
            ["metrics", "10.77.3.43"],
        ],
    ],
    ["server-1-mariadb-replica", "server-1", "mariadb-replica", [["data", "10.77.2.31"]]],
    [
        "server-1-app",
        "server-1",
        "app",
        [
            ["data", "10.77.2.21"],
            // Prometheus scrapes its /metrics there.
            ["metrics", "10.77.3.21"],
            ["server-1", "10.77.4.21"],
        ],
    ],
    [
        "server-1-nginx-exporter",
        "server-1",
        "nginx-exporter",
        [
            ["metrics", "10.77.3.71"],
            // Its nginx's stub_status, on the server's own network.
            ["server-1", "10.77.4.71"],
        ],
    ],
    ["server-1-node-exporter", "server-1", "node-exporter", [["metrics", "10.77.3.51"]]],
    [
        "server-1-mysqld-exporter",
        "server-1",
        "mysqld-exporter",
        [
            ["data", "10.77.2.41"],
            ["metrics", "10.77.3.41"],
        ],
    ],
    [
        "server-1-nginx",
        "server-1",
        "nginx",
        [
            ["web", "10.77.1.11"],
            ["server-1", "10.77.4.11"],
        ],
    ],
    ["server-2-mariadb-replica", "server-2", "mariadb-replica", [["data", "10.77.2.32"]]],
    [
        "server-2-app",
        "server-2",
        "app",
        [
            ["data", "10.77.2.22"],
            // Prometheus scrapes its /metrics there.
            ["metrics", "10.77.3.22"],
            ["server-2", "10.77.5.22"],
        ],
    ],
    [
        "server-2-nginx-exporter",
        "server-2",
        "nginx-exporter",
        [
            ["metrics", "10.77.3.72"],
            // Its nginx's stub_status, on the server's own network.
            ["server-2", "10.77.5.72"],
        ],
    ],
    ["server-2-node-exporter", "server-2", "node-exporter", [["metrics", "10.77.3.52"]]],
    [
        "server-2-mysqld-exporter",
        "server-2",
        "mysqld-exporter",
        [
            ["data", "10.77.2.42"],
            ["metrics", "10.77.3.42"],
        ],
    ],
    [
        "server-2-nginx",
        "server-2",
        "nginx",
        [
            ["web", "10.77.1.12"],
            ["server-2", "10.77.5.12"],
        ],
    ],
    [
        "server-3-haproxy",
        "server-3",
        "haproxy",
        [
            ["edge", "10.77.0.2"],
            ["web", "10.77.1.2"],
            ["metrics", "10.77.3.2"],
        ],
    ],
    [
        "server-3-prometheus",
        "server-3",
        "prometheus",
        [
            ["edge", "10.77.0.4"],
            ["metrics", "10.77.3.4"],
        ],
    ],
    // On edge for its route out to the receivers only: it listens on its metrics address.
    [
        "server-3-alertmanager",
        "server-3",
        "alertmanager",
        [
            ["edge", "10.77.0.7"],
            ["metrics", "10.77.3.7"],
        ],
    ],
    // On edge to visit the site as a client would.
    [
        "server-3-blackbox-exporter",
        "server-3",
        "blackbox-exporter",
        [
            ["edge", "10.77.0.63"],
            ["metrics", "10.77.3.63"],
        ],
    ],
    ["server-3-node-exporter", "server-3", "node-exporter", [["metrics", "10.77.3.53"]]],
];

/** A node exporter's read-only mounts: its server's data volumes, at their services' names. */
const WATCHED: Record<string, string[]> = {
    "server-1": ["mariadb-replica"],
    "server-2": ["mariadb-replica"],
    "server-3": ["mariadb-primary", "prometheus", "alertmanager"],
};
/** Watchers that no later server waits for. */
const UNWAITED = ["nginx-exporter", "node-exporter"];

/** What each kind publishes, on docker.bindAddress only: HAProxy the site, Prometheus its UI. */
const PUBLISHED: Record<string, Array<[number, number]>> = {
    haproxy: [
        [80, 8080],
        [443, 8443],
    ],
    prometheus: [[9090, 9090]],
};
/** Named volumes: the databases', Prometheus's and Alertmanager's data outlive their containers. */
const DATA_PATH: Record<string, string> = {
    "mariadb-primary": "/var/lib/mysql",
    "mariadb-replica": "/var/lib/mysql",
    prometheus: "/var/lib/prometheus/metrics2",
    alertmanager: "/var/lib/prometheus/alertmanager",
};

describe("defineStack: the dev stack", () => {
    let run: StackRun<Outputs>;
    let passwords: string[];
    before(async () => {
        run = await runDev();
        passwords = ["app", "replication", "monitor"].map(
            (p) => findResource(run.resources, TYPES.password, `${P}-db-${p}-password`).state.result,
        );
    });

    it("creates exactly the expected resources", () => {
        assert.deepEqual(countByType(run.resources), {
            component: 1,
            container: 19,
            network: 6,
            image: 11,
            volume: 5,
            password: 4,
            // The site's CA and certificate; the database CA and one certificate per database server.
            privateKey: 6,
            selfSignedCert: 2,
            certRequest: 4,
            locallySignedCert: 4,
        });
        assert.equal(run.resources.length, 62);
    });

    it("names every child after the component", () => {
        assert.equal(findResource(run.resources, "foobar:index:FoobarInfra", P).type, "foobar:index:FoobarInfra");
        assert.deepEqual(
            run.resources.filter((r) => r.name !== P && !r.name.startsWith(`${P}-`)).map((r) => r.name),
            [],
        );
        // Registration order follows the dependencies' resolution; the engine orders by dependencies.
        assert.deepEqual(
            containers(run)
                .map((c) => c.name)
                .sort(),
            CONTAINERS.map(([suffix]) => `${P}-${suffix}`).sort(),
        );
        assert.deepEqual(
            byType(run.resources, TYPES.password)
                .map((r) => [r.name, r.inputs.length, r.inputs.special])
                .sort(),
            [
                [`${P}-db-app-password`, 32, false],
                [`${P}-db-monitor-password`, 32, false],
                [`${P}-db-replication-password`, 32, false],
                [`${P}-prometheus-password`, 32, false],
            ],
        );
    });

    it("builds the base first, then one local image per kind on it, never pushed", () => {
        const images = byType(run.resources, TYPES.image);
        assert.deepEqual(
            images.map((i) => [i.name, i.inputs.imageName, i.inputs.skipPush]),
            [
                "base",
                "haproxy",
                "nginx",
                "app",
                "mariadb",
                "prometheus",
                "alertmanager",
                "mysqld-exporter",
                "nginx-exporter",
                "node-exporter",
                "blackbox-exporter",
            ].map((k) => [`${P}-image-${k}`, `foobar-infra/${k}:local`, true]),
        );
        const [base, ...rest] = images;
        assert.deepEqual(base.options.dependencies, []);
        for (const i of rest) assert.deepEqual(i.options.dependencies, [base.urn], `${i.name} waits for the base only`);
        for (const c of containers(run)) {
            const kind = (c.inputs.labels as Array<{ value: string }>)[2].value;
            assert.equal(c.inputs.image, `foobar-infra/${kind.startsWith("mariadb-") ? "mariadb" : kind}:local`, c.name);
        }
    });

    for (const [suffix, server, kind, networks] of CONTAINERS) {
        it(`${suffix}: labels, networks, addresses and ports`, () => {
            const c = container(run, `${P}-${suffix}`);
            assert.deepEqual(c.inputs.labels, [
                { label: "foobar.stack", value: P },
                { label: "foobar.server", value: server },
                { label: "foobar.service", value: kind },
            ]);
            assert.equal(c.inputs.hostname, suffix);
            assert.deepEqual(
                c.inputs.networksAdvanced,
                networks.map(([n, ip]) => ({ name: `${P}-${n}`, ipv4Address: ip })),
            );
            // No network mode: the provider then leaves the default bridge for networksAdvanced alone.
            assert.equal(c.inputs.networkMode, undefined);
            assert.deepEqual(
                c.inputs.ports,
                (PUBLISHED[kind] ?? []).map(([internal, external]) => ({ internal, external, ip: "127.0.0.1", protocol: "tcp" })),
            );
            assert.deepEqual(
                c.inputs.volumes,
                kind === "node-exporter"
                    ? WATCHED[server].map((s) => ({
                          volumeName: `${P}-${server}-${s}-data`,
                          containerPath: `/srv/volumes/${s}`,
                          readOnly: true,
                      }))
                    : DATA_PATH[kind]
                      ? [{ volumeName: `${P}-${suffix}-data`, containerPath: DATA_PATH[kind] }]
                      : [],
            );
            // Every container of a web server but the last: the next server waits for them (rolling).
            assert.equal(c.inputs.wait, server === "server-1" && !UNWAITED.includes(kind));
            assert.equal(c.inputs.stopSignal, STOP_SIGNAL[kind] ?? "SIGTERM");
        });
    }

    it("makes only the edge network reachable from outside, with HAProxy, Prometheus and Alertmanager (its route out) alone on it", () => {
        assert.deepEqual(
            byType(run.resources, TYPES.network).map((n) => [
                n.name,
                n.inputs.name,
                n.inputs.driver,
                n.inputs.internal,
                n.inputs.ipamConfigs,
            ]),
            ["edge", "web", "data", "metrics", "server-1", "server-2"].map((s, i) => [
                `${P}-${s}`,
                `${P}-${s}`,
                "bridge",
                s !== "edge",
                [{ subnet: `10.77.${i}.0/24`, gateway: `10.77.${i}.1` }],
            ]),
        );
        const onEdge = containers(run).filter((c) => c.inputs.networksAdvanced.some((n: { name: string }) => n.name === `${P}-edge`));
        assert.deepEqual(
            onEdge.map((c) => c.name),
            [`${P}-server-3-haproxy`, `${P}-server-3-alertmanager`, `${P}-server-3-prometheus`, `${P}-server-3-blackbox-exporter`],
        );
        // Prometheus reaches the exporters over metrics, never data; no database is on metrics.
        const on = (network: string) =>
            containers(run)
                .filter((c) => c.inputs.networksAdvanced.some((n: { name: string }) => n.name === `${P}-${network}`))
                .map((c) => c.name.slice(P.length + 1))
                .sort();
        // HAProxy's stats are there too: nothing on web reaches them. Alertmanager listens there only;
        // each app serves its own /metrics there, apart from the site.
        assert.deepEqual(on("metrics"), [
            "server-1-app",
            "server-1-mysqld-exporter",
            "server-1-nginx-exporter",
            "server-1-node-exporter",
            "server-2-app",
            "server-2-mysqld-exporter",
            "server-2-nginx-exporter",
            "server-2-node-exporter",
            "server-3-alertmanager",
            "server-3-blackbox-exporter",
            "server-3-haproxy",
            "server-3-mysqld-exporter",
            "server-3-node-exporter",
            "server-3-prometheus",
        ]);
        assert.ok(!on("data").includes("server-3-prometheus"));
        assert.ok(!on("web").includes("server-3-prometheus"));
        // A web server's own network joins only its nginx, its app and the exporter of its nginx's stub_status.
        for (const n of [1, 2]) {
            const on = containers(run).filter((c) =>
                c.inputs.networksAdvanced.some((x: { name: string }) => x.name === `${P}-server-${n}`),
            );
            assert.deepEqual(on.map((c) => c.name).sort(), [
                `${P}-server-${n}-app`,
                `${P}-server-${n}-nginx`,
                `${P}-server-${n}-nginx-exporter`,
            ]);
        }
    });

    it("delivers the rendered files of the golden copies", () => {
        const fakes = [FAKE_APP_PASSWORD, FAKE_REPLICATION_PASSWORD, FAKE_MONITOR_PASSWORD];
        const sub = (text: string) => passwords.reduce((t, p, i) => t.split(p).join(fakes[i]), text);
        const haproxy = container(run, `${P}-server-3-haproxy`);
        const primary = container(run, `${P}-server-3-mariadb-primary`);
        const replica = container(run, `${P}-server-1-mariadb-replica`);
        assert.equal(upload(haproxy, "/etc/haproxy/haproxy.cfg"), readGolden("haproxy.cfg"));
        assert.equal(upload(container(run, `${P}-server-1-nginx`), "/etc/nginx/nginx.conf"), readGolden("nginx.conf"));
        assert.equal(upload(primary, "/etc/mysql/mariadb.conf.d/90-foobar.cnf"), readGolden("mariadb-primary.cnf"));
        assert.equal(upload(replica, "/etc/mysql/mariadb.conf.d/90-foobar.cnf"), readGolden("mariadb-replica.cnf"));
        assert.equal(sub(upload(primary, "/etc/mysql/foobar/bootstrap.sql")), readGolden("primary-bootstrap.sql"));
        assert.equal(sub(upload(replica, "/etc/mysql/foobar/bootstrap.sql")), readGolden("replica-bootstrap.sql"));
        assert.equal(`${container(run, `${P}-server-1-app`).inputs.envs.join("\n")}\n`, readGolden("app.env"));
        const prometheus = container(run, `${P}-server-3-prometheus`);
        assert.equal(upload(prometheus, "/etc/prometheus/prometheus.yml"), readGolden("prometheus.yml"));
        assert.equal(upload(prometheus, "/etc/prometheus/rules/foobar-alerts.yml"), readGolden("prometheus-alerts.yml"));
        assert.equal(upload(prometheus, "/etc/default/prometheus"), readGolden("prometheus.defaults"));
        const exporter = container(run, `${P}-server-1-mysqld-exporter`);
        assert.equal(sub(upload(exporter, "/etc/foobar/mysqld-exporter.cnf")), readGolden("mysqld-exporter.cnf"));
        assert.equal(upload(exporter, "/etc/default/prometheus-mysqld-exporter"), readGolden("mysqld-exporter.defaults"));
        assert.equal(
            upload(container(run, `${P}-server-2-mariadb-replica`), "/etc/mysql/mariadb.conf.d/90-foobar.cnf"),
            readGolden("mariadb-replica.cnf").replace("server_id = 101", "server_id = 102"),
        );
        assert.equal(upload(container(run, `${P}-server-1-app`), "/etc/foobar/secrets/db-password"), passwords[0]);
        assert.equal(
            upload(haproxy, "/etc/haproxy/certs/site.pem"),
            `-----BEGIN CERTIFICATE-----\nFAKE-${P}-site-cert\n-----END CERTIFICATE-----\n` +
                `-----BEGIN EC PRIVATE KEY-----\nFAKE-${P}-site-key\n-----END EC PRIVATE KEY-----\n`,
        );
    });

    it("uploads the certificate bundle, the bootstrap SQL, the exporters' logins and the database servers' keys as secrets", () => {
        let checked = 0;
        for (const c of containers(run)) {
            (c.inputs.uploads as Array<{ file: string }>).forEach((u, i) => {
                if (!SECRET_FILES.includes(u.file)) return;
                checked++;
                assert.ok(isSecretAt(c, `uploads[${i}].content`), `${c.name} ${u.file} is not secret (${c.secretPaths.join(", ")})`);
            });
        }
        assert.equal(checked, 10, "haproxy's bundle, three bootstrap files, three exporter logins and three database server keys");
        assert.ok(isSecretAt(container(run, `${P}-server-3-haproxy`), "uploads[1].content"));
        assert.ok(isSecretAt(container(run, `${P}-server-3-mariadb-primary`), "uploads[1].content"));
        assert.ok(isSecretAt(container(run, `${P}-server-2-mariadb-replica`), "uploads[1].content"));
    });

    // credentials.ts wraps RandomPassword.result in pulumi.secret itself, so this holds under mocks
    // too (which do not model the provider's additionalSecretOutputs).
    it("uploads the app's password file as a secret", () => {
        for (const n of [1, 2]) assert.ok(isSecretAt(container(run, `${P}-server-${n}-app`), "uploads[0].content"));
    });

    it("puts generated passwords and keys in no non-secret input and in no environment", () => {
        const keys = byType(run.resources, TYPES.privateKey).map((k) => k.state.privateKeyPem as string);
        const secrets = [...passwords, ...keys];
        // Three passwords; the site's, the database CA's and the three database servers' keys.
        assert.equal(secrets.length, 9);
        for (const r of run.resources) {
            for (const [path, value] of stringLeaves(r.inputs)) {
                assert.ok(
                    isSecretAt(r, path) || !secrets.some((s) => value.includes(s)),
                    `${r.name} ${path} carries a secret in the clear`,
                );
            }
        }
        for (const c of containers(run)) {
            for (const e of (c.inputs.envs ?? []) as string[]) {
                assert.ok(!secrets.some((s) => e.includes(s)), `${c.name} env ${e}`);
            }
        }
    });

    it("exports the outputs", async () => {
        const o = run.outputs;
        const value = <T>(x: { apply<U>(f: (v: T) => U): unknown }) => new Promise<T>((resolve) => x.apply((v) => resolve(v)));
        assert.equal(await value(o.url), "https://www.foobar.com:8443/");
        assert.equal(await value(o.loadBalancerAddress), "127.0.0.1:8443");
        assert.equal(await value(o.databaseWriterEndpoint), "10.77.2.3:3306");
        assert.deepEqual(await value(o.databaseReaderEndpoints), ["10.77.2.31:3306", "10.77.2.32:3306"]);
        assert.equal(await value(o.caCertificatePem), `-----BEGIN CERTIFICATE-----\nFAKE-${P}-ca\n-----END CERTIFICATE-----\n`);
        assert.equal(await value(o.diagram), readGolden("diagram.mmd"));
        const svc = (service: string, kind: string, addresses: Record<string, string>) => ({ service, kind, addresses });
        const web = (n: number) => ({
            name: `server-${n}`,
            role: "web",
            services: [
                svc(`server-${n}-nginx`, "nginx", { web: `10.77.1.1${n}`, [`server-${n}`]: `10.77.${n + 3}.1${n}` }),
                svc(`server-${n}-app`, "app", { data: `10.77.2.2${n}`, metrics: `10.77.3.2${n}`, [`server-${n}`]: `10.77.${n + 3}.2${n}` }),
                svc(`server-${n}-mariadb-replica`, "mariadb-replica", { data: `10.77.2.3${n}` }),
                svc(`server-${n}-mysqld-exporter`, "mysqld-exporter", { data: `10.77.2.4${n}`, metrics: `10.77.3.4${n}` }),
                svc(`server-${n}-nginx-exporter`, "nginx-exporter", { metrics: `10.77.3.7${n}`, [`server-${n}`]: `10.77.${n + 3}.7${n}` }),
                svc(`server-${n}-node-exporter`, "node-exporter", { metrics: `10.77.3.5${n}` }),
            ],
        });
        assert.deepEqual(await value(o.servers), [
            web(1),
            web(2),
            {
                name: "server-3",
                role: "lb-db",
                services: [
                    svc("server-3-haproxy", "haproxy", { edge: "10.77.0.2", web: "10.77.1.2", metrics: "10.77.3.2" }),
                    svc("server-3-mariadb-primary", "mariadb-primary", { data: "10.77.2.3" }),
                    svc("server-3-prometheus", "prometheus", { edge: "10.77.0.4", metrics: "10.77.3.4" }),
                    svc("server-3-alertmanager", "alertmanager", { edge: "10.77.0.7", metrics: "10.77.3.7" }),
                    svc("server-3-blackbox-exporter", "blackbox-exporter", { edge: "10.77.0.63", metrics: "10.77.3.63" }),
                    svc("server-3-mysqld-exporter", "mysqld-exporter", { data: "10.77.2.43", metrics: "10.77.3.43" }),
                    svc("server-3-node-exporter", "node-exporter", { metrics: "10.77.3.53" }),
                ],
            },
        ]);
        assert.equal(await value(o.monitoringUrl), "http://127.0.0.1:9090/");
        const prometheusPassword = findResource(run.resources, TYPES.password, `${P}-prometheus-password`).state.result;
        assert.equal(await value(o.monitoringPassword), prometheusPassword);
    });

    it("makes the CA and a P-256 site certificate for the domain and localhost", () => {
        const csr = findResource(run.resources, TYPES.certRequest, `${P}-site-csr`);
        assert.deepEqual(csr.inputs.dnsNames, ["www.foobar.com", "localhost"]);
        assert.deepEqual(csr.inputs.ipAddresses, ["127.0.0.1"]);
        for (const k of byType(run.resources, TYPES.privateKey))
            assert.deepEqual([k.inputs.algorithm, k.inputs.ecdsaCurve], ["ECDSA", "P256"]);
        const ca = findResource(run.resources, TYPES.selfSignedCert, `${P}-ca`);
        assert.equal(ca.inputs.isCaCertificate, true);
        assert.equal(ca.inputs.validityPeriodHours, 365 * 24);
        const cert = findResource(run.resources, TYPES.locallySignedCert, `${P}-site-cert`);
        assert.deepEqual(cert.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth"]);
        assert.equal(cert.inputs.caCertPem, ca.state.certPem);
    });
});
