// Prometheus (config, alert rules, daemon flags) and the mysqld exporter beside each database.
import { DATABASE_CA_PATH } from "../render/mariadb";
import { EXPORTER_CLIENT_PATH, EXPORTER_DEFAULTS_PATH, renderExporterClient, renderExporterDefaults } from "../render/mysqldExporter";
import {
    PROMETHEUS_CONFIG_PATH,
    PROMETHEUS_DEFAULTS_PATH,
    PROMETHEUS_RULES_PATH,
    renderAlertRules,
    renderPrometheusConfig,
    renderPrometheusDefaults,
} from "../render/prometheus";
import {
    PROMETHEUS_NETRC_PATH,
    PROMETHEUS_PASSWORD_PATH,
    PROMETHEUS_WEB_CONFIG_PATH,
    renderNetrc,
    renderPrometheusWebConfig,
} from "../render/prometheusAuth";
import { ExporterPlan, MONITOR_USER, PORTS, PrometheusPlan, replicasOf } from "../topology";
import { RenderedService, ServiceContext, httpCheck } from "./types";

export function prometheusService({ topology, view }: ServiceContext, prometheus: PrometheusPlan): RenderedService {
    const { scrapeIntervalSeconds, retentionDays } = topology.args.monitoring;
    // A Galera cluster's nodes are alike and its writer moves: its own labels and rules.
    const galera = topology.galera ? { galera: { nodes: topology.galera.nodes.length } } : {};
    const config = renderPrometheusConfig({
        scrapeIntervalSeconds,
        haproxyTargets: topology.loadBalancers.map((lb) => ({ target: `${view.statsAddress(lb)}:${PORTS.stats}`, host: lb.server })),
        externalLabels: { site: topology.args.domain },
        listenPort: PORTS.prometheus,
        databaseTargets: topology.exporters.map((e) => ({
            target: `${view.reach(prometheus, e)}:${PORTS.mysqldExporter}`,
            host: e.server,
            role: e.watches.role,
        })),
        alertmanagers: topology.alertmanagers.map((a) => `${view.reach(prometheus, a)}:${PORTS.alertmanager}`),
        ...galera,
    });
    const databases = topology.exporters.length > 0;
    // Semi-sync is on where a primary of ours has replicas of ours to acknowledge (mariadb.ts).
    const semiSync = databases && replicasOf(topology).some((r) => r.kind === "mariadb");
    return {
        files: [
            { path: PROMETHEUS_CONFIG_PATH, content: config },
            {
                path: PROMETHEUS_RULES_PATH,
                content: renderAlertRules({
                    scrapeIntervalSeconds,
                    databases,
                    semiSync,
                    loadBalancers: topology.loadBalancers.length,
                    ...galera,
                }),
            },
            { path: PROMETHEUS_DEFAULTS_PATH, content: renderPrometheusDefaults({ listenPort: PORTS.prometheus, retentionDays }) },
            { path: PROMETHEUS_WEB_CONFIG_PATH, withSecrets: (secret) => renderPrometheusWebConfig(secret("prometheusPasswordHash")) },
            { path: PROMETHEUS_PASSWORD_PATH, withSecrets: (secret) => secret("prometheusPassword") },
            { path: PROMETHEUS_NETRC_PATH, withSecrets: (secret) => renderNetrc("127.0.0.1", secret("prometheusPassword")) },
        ],
        // Every endpoint asks for the password, /-/ready included: curl reads it from the netrc file.
        healthcheck: [
            "CMD",
            "curl",
            "-fsS",
            "-o",
            "/dev/null",
            "--netrc-file",
            PROMETHEUS_NETRC_PATH,
            `http://127.0.0.1:${PORTS.prometheus}/-/ready`,
        ],
    };
}

export function exporterService({ topology, view }: ServiceContext, exporter: ExporterPlan): RenderedService {
    // It listens only where Prometheus scrapes it: every Prometheus reaches it at the same address.
    const [prometheus] = topology.monitors;
    if (!prometheus) throw new Error(`${exporter.key}: an exporter needs a Prometheus to scrape it`);
    const listenAddress = view.reach(prometheus, exporter);
    const host = view.reach(exporter, exporter.watches);
    return {
        files: [
            {
                path: EXPORTER_CLIENT_PATH,
                withSecrets: (secret) =>
                    renderExporterClient({
                        host,
                        port: PORTS.mysql,
                        user: MONITOR_USER,
                        password: secret("monitorPassword"),
                        caFile: DATABASE_CA_PATH,
                    }),
            },
            { path: DATABASE_CA_PATH, withSecrets: (secret) => secret("databaseCaPem") },
            { path: EXPORTER_DEFAULTS_PATH, content: renderExporterDefaults({ listenAddress, listenPort: PORTS.mysqldExporter }) },
        ],
        healthcheck: httpCheck(`http://${listenAddress}:${PORTS.mysqldExporter}/metrics`),
    };
}
