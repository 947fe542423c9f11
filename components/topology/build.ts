// buildTopology: which services run on which server, and the flows between them. Pure.
import { ResolvedArgs } from "../config/resolved";
import { buildFlows } from "./flows";
import {
    AlertmanagerPlan,
    BlackboxPlan,
    AppPlan,
    DatabasePlan,
    GaleraPlan,
    ExporterPlan,
    HaproxyPlan,
    KeepalivedPlan,
    LoadBalancerFront,
    MANAGED_SERVER,
    MariadbPlan,
    NginxExporterPlan,
    NodeExporterPlan,
    PrometheusPlan,
    ServerPlan,
    ServerRole,
    ServicePlan,
    Topology,
    WebServerPlan,
    serverName,
} from "./plans";

export const PRIMARY_SERVER_ID = 1;
/** Replica ids start well above the primary's, so a new primary id never collides with one. */
export const replicaServerId = (webIndex: number): number => 100 + webIndex;

/** The primary on the load balancer's server (or RDS), replicas on the first web servers (or RDS read replicas). */
function planDatabases(args: ResolvedArgs, lbServer: string): { primary: DatabasePlan; replicas: DatabasePlan[] } {
    const count = args.database.replicas;
    if (args.database.mode === "managed") {
        return {
            primary: { kind: "rds", key: `${MANAGED_SERVER}-primary`, server: MANAGED_SERVER, role: "primary" },
            replicas: Array.from({ length: count }, (_, i) => ({
                kind: "rds" as const,
                key: `${MANAGED_SERVER}-replica-${i + 1}`,
                server: MANAGED_SERVER,
                role: "replica" as const,
            })),
        };
    }
    const mariadb = (server: string, role: MariadbPlan["role"], serverId: number): MariadbPlan => ({
        kind: "mariadb",
        key: `${server}-mariadb-${role}`,
        server,
        role,
        serverId,
    });
    return {
        primary: mariadb(lbServer, "primary", PRIMARY_SERVER_ID),
        replicas: Array.from({ length: count }, (_, i) => mariadb(serverName(i + 1), "replica", replicaServerId(i + 1))),
    };
}

function planWebServers(args: ResolvedArgs, replicas: readonly DatabasePlan[]): WebServerPlan[] {
    return Array.from({ length: args.webServers }, (_, i) => {
        const server = serverName(i + 1);
        // A server without its own replica reads from one on another server, spreading the load.
        const reader = replicas.length > 0 ? replicas[i % replicas.length] : undefined;
        const app: AppPlan = { kind: "app", key: `${server}-app`, server, reader };
        return {
            server,
            nginx: { kind: "nginx", key: `${server}-nginx`, server, app },
            app,
            backup: args.lb.mode === "active-passive" && i > 0,
        };
    });
}

/**
 * A pair's address floats by VRRP where both share a layer-2 network (docker); on AWS a Network
 * Load Balancer fronts them, since a VPC routes each address to one interface of its choosing.
 */
function frontOf(args: ResolvedArgs): LoadBalancerFront {
    if (args.lb.count === 1) return "single";
    return args.platform === "aws" ? "nlb" : "keepalived";
}

/**
 * VRRP priorities, in load-balancer order. The server with no database starts with the address:
 * losing the server that holds it then costs only the load balancer, never the primary too.
 */
const KEEPALIVED_PRIORITIES = [100, 150];

/** The write address starts on the plan's primary (150), then falls to the replicas in order (100, 99, ...). */
function planGalera(args: ResolvedArgs, databases: readonly DatabasePlan[]): GaleraPlan | undefined {
    if (args.database.failover !== "automatic") return undefined;
    const nodes = databases.filter((d): d is MariadbPlan => d.kind === "mariadb");
    if (nodes.length === 0) return undefined;
    return {
        nodes,
        bootstrap: nodes[0],
        writePriority: new Map(nodes.map((n, i) => [n.key, i === 0 ? 150 : 101 - i])),
    };
}

export function buildTopology(args: ResolvedArgs): Topology {
    const lbServers = Array.from({ length: args.lb.count }, (_, i) => serverName(args.webServers + 1 + i));
    const [lbServer] = lbServers;
    const { primary, replicas } = planDatabases(args, lbServer);
    const web = planWebServers(args, replicas);
    const loadBalancers: HaproxyPlan[] = lbServers.map((server) => ({ kind: "haproxy", key: `${server}-haproxy`, server }));
    const front = frontOf(args);
    const keepalived: KeepalivedPlan[] =
        front === "keepalived"
            ? loadBalancers.map((haproxy, i) => ({
                  kind: "keepalived",
                  key: `${haproxy.server}-keepalived`,
                  server: haproxy.server,
                  haproxy,
                  priority: KEEPALIVED_PRIORITIES[i],
              }))
            : [];
    const monitors: PrometheusPlan[] = args.monitoring.enabled
        ? lbServers.map((server) => ({ kind: "prometheus", key: `${server}-prometheus`, server }))
        : [];
    const alertmanagers: AlertmanagerPlan[] = monitors.map((m) => ({
        kind: "alertmanager",
        key: `${m.server}-alertmanager`,
        server: m.server,
    }));
    // RDS reports to CloudWatch; our own databases get an exporter on their own server.
    const ownDatabases = [...replicas, primary].filter((d): d is MariadbPlan => d.kind === "mariadb");
    const exporters: ExporterPlan[] =
        monitors.length > 0
            ? ownDatabases.map((db) => ({ kind: "mysqld-exporter", key: `${db.server}-mysqld-exporter`, server: db.server, watches: db }))
            : [];
    const servers = [...web.map((w) => w.server), ...lbServers];
    const nodeExporters: NodeExporterPlan[] =
        monitors.length > 0 ? servers.map((server) => ({ kind: "node-exporter", key: `${server}-node-exporter`, server })) : [];
    const nginxExporters: NginxExporterPlan[] =
        monitors.length > 0
            ? web.map((w) => ({ kind: "nginx-exporter", key: `${w.server}-nginx-exporter`, server: w.server, watches: w.nginx }))
            : [];
    const probers: BlackboxPlan[] = monitors.map((m) => ({
        kind: "blackbox-exporter",
        key: `${m.server}-blackbox-exporter`,
        server: m.server,
    }));
    const services: ServicePlan[] = [
        ...web.flatMap((w) => [w.nginx, w.app, ...replicas.filter((r) => r.server === w.server)]),
        ...replicas.filter((r) => r.server === MANAGED_SERVER),
        ...loadBalancers.flatMap((lb) => [
            lb,
            ...keepalived.filter((k) => k.haproxy === lb),
            ...(lb.server === primary.server ? [primary] : []),
        ]),
        ...(loadBalancers.some((lb) => lb.server === primary.server) ? [] : [primary]),
        ...monitors,
        ...alertmanagers,
        ...probers,
        ...exporters,
        ...nginxExporters,
        ...nodeExporters,
    ];
    const roleOf = (name: string): ServerRole => {
        if (!lbServers.includes(name)) return "web";
        return primary.server === name ? "lb-db" : "lb";
    };
    const serverPlans: ServerPlan[] = servers.map((name) => ({
        name,
        role: roleOf(name),
        services: services.filter((s) => s.server === name),
    }));
    const databases = [primary, ...replicas];
    const galera = planGalera(args, databases);
    const monitoring = { monitors, alertmanagers, exporters, nginxExporters, nodeExporters, probers };
    return {
        args,
        servers: serverPlans,
        services,
        web,
        loadBalancers,
        front,
        keepalived,
        databases,
        ...(galera ? { galera } : {}),
        ...monitoring,
        flows: buildFlows({ web, loadBalancers, databases, galera, ...monitoring }),
    };
}
