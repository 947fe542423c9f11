// Prometheus (config, alert rules, daemon flags) and the mysqld exporter beside each database.
import { publicProbeUrl } from "../render/blackbox";
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
import { ExporterPlan, MONITOR_USER, PORTS, PrometheusPlan, ServicePlan, Topology, replicasOf } from "../topology";
import { RenderedService, ServiceContext, httpCheck, scrapedAt } from "./types";

/**
 * The alert rules of the stack's Prometheus servers: what they scrape decides which rules apply.
 * Every Prometheus gets the same (each has its blackbox exporter; aws ships them as one S3 bundle).
 */
export function alertRulesOf(topology: Topology): string {
    const { scrapeIntervalSeconds } = topology.args.monitoring;
    const databases = topology.exporters.length > 0;
    // Semi-sync is on where a primary of ours has replicas of ours to acknowledge (mariadb.ts).
    const semiSync = databases && replicasOf(topology).some((r) => r.kind === "mariadb");
    return renderAlertRules({
        scrapeIntervalSeconds,
        databases,
        semiSync,
        loadBalancers: topology.loadBalancers.length,
        ...(topology.galera ? { galera: { nodes: topology.galera.nodes.length } } : {}),
        hosts: topology.nodeExporters.length > 0,
        probes: topology.probers.length > 0,
        notifications: topology.alertmanagers.length > 0,
    });
}

export function prometheusService({ topology, view }: ServiceContext, prometheus: PrometheusPlan): RenderedService {
    const { scrapeIntervalSeconds, retentionDays } = topology.args.monitoring;
    // A Galera cluster's nodes are alike and its writer moves: its own labels.
    const galera = topology.galera ? { galera: { nodes: topology.galera.nodes.length } } : {};
    // Its own blackbox exporter only: each Prometheus probes the site from its own server.
    const prober = topology.probers.find((b) => b.server === prometheus.server);
    // Where this Prometheus scrapes a service, labelled with its server.
    const target = (service: ServicePlan, port: number) => ({ target: `${view.reach(prometheus, service)}:${port}`, host: service.server });
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
        appTargets: topology.web.map((w) => target(w.app, PORTS.appMetrics)),
        nginxTargets: topology.nginxExporters.map((e) => target(e, PORTS.nginxExporter)),
        nodeTargets: topology.nodeExporters.map((n) => target(n, PORTS.nodeExporter)),
        ...(prober
            ? {
                  probe: {
                      prober: `${view.reach(prometheus, prober)}:${PORTS.blackboxExporter}`,
                      host: prober.server,
                      url: publicProbeUrl(topology.args.domain),
                  },
              }
            : {}),
        ...galera,
    });
    return {
        files: [
            { path: PROMETHEUS_CONFIG_PATH, content: config },
            { path: PROMETHEUS_RULES_PATH, content: alertRulesOf(topology) },
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

export function exporterService(context: ServiceContext, exporter: ExporterPlan): RenderedService {
    const listenAddress = scrapedAt(context, exporter);
    const host = context.view.reach(exporter, exporter.watches);
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
