// Golden files of the default dev topology, shared by render.test.ts (the renderers, wired as in
// production) and stack.test.ts (what the deployed containers receive). UPDATE_GOLDEN=1 rewrites them.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ResolvedArgs } from "../../components/config/resolved";
import { validateArgs } from "../../components/foobarSchema";
import { planDockerNetworks } from "../../components/platforms/docker/plan";
import { dockerView } from "../../components/platforms/docker/view";
import { renderEnvFile } from "../../components/render/app";
import { renderDiagram } from "../../components/render/diagram";
import { HAPROXY_CONFIG_PATH } from "../../components/render/haproxy";
import { MARIADB_BOOTSTRAP_PATH, MARIADB_CONFIG_PATH } from "../../components/render/mariadb";
import { EXPORTER_CLIENT_PATH, EXPORTER_DEFAULTS_PATH } from "../../components/render/mysqldExporter";
import { NGINX_CONFIG_PATH } from "../../components/render/nginx";
import { PROMETHEUS_CONFIG_PATH, PROMETHEUS_DEFAULTS_PATH, PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { SecretLookup, renderService } from "../../components/services";
import { ServicePlan, Topology, buildTopology, primaryOf, replicasOf } from "../../components/topology";
import { loadStackConfig } from "../helpers/pulumiMocks";

export const GOLDEN_DIR = path.join(__dirname, "golden");
/** Stand-ins for the generated passwords: 32 letters and digits, like RandomPassword makes. */
export const FAKE_APP_PASSWORD = "AppPassw0rdFakeFakeFakeFakeFake1";
export const FAKE_REPLICATION_PASSWORD = "ReplPassw0rdFakeFakeFakeFakeFak2";
export const FAKE_MONITOR_PASSWORD = "MoniPassw0rdFakeFakeFakeFakeFak3";
export const FAKE_PROMETHEUS_PASSWORD = "PromPassw0rdFakeFakeFakeFakeFak4";
const FAKE_SECRETS: SecretLookup = (name) =>
    ({
        appPassword: FAKE_APP_PASSWORD,
        replicationPassword: FAKE_REPLICATION_PASSWORD,
        monitorPassword: FAKE_MONITOR_PASSWORD,
        certificatePem: "-----BEGIN CERTIFICATE-----\nFAKE\n-----END CERTIFICATE-----\n",
        privateKeyPem: "-----BEGIN EC PRIVATE KEY-----\nFAKE\n-----END EC PRIVATE KEY-----\n",
        prometheusPassword: FAKE_PROMETHEUS_PASSWORD,
        prometheusPasswordHash: `$2b$10$${"FakeBcryptHash".repeat(4).slice(0, 53)}`,
        databaseCaPem: "-----BEGIN CERTIFICATE-----\nFAKE-DB-CA\n-----END CERTIFICATE-----\n",
        databaseCertPem: "-----BEGIN CERTIFICATE-----\nFAKE-DB-SERVER\n-----END CERTIFICATE-----\n",
        databaseKeyPem: "-----BEGIN EC PRIVATE KEY-----\nFAKE-DB-SERVER\n-----END EC PRIVATE KEY-----\n",
        alertWebhookUrl: "https://hooks.example.org/alertmanager/FAKE",
        alertSmtpPassword: "SmtpPassw0rdFake",
    })[name];

export const GOLDEN_FILES = [
    "haproxy.cfg",
    "nginx.conf",
    "mariadb-primary.cnf",
    "mariadb-replica.cnf",
    "primary-bootstrap.sql",
    "replica-bootstrap.sql",
    "app.env",
    "diagram.mmd",
    "prometheus.yml",
    "prometheus-alerts.yml",
    "prometheus.defaults",
    "mysqld-exporter.cnf",
    "mysqld-exporter.defaults",
] as const;
export type GoldenFile = (typeof GOLDEN_FILES)[number];

/** The `foobar:` keys of Pulumi.dev.yaml as FoobarInfraArgs, validated. */
export function devArgs(): ResolvedArgs {
    const raw = Object.fromEntries(
        Object.entries(loadStackConfig("dev"))
            .filter(([k]) => k.startsWith("foobar:"))
            .map(([k, v]) => [k.slice("foobar:".length), v]),
    );
    return validateArgs(raw);
}

/**
 * Every golden text of a topology, through the production wiring (renderService with the docker
 * platform's view) and fake passwords; a file of a service the topology lacks is "".
 */
export function renderAll(topology: Topology): Record<GoldenFile, string> {
    const context = { topology, view: dockerView(topology, planDockerNetworks(topology)) };
    const fileOf = (service: ServicePlan | undefined, path: string): string => {
        if (service === undefined) return "";
        const file = renderService(context, service).files.find((f) => f.path === path);
        assert.ok(file, `${service.key} has no file ${path}`);
        return "content" in file ? file.content : file.withSecrets(FAKE_SECRETS);
    };
    const [w1] = topology.web;
    const [lb] = topology.loadBalancers;
    const [prometheus] = topology.monitors;
    const [exporter] = topology.exporters;
    const primary = primaryOf(topology);
    const [replica] = replicasOf(topology);
    return {
        "haproxy.cfg": fileOf(lb, HAPROXY_CONFIG_PATH),
        "nginx.conf": fileOf(w1.nginx, NGINX_CONFIG_PATH),
        "mariadb-primary.cnf": fileOf(primary, MARIADB_CONFIG_PATH),
        "mariadb-replica.cnf": fileOf(replica, MARIADB_CONFIG_PATH),
        "primary-bootstrap.sql": fileOf(primary, MARIADB_BOOTSTRAP_PATH),
        "replica-bootstrap.sql": fileOf(replica, MARIADB_BOOTSTRAP_PATH),
        "app.env": renderEnvFile(renderService(context, w1.app).env ?? []),
        "diagram.mmd": renderDiagram(topology),
        "prometheus.yml": fileOf(prometheus, PROMETHEUS_CONFIG_PATH),
        "prometheus-alerts.yml": fileOf(prometheus, PROMETHEUS_RULES_PATH),
        "prometheus.defaults": fileOf(prometheus, PROMETHEUS_DEFAULTS_PATH),
        "mysqld-exporter.cnf": fileOf(exporter, EXPORTER_CLIENT_PATH),
        "mysqld-exporter.defaults": fileOf(exporter, EXPORTER_DEFAULTS_PATH),
    };
}

export const devTopology = (): Topology => buildTopology(devArgs());

export function readGolden(name: GoldenFile): string {
    return fs.readFileSync(path.join(GOLDEN_DIR, name), "utf8");
}

/** Compares the whole text to the golden file; with UPDATE_GOLDEN=1 writes it first. */
export function assertGolden(name: GoldenFile, actual: string): void {
    if (process.env.UPDATE_GOLDEN === "1") {
        fs.mkdirSync(GOLDEN_DIR, { recursive: true });
        fs.writeFileSync(path.join(GOLDEN_DIR, name), actual);
    }
    assert.equal(actual, readGolden(name), `${name} differs from test/unit/golden/${name}; rerun with UPDATE_GOLDEN=1 if intended`);
}
