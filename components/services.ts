// What each service needs on its server: files (config and secrets), environment and a health
// check, from the shared renderers. Both platforms deliver exactly this; only the delivery differs.
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "./credentials";
import { APP_DB_USER, DATABASE_NAME, MONITOR_USER, PORTS, REPLICATION_USER, ServicePlan, Topology, service, webServerOf } from "./topology";
import { APP_PASSWORD_PATH, appEnvironment } from "./render/app";
import { HAPROXY_CERT_PATH, HAPROXY_CONFIG_PATH, haproxyCertBundle, renderHaproxyConfig } from "./render/haproxy";
import {
    MARIADB_BOOTSTRAP_PATH,
    MARIADB_CONFIG_PATH,
    renderMariadbConfig,
    renderPrimaryBootstrap,
    renderReplicaBootstrap,
} from "./render/mariadb";
import { EXPORTER_CLIENT_PATH, EXPORTER_DEFAULTS_PATH, renderExporterClient, renderExporterDefaults } from "./render/mysqldExporter";
import { NGINX_CONFIG_PATH, renderNginxConfig } from "./render/nginx";
import {
    PROMETHEUS_CONFIG_PATH,
    PROMETHEUS_DEFAULTS_PATH,
    PROMETHEUS_RULES_PATH,
    renderAlertRules,
    renderPrometheusConfig,
    renderPrometheusDefaults,
} from "./render/prometheus";

export interface ServiceFile {
    readonly path: string;
    /** Secret Outputs stay secret all the way into the resource that delivers them. */
    readonly content: pulumi.Input<string>;
}

export interface RenderedService {
    readonly files: readonly ServiceFile[];
    readonly env?: ReadonlyArray<readonly [string, string]>;
    /** A command that exits 0 when the service answers. */
    readonly healthcheck: string[];
}

export interface PlatformView {
    /** The address `from` uses to reach `to`. */
    reach(from: string, to: string): string;
    /** Where the app listens: its own container address space, or loopback behind nginx on a VM. */
    readonly appListenHost: string;
    /** Internal address HAProxy serves stats and metrics on. */
    readonly statsAddress: string;
    /** The HTTPS port clients see (the published one on docker). */
    readonly publicHttpsPort: number;
    /** Host pattern MariaDB users may connect from, e.g. "10.77.3.%". */
    readonly databaseClientHost: string;
}

export const SEMI_SYNC_TIMEOUT_MS = 1000;

/** A health check that passes when `url` answers 2xx (every image but the app's and MariaDB's has curl). */
const httpCheck = (url: string): string[] => ["CMD", "curl", "-fsS", "-o", "/dev/null", url];

export function renderService(topology: Topology, svc: ServicePlan, credentials: Credentials, view: PlatformView): RenderedService {
    const { args } = topology;
    switch (svc.kind) {
        case "haproxy": {
            const config = renderHaproxyConfig({
                domain: args.domain,
                algorithm: args.lb.algorithm,
                healthCheck: args.lb.healthCheck,
                servers: topology.web.map((w) => ({
                    name: w.server,
                    address: view.reach(svc.key, w.nginx),
                    port: PORTS.nginx,
                    backup: w.backup,
                })),
                httpPort: PORTS.http,
                httpsPort: PORTS.https,
                publicHttpsPort: view.publicHttpsPort,
                statsBind: `${view.statsAddress}:${PORTS.stats}`,
            });
            const bundle = pulumi.all([credentials.certificatePem, credentials.privateKeyPem]).apply(([c, k]) => haproxyCertBundle(c, k));
            return {
                files: [
                    { path: HAPROXY_CONFIG_PATH, content: config },
                    { path: HAPROXY_CERT_PATH, content: pulumi.secret(bundle) },
                ],
                healthcheck: httpCheck(`http://${view.statsAddress}:${PORTS.stats}/stats`),
            };
        }
        case "nginx": {
            const web = webServerOf(topology, svc.key);
            const config = renderNginxConfig({
                serverName: svc.server,
                domain: args.domain,
                listenPort: PORTS.nginx,
                appAddress: view.reach(svc.key, web.app),
                appPort: PORTS.app,
            });
            return {
                files: [{ path: NGINX_CONFIG_PATH, content: config }],
                healthcheck: httpCheck(`http://127.0.0.1:${PORTS.nginx}/nginx-health`),
            };
        }
        case "app": {
            const web = webServerOf(topology, svc.key);
            const env = appEnvironment({
                serverName: svc.server,
                domain: args.domain,
                listenHost: view.appListenHost,
                port: PORTS.app,
                writerHost: view.reach(svc.key, topology.primary),
                readerHost: web.reader === undefined ? undefined : view.reach(svc.key, web.reader),
                dbPort: PORTS.mysql,
                database: DATABASE_NAME,
                user: APP_DB_USER,
            });
            return {
                files: [{ path: APP_PASSWORD_PATH, content: credentials.appPassword }],
                env,
                healthcheck: [
                    "CMD",
                    "node",
                    "-e",
                    `require("http").get("http://127.0.0.1:${PORTS.app}/healthz", (r) => process.exit(r.statusCode === 200 ? 0 : 1)).on("error", () => process.exit(1))`,
                ],
            };
        }
        case "mariadb-primary": {
            const monitored = topology.exporters.length > 0;
            const bootstrap = pulumi
                .all([credentials.appPassword, replicationPasswordOf(credentials), monitored ? monitorPasswordOf(credentials) : ""])
                .apply(([appPassword, replicationPassword, monitorPassword]) =>
                    renderPrimaryBootstrap({
                        database: DATABASE_NAME,
                        appUser: APP_DB_USER,
                        appPassword,
                        replicationUser: REPLICATION_USER,
                        replicationPassword,
                        // Created on the primary, the user replicates to every replica with the rest.
                        ...(monitored ? { monitorUser: MONITOR_USER, monitorPassword } : {}),
                        clientHost: view.databaseClientHost,
                    }),
                );
            const config = renderMariadbConfig({
                role: "primary",
                serverId: svc.serverId as number,
                port: PORTS.mysql,
                semiSync: topology.replicas.length > 0,
                semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
            });
            return mariadb(config, pulumi.secret(bootstrap));
        }
        case "mariadb-replica": {
            const bootstrap = replicationPasswordOf(credentials).apply((replicationPassword) =>
                renderReplicaBootstrap({
                    primaryHost: view.reach(svc.key, topology.primary),
                    primaryPort: PORTS.mysql,
                    replicationUser: REPLICATION_USER,
                    replicationPassword,
                }),
            );
            const config = renderMariadbConfig({
                role: "replica",
                serverId: svc.serverId as number,
                port: PORTS.mysql,
                semiSync: false,
                semiSyncTimeoutMs: SEMI_SYNC_TIMEOUT_MS,
            });
            return mariadb(config, pulumi.secret(bootstrap));
        }
        case "prometheus": {
            const { scrapeIntervalSeconds, retentionDays } = args.monitoring;
            const config = renderPrometheusConfig({
                scrapeIntervalSeconds,
                haproxyTarget: `${view.statsAddress}:${PORTS.stats}`,
                lbServer: topology.lbServer,
                externalLabels: { site: args.domain },
                listenPort: PORTS.prometheus,
                databaseTargets: topology.exporters.map((key) => {
                    const exporter = service(topology, key);
                    return {
                        target: `${view.reach(svc.key, key)}:${PORTS.mysqldExporter}`,
                        host: exporter.server,
                        role: exporter.watches === topology.primary ? "primary" : "replica",
                    };
                }),
            });
            const databases = topology.exporters.length > 0;
            return {
                files: [
                    { path: PROMETHEUS_CONFIG_PATH, content: config },
                    { path: PROMETHEUS_RULES_PATH, content: renderAlertRules({ scrapeIntervalSeconds, databases }) },
                    { path: PROMETHEUS_DEFAULTS_PATH, content: renderPrometheusDefaults({ listenPort: PORTS.prometheus, retentionDays }) },
                ],
                healthcheck: httpCheck(`http://127.0.0.1:${PORTS.prometheus}/-/ready`),
            };
        }
        case "mysqld-exporter": {
            const database = svc.watches as string;
            // It listens only where Prometheus scrapes it.
            const listenAddress = view.reach(topology.prometheus as string, svc.key);
            const client = monitorPasswordOf(credentials).apply((password) =>
                renderExporterClient({ host: view.reach(svc.key, database), port: PORTS.mysql, user: MONITOR_USER, password }),
            );
            return {
                files: [
                    { path: EXPORTER_CLIENT_PATH, content: pulumi.secret(client) },
                    { path: EXPORTER_DEFAULTS_PATH, content: renderExporterDefaults({ listenAddress, listenPort: PORTS.mysqldExporter }) },
                ],
                healthcheck: httpCheck(`http://${listenAddress}:${PORTS.mysqldExporter}/metrics`),
            };
        }
        default: {
            const never: never = svc.kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

function replicationPasswordOf(credentials: Credentials): pulumi.Output<string> {
    if (!credentials.replicationPassword) throw new Error("a self-managed MariaDB needs the replication password");
    return credentials.replicationPassword;
}

function monitorPasswordOf(credentials: Credentials): pulumi.Output<string> {
    if (!credentials.monitorPassword) throw new Error("a mysqld exporter needs the monitor password");
    return credentials.monitorPassword;
}

function mariadb(config: string, bootstrap: pulumi.Output<string>): RenderedService {
    return {
        files: [
            { path: MARIADB_CONFIG_PATH, content: config },
            { path: MARIADB_BOOTSTRAP_PATH, content: bootstrap },
        ],
        healthcheck: ["CMD", "mariadb-admin", "ping", "--silent"],
    };
}
