// HAProxy's files: haproxy.cfg over the web servers, and the certificate bundle (a secret).
import { HAPROXY_CERT_PATH, HAPROXY_CONFIG_PATH, haproxyCertBundle, renderHaproxyConfig } from "../render/haproxy";
import { HaproxyPlan, PORTS } from "../topology";
import { RenderedService, ServiceContext, httpCheck } from "./types";

export function haproxyService({ topology, view }: ServiceContext, haproxy: HaproxyPlan): RenderedService {
    const { args } = topology;
    const stats = `${view.statsAddress(haproxy)}:${PORTS.stats}`;
    const config = renderHaproxyConfig({
        domain: args.domain,
        algorithm: args.lb.algorithm,
        healthCheck: args.lb.healthCheck,
        servers: topology.web.map((w) => ({ name: w.server, address: view.reach(haproxy, w.nginx), port: PORTS.nginx, backup: w.backup })),
        httpPort: PORTS.http,
        httpsPort: PORTS.https,
        publicHttpsPort: view.publicHttpsPort,
        statsBind: stats,
        pair: view.pairOf(haproxy),
    });
    return {
        files: [
            { path: HAPROXY_CONFIG_PATH, content: config },
            { path: HAPROXY_CERT_PATH, withSecrets: (secret) => haproxyCertBundle(secret("certificatePem"), secret("privateKeyPem")) },
        ],
        healthcheck: httpCheck(`http://${stats}/stats`),
    };
}
