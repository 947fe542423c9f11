// The network paths the site needs, from the services that need them. Pure.
import {
    AlertmanagerPlan,
    BlackboxPlan,
    DatabasePlan,
    ExporterPlan,
    Flow,
    GaleraPlan,
    HaproxyPlan,
    INTERNET,
    NginxExporterPlan,
    NodeExporterPlan,
    OPERATOR,
    PORTS,
    PrometheusPlan,
    WebServerPlan,
} from "./plans";

export interface FlowSources {
    readonly web: readonly WebServerPlan[];
    readonly loadBalancers: readonly HaproxyPlan[];
    /** The primary first. */
    readonly databases: readonly DatabasePlan[];
    readonly galera?: GaleraPlan;
    readonly monitors: readonly PrometheusPlan[];
    readonly alertmanagers: readonly AlertmanagerPlan[];
    readonly exporters: readonly ExporterPlan[];
    readonly nginxExporters: readonly NginxExporterPlan[];
    readonly nodeExporters: readonly NodeExporterPlan[];
    readonly probers: readonly BlackboxPlan[];
}

export function buildFlows(s: FlowSources): Flow[] {
    const [primary, ...replicas] = s.databases;
    const flows: Flow[] = s.loadBalancers.flatMap((lb) => [
        { from: INTERNET, to: lb, port: PORTS.http, purpose: "HTTP, redirected to HTTPS" },
        { from: INTERNET, to: lb, port: PORTS.https, purpose: "HTTPS" },
    ]);
    for (const w of s.web) {
        flows.push(
            ...s.loadBalancers.map((lb) => ({
                from: lb,
                to: w.nginx,
                port: PORTS.nginx,
                purpose: "load-balanced requests and health checks",
            })),
            { from: w.nginx, to: w.app, port: PORTS.app, purpose: "dynamic requests" },
            // With Galera the write address may be on any node.
            ...(s.galera?.nodes ?? [primary]).map((db) => ({
                from: w.app,
                to: db,
                port: PORTS.mysql,
                purpose: s.galera ? "writes through the write address, wherever it is" : "writes (and reads when no replica answers)",
            })),
        );
        if (w.app.reader) flows.push({ from: w.app, to: w.app.reader, port: PORTS.mysql, purpose: "reads" });
        flows.push(
            ...s.monitors.map((prometheus) => ({ from: prometheus, to: w.app, port: PORTS.appMetrics, purpose: "app metrics scrapes" })),
        );
    }
    if (s.galera) flows.push(...galeraFlows(s.galera));
    // RDS replicates by itself, over no path of ours.
    for (const r of s.galera ? [] : replicas) {
        if (r.kind === "mariadb") flows.push({ from: r, to: primary, port: PORTS.mysql, purpose: "GTID replication" });
    }
    for (const prometheus of s.monitors) {
        flows.push(...s.loadBalancers.map((lb) => ({ from: prometheus, to: lb, port: PORTS.stats, purpose: "metrics scrapes" })), {
            from: OPERATOR,
            to: prometheus,
            port: PORTS.prometheus,
            purpose: "Prometheus UI, API and alerts, for operators",
        });
    }
    for (const alertmanager of s.alertmanagers) {
        flows.push(
            ...s.monitors.map((prometheus) => ({
                from: prometheus,
                to: alertmanager,
                port: PORTS.alertmanager,
                purpose: "alerts to Alertmanager",
            })),
            // A pair's Alertmanagers are one cluster: one notification per alert, whichever receives it.
            ...s.alertmanagers
                .filter((peer) => peer !== alertmanager)
                .flatMap((peer): Flow[] => [
                    { from: peer, to: alertmanager, port: PORTS.alertmanagerCluster, purpose: "Alertmanager cluster gossip" },
                    {
                        from: peer,
                        to: alertmanager,
                        port: PORTS.alertmanagerCluster,
                        protocol: "udp",
                        purpose: "Alertmanager cluster gossip",
                    },
                ]),
        );
    }
    for (const e of s.exporters) {
        flows.push(
            ...s.monitors.map((prometheus) => ({
                from: prometheus,
                to: e,
                port: PORTS.mysqldExporter,
                purpose: "database metrics scrapes",
            })),
            { from: e, to: e.watches, port: PORTS.mysql, purpose: "server and replication status reads" },
        );
    }
    for (const e of s.nginxExporters) {
        flows.push(
            ...s.monitors.map((prometheus) => ({ from: prometheus, to: e, port: PORTS.nginxExporter, purpose: "nginx metrics scrapes" })),
            { from: e, to: e.watches, port: PORTS.nginxStatus, purpose: "stub_status reads" },
        );
    }
    for (const n of s.nodeExporters) {
        flows.push(
            ...s.monitors.map((prometheus) => ({ from: prometheus, to: n, port: PORTS.nodeExporter, purpose: "host metrics scrapes" })),
        );
    }
    for (const b of s.probers) {
        // Its own Prometheus only: two would double its probes of the site.
        const prometheus = s.monitors.find((m) => m.server === b.server);
        if (prometheus) flows.push({ from: prometheus, to: b, port: PORTS.blackboxExporter, purpose: "probes of the public URL" });
        // It goes out to the public URL as any visitor: the load balancers' HTTPS, wherever they are.
        flows.push(...s.loadBalancers.map((lb) => ({ from: b, to: lb, port: PORTS.https, purpose: "probes of the public URL" })));
    }
    return flows;
}

/** Every node talks to every other: group communication, and state transfers to a node that (re)joins. */
function galeraFlows(galera: GaleraPlan): Flow[] {
    const ports = [
        // Also where a starting node's start script asks whether a cluster runs before it may start a new one.
        [PORTS.galera, "Galera group communication"],
        [PORTS.galeraIst, "Galera incremental state transfer"],
        [PORTS.galeraSst, "Galera full state transfer"],
    ] as const;
    return galera.nodes.flatMap((from) =>
        galera.nodes.filter((to) => to !== from).flatMap((to) => ports.map(([port, purpose]) => ({ from, to, port, purpose }))),
    );
}
