// database.failover "automatic" on docker, under the mocks: the write address beyond the data
// network's IPAM range, NET_ADMIN for the nodes (their keepalived adds it), every database
// certificate naming it, the apps writing to it, and the bootstrap node started (and healthy) first.
import assert from "node:assert/strict";
import { planDockerNetworks } from "../../components/platforms/docker/plan";
import { RecordedResource, TYPES, byType, unwrap } from "../helpers/pulumiMocks";
import { container, containers, runDev, upload } from "./stackHelpers";
import { topologyOf } from "./topologyHelpers";

const GALERA = { "foobar:database": { mode: "self-managed", replicas: 2, failover: "automatic" } };
const WITH_PAIR = { ...GALERA, "foobar:lb": { count: 2 } };
const NODES = ["server-3-mariadb-primary", "server-1-mariadb-replica", "server-2-mariadb-replica"];
const named = (key: string) => `foobar-dev-${key}`;

const envOf = (c: RecordedResource) => Object.fromEntries((c.inputs.envs as string[]).map((e) => e.split(/=(.*)/s).slice(0, 2)));
const resources = (run: Awaited<ReturnType<typeof runDev>>, type: string) => run.resources.filter((r) => r.type === type);

describe("database.failover automatic on docker: the plan", () => {
    it("puts the write address at .254 of data, beyond the lower half Docker allocates from; every fixed address below it", () => {
        const plan = planDockerNetworks(topologyOf({ database: { failover: "automatic" } }));
        assert.equal(plan.writeAddress, "10.77.2.254/24");
        assert.equal(plan.floatingAddress, undefined);
        const data = plan.segments.find((s) => s.name === "data");
        assert.equal(data?.ipRange, "10.77.2.0/25");
        assert.deepEqual(
            plan.segments.filter((s) => s.ipRange !== undefined).map((s) => s.name),
            ["data"],
        );
        for (const address of data?.members.values() ?? []) assert.ok(Number(address.split(".")[3]) < 128, address);
        assert.equal(planDockerNetworks(topologyOf({})).writeAddress, undefined);
    });
});

describe("database.failover automatic on docker: the containers (mocks)", () => {
    it("gives NET_ADMIN to the database nodes only (and a pair's keepalived), nothing else", async () => {
        for (const [overrides, expected] of [
            [GALERA, NODES],
            [
                WITH_PAIR,
                [
                    "server-3-mariadb-primary",
                    "server-1-mariadb-replica",
                    "server-2-mariadb-replica",
                    "server-4-keepalived",
                    "server-3-keepalived",
                ],
            ],
        ] as const) {
            const run = await runDev(overrides);
            assert.deepEqual(
                containers(run)
                    .filter((c) => c.inputs.capabilities !== undefined)
                    .map((c) => [c.name, c.inputs.capabilities]),
                expected.map((key) => [named(key), { adds: ["NET_ADMIN"] }]),
            );
        }
        const manual = await runDev();
        assert.deepEqual(
            containers(manual).filter((c) => c.inputs.capabilities !== undefined),
            [],
        );
    });

    it("limits the data network's IPAM to its lower half; edge keeps its whole range with one load balancer", async () => {
        const run = await runDev(GALERA);
        const ipam = (name: string) => byType(run.resources, TYPES.network).find((n) => n.name === name)?.inputs.ipamConfigs;
        assert.deepEqual(ipam("foobar-dev-data"), [{ subnet: "10.77.2.0/24", gateway: "10.77.2.1", ipRange: "10.77.2.0/25" }]);
        assert.deepEqual(ipam("foobar-dev-edge"), [{ subnet: "10.77.0.0/24", gateway: "10.77.0.1" }]);
    });

    it("names the write address in every database certificate, which may authenticate a peer too; no replication password", async () => {
        const run = await runDev(GALERA);
        assert.deepEqual(
            resources(run, "tls:index/certRequest:CertRequest").map((r) => [r.name, r.inputs.ipAddresses]),
            [
                ["foobar-dev-server-3-mariadb-primary-tls-csr", ["10.77.2.3", "10.77.2.254"]],
                ["foobar-dev-server-1-mariadb-replica-tls-csr", ["10.77.2.31", "10.77.2.254"]],
                ["foobar-dev-server-2-mariadb-replica-tls-csr", ["10.77.2.32", "10.77.2.254"]],
                ["foobar-dev-site-csr", ["127.0.0.1"]],
            ],
        );
        for (const cert of resources(run, "tls:index/locallySignedCert:LocallySignedCert").filter((r) => r.name.includes("-mariadb-"))) {
            assert.deepEqual(cert.inputs.allowedUses, ["digital_signature", "key_encipherment", "server_auth", "client_auth"], cert.name);
        }
        assert.deepEqual(
            byType(run.resources, TYPES.password).map((p) => p.name),
            ["foobar-dev-db-app-password", "foobar-dev-db-monitor-password", "foobar-dev-prometheus-password"],
        );
    });

    it("has every app write to the write address as flavor galera, and read from its own node", async () => {
        const run = await runDev(GALERA);
        for (const [server, reader] of [
            ["server-1", "10.77.2.31"],
            ["server-2", "10.77.2.32"],
        ]) {
            const env = envOf(container(run, named(`${server}-app`)));
            assert.deepEqual(
                [env.FOOBAR_DB_FLAVOR, env.FOOBAR_DB_WRITER_HOST, env.FOOBAR_DB_WRITER_PORT, env.FOOBAR_DB_READER_HOST],
                ["galera", "10.77.2.254", "3306", reader],
            );
        }
        const outputs = await unwrap(run.outputs);
        assert.equal(outputs.databaseWriterEndpoint, "10.77.2.254:3306");
        assert.deepEqual(outputs.databaseReaderEndpoints, ["10.77.2.31:3306", "10.77.2.32:3306"]);
    });

    it("lets only the primary's node bootstrap, and tells each node its peers and own address", async () => {
        const run = await runDev(GALERA);
        assert.deepEqual(
            NODES.map((key) => [key, container(run, named(key)).inputs.envs]),
            [
                [
                    "server-3-mariadb-primary",
                    ["FOOBAR_GALERA_BOOTSTRAP=1", "FOOBAR_GALERA_PEERS=10.77.2.31 10.77.2.32", "KEEPALIVED_UNICAST_SOURCE=10.77.2.3"],
                ],
                [
                    "server-1-mariadb-replica",
                    ["FOOBAR_GALERA_BOOTSTRAP=0", "FOOBAR_GALERA_PEERS=10.77.2.3 10.77.2.32", "KEEPALIVED_UNICAST_SOURCE=10.77.2.31"],
                ],
                [
                    "server-2-mariadb-replica",
                    ["FOOBAR_GALERA_BOOTSTRAP=0", "FOOBAR_GALERA_PEERS=10.77.2.3 10.77.2.31", "KEEPALIVED_UNICAST_SOURCE=10.77.2.32"],
                ],
            ],
        );
        assert.equal(container(await runDev(), named("server-3-mariadb-primary")).inputs.envs, undefined);
    });

    it("starts the bootstrap node first and waits for it to be healthy; the other nodes depend on it", async () => {
        const run = await runDev(GALERA);
        const primary = container(run, named("server-3-mariadb-primary"));
        assert.equal(primary.inputs.wait, true);
        const containerUrns = new Set(containers(run).map((c) => c.urn));
        assert.deepEqual(
            primary.options.dependencies.filter((urn: string) => containerUrns.has(urn)),
            [],
            "the bootstrap node waits for no container",
        );
        for (const key of NODES.slice(1)) {
            assert.ok(container(run, named(key)).options.dependencies.includes(primary.urn), `${key} waits for the bootstrap node`);
        }
        // Without Galera nothing waits for the primary: replicas retry their connection.
        assert.equal(container(await runDev(), named("server-3-mariadb-primary")).inputs.wait, false);
    });

    it("gives each node its keepalived.conf and the Galera check as health check", async () => {
        const run = await runDev(GALERA);
        for (const [key, source] of [
            ["server-3-mariadb-primary", "10.77.2.3"],
            ["server-1-mariadb-replica", "10.77.2.31"],
            ["server-2-mariadb-replica", "10.77.2.32"],
        ]) {
            const node = container(run, named(key));
            assert.ok(upload(node, "/etc/keepalived/keepalived.conf").includes(`    unicast_src_ip ${source}\n`), key);
            assert.ok(upload(node, "/etc/mysql/mariadb.conf.d/90-foobar.cnf").includes(`wsrep_node_address = ${source}\n`), key);
            assert.deepEqual(node.inputs.healthcheck.tests, ["CMD", "/usr/local/bin/foobar-galera-check"], key);
        }
    });
});
