// The exporters that watch more than the databases: a node exporter on every server, an nginx
// exporter beside each nginx, and a blackbox exporter beside each Prometheus that visits the public URL.
import {
    BLACKBOX_CONFIG_PATH,
    BLACKBOX_DEFAULTS_PATH,
    BLACKBOX_SITE_CERTIFICATE_PATH,
    renderBlackboxConfig,
    renderBlackboxDefaults,
} from "../render/blackbox";
import { NGINX_EXPORTER_DEFAULTS_PATH, renderNginxExporterDefaults } from "../render/nginxExporter";
import { NODE_EXPORTER_DEFAULTS_PATH, renderNodeExporterDefaults } from "../render/nodeExporter";
import { BlackboxPlan, NginxExporterPlan, NodeExporterPlan, PORTS } from "../topology";
import { RenderedService, ServiceContext, httpCheck, scrapedAt } from "./types";

export function nodeExporterService(context: ServiceContext, exporter: NodeExporterPlan): RenderedService {
    const listenAddress = scrapedAt(context, exporter);
    return {
        files: [
            {
                path: NODE_EXPORTER_DEFAULTS_PATH,
                content: renderNodeExporterDefaults({ listenAddress, listenPort: PORTS.nodeExporter }),
            },
        ],
        healthcheck: httpCheck(`http://${listenAddress}:${PORTS.nodeExporter}/metrics`),
    };
}

export function blackboxService({ topology, view }: ServiceContext, prober: BlackboxPlan): RenderedService {
    const prometheus = topology.monitors.find((m) => m.server === prober.server);
    if (!prometheus) throw new Error(`${prober.key}: a blackbox exporter needs the Prometheus on its server`);
    const listenAddress = view.reach(prometheus, prober);
    return {
        files: [
            { path: BLACKBOX_CONFIG_PATH, content: renderBlackboxConfig() },
            { path: BLACKBOX_DEFAULTS_PATH, content: renderBlackboxDefaults({ listenAddress, listenPort: PORTS.blackboxExporter }) },
            // Public material, handed over as the credentials are (on aws it rides in user data as it is).
            { path: BLACKBOX_SITE_CERTIFICATE_PATH, withSecrets: (secret) => secret("certificatePem") },
        ],
        healthcheck: httpCheck(`http://${listenAddress}:${PORTS.blackboxExporter}/-/healthy`),
    };
}

export function nginxExporterService(context: ServiceContext, exporter: NginxExporterPlan): RenderedService {
    const listenAddress = scrapedAt(context, exporter);
    return {
        files: [
            {
                path: NGINX_EXPORTER_DEFAULTS_PATH,
                content: renderNginxExporterDefaults({
                    statusAddress: `${context.view.reach(exporter, exporter.watches)}:${PORTS.nginxStatus}`,
                    listenAddress,
                    listenPort: PORTS.nginxExporter,
                }),
            },
        ],
        healthcheck: httpCheck(`http://${listenAddress}:${PORTS.nginxExporter}/metrics`),
    };
}
