// Golden files of the default dev topology, shared by render.test.ts (pure renderers) and
// stack.test.ts (what the deployed containers receive). UPDATE_GOLDEN=1 rewrites them.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ResolvedArgs } from "../../components/config/args";
import { validateArgs } from "../../components/config/validate";
import { planDockerNetworks } from "../../components/dockerPlan";
import { appEnvironment, renderEnvFile } from "../../components/render/app";
import { renderDiagram } from "../../components/render/diagram";
import { renderHaproxyConfig } from "../../components/render/haproxy";
import { renderMariadbConfig, renderPrimaryBootstrap, renderReplicaBootstrap } from "../../components/render/mariadb";
import { renderNginxConfig } from "../../components/render/nginx";
import { renderExporterClient, renderExporterDefaults } from "../../components/render/mysqldExporter";
import { renderAlertRules, renderPrometheusConfig, renderPrometheusDefaults } from "../../components/render/prometheus";
import { SEMI_SYNC_TIMEOUT_MS } from "../../components/services";
import {
    APP_DB_USER,
    DATABASE_NAME,
    MONITOR_USER,
    PORTS,
    REPLICATION_USER,
    Topology,
    buildTopology,
    service,
} from "../../components/topology";
import { loadStackConfig } from "../helpers/pulumiMocks";

export const GOLDEN_DIR = path.join(__dirname, "golden");
/** Stand-ins for the generated passwords: 32 letters and digits, like RandomPassword makes. */
export const FAKE_APP_PASSWORD = "AppPassw0rdFakeFakeFakeFakeFake1";
export const FAKE_REPLICATION_PASSWORD = "ReplPassw0rdFakeFakeFakeFakeFak2";
export const FAKE_MONITOR_PASSWORD = "MoniPassw0rdFakeFakeFakeFakeFak3";

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

/** Every golden text of a topology, rendered the way the docker backend wires the renderers. */
export function renderAll(topology: Topology): Record<GoldenFile, string> {
    const { args } = topology;
    const plan = planDockerNetworks(topology);
    const web = plan.segments.find((s) => s.name === "web");
    const data = plan.segments.find((s) => s.name === "data");
    const statsAddress = web?.members.get(topology.haproxy) as string;
    const clientHost = `${(data?.subnet as string).split(".").slice(0, 3).join(".")}.%`;
    const w1 = topology.web[0];
    const replica = topology.replicas.at(0);
    const exporter = topology.exporters.at(0);
    const exporterAddress = exporter && topology.prometheus ? plan.reach(topology.prometheus, exporter) : "";
    return {
        "haproxy.cfg": renderHaproxyConfig({
            domain: args.domain,
            algorithm: args.lb.algorithm,
            healthCheck: args.lb.healthCheck,
            servers: topology.web.map((w) => ({
                name: w.server,
                address: plan.reach(topology.haproxy, w.nginx),
                port: PORTS.nginx,
                backup: w.backup,
            })),
            httpPort: PORTS.http,
            httpsPort: PORTS.https,
            publicHttpsPort: args.docker.httpsPort,
            statsBind: `${statsAddress}:${PORTS.stats}`,
        }),
        "nginx.conf": renderNginxConfig({
            serverName: w1.server,
            domain: args.domain,
            listenPort: PORTS.nginx,
            appAddress: plan.reach(w1.nginx, w1.app),
            appPort: PORTS.app,
        }),
        "mariadb-primary.cnf": renderMariadbConfig({
            role: "primary",
            serverId: 1,
            port: PORTS.mysql,
            semiSync: topology.replicas.length > 0,
            semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
        }),
        "mariadb-replica.cnf": renderMariadbConfig({
            role: "replica",
            serverId: 101,
            port: PORTS.mysql,
            semiSync: false,
            semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
        }),
        "primary-bootstrap.sql": renderPrimaryBootstrap({
            database: DATABASE_NAME,
            appUser: APP_DB_USER,
            appPassword: FAKE_APP_PASSWORD,
            replicationUser: REPLICATION_USER,
            replicationPassword: FAKE_REPLICATION_PASSWORD,
            ...(exporter ? { monitorUser: MONITOR_USER, monitorPassword: FAKE_MONITOR_PASSWORD } : {}),
            clientHost,
        }),
        // Without replicas there is no replica bootstrap: "".
        "replica-bootstrap.sql":
            replica === undefined
                ? ""
                : renderReplicaBootstrap({
                      primaryHost: plan.reach(replica, topology.primary),
                      primaryPort: PORTS.mysql,
                      replicationUser: REPLICATION_USER,
                      replicationPassword: FAKE_REPLICATION_PASSWORD,
                  }),
        "app.env": renderEnvFile(
            appEnvironment({
                serverName: w1.server,
                domain: args.domain,
                listenHost: "0.0.0.0",
                port: PORTS.app,
                writerHost: plan.reach(w1.app, topology.primary),
                readerHost: w1.reader === undefined ? undefined : plan.reach(w1.app, w1.reader),
                dbPort: PORTS.mysql,
                database: DATABASE_NAME,
                user: APP_DB_USER,
            }),
        ),
        "diagram.mmd": renderDiagram(topology),
        "prometheus.yml": renderPrometheusConfig({
            scrapeIntervalSeconds: args.monitoring.scrapeIntervalSeconds,
            haproxyTarget: `${statsAddress}:${PORTS.stats}`,
            lbServer: topology.lbServer,
            externalLabels: { site: args.domain },
            listenPort: PORTS.prometheus,
            databaseTargets: topology.exporters.map((key) => ({
                target: `${plan.reach(topology.prometheus as string, key)}:${PORTS.mysqldExporter}`,
                host: service(topology, key).server,
                role: service(topology, key).watches === topology.primary ? "primary" : "replica",
            })),
        }),
        "prometheus-alerts.yml": renderAlertRules({
            scrapeIntervalSeconds: args.monitoring.scrapeIntervalSeconds,
            databases: topology.exporters.length > 0,
        }),
        "prometheus.defaults": renderPrometheusDefaults({ listenPort: PORTS.prometheus, retentionDays: args.monitoring.retentionDays }),
        // Without exporters (monitoring off, RDS) there are no exporter files: "".
        "mysqld-exporter.cnf":
            exporter === undefined
                ? ""
                : renderExporterClient({
                      host: plan.reach(exporter, service(topology, exporter).watches as string),
                      port: PORTS.mysql,
                      user: MONITOR_USER,
                      password: FAKE_MONITOR_PASSWORD,
                  }),
        "mysqld-exporter.defaults":
            exporter === undefined ? "" : renderExporterDefaults({ listenAddress: exporterAddress, listenPort: PORTS.mysqldExporter }),
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
