// buildTopology: which services run on which server, and the flows between them. Pure.
import { ResolvedArgs } from "../config/resolved";
import { buildFlows } from "./flows";
import {
    AppPlan,
    DatabasePlan,
    ExporterPlan,
    HaproxyPlan,
    MANAGED_SERVER,
    MariadbPlan,
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

export function buildTopology(args: ResolvedArgs): Topology {
    const lbServer = serverName(args.webServers + 1);
    const { primary, replicas } = planDatabases(args, lbServer);
    const web = planWebServers(args, replicas);
    const loadBalancers: HaproxyPlan[] = [{ kind: "haproxy", key: `${lbServer}-haproxy`, server: lbServer }];
    const monitors: PrometheusPlan[] = args.monitoring.enabled
        ? [{ kind: "prometheus", key: `${lbServer}-prometheus`, server: lbServer }]
        : [];
    // RDS reports to CloudWatch; our own databases get an exporter on their own server.
    const ownDatabases = [...replicas, primary].filter((d): d is MariadbPlan => d.kind === "mariadb");
    const exporters: ExporterPlan[] =
        monitors.length > 0
            ? ownDatabases.map((db) => ({ kind: "mysqld-exporter", key: `${db.server}-mysqld-exporter`, server: db.server, watches: db }))
            : [];
    const services: ServicePlan[] = [
        ...web.flatMap((w) => [w.nginx, w.app, ...replicas.filter((r) => r.server === w.server)]),
        ...replicas.filter((r) => r.server === MANAGED_SERVER),
        ...loadBalancers,
        primary,
        ...monitors,
        ...exporters,
    ];
    const lbRole: ServerRole = primary.server === lbServer ? "lb-db" : "lb";
    const servers: ServerPlan[] = [...web.map((w) => w.server), lbServer].map((name) => ({
        name,
        role: name === lbServer ? lbRole : "web",
        services: services.filter((s) => s.server === name),
    }));
    const databases = [primary, ...replicas];
    return {
        args,
        servers,
        services,
        web,
        loadBalancers,
        databases,
        monitors,
        exporters,
        flows: buildFlows({ web, loadBalancers, databases, monitors, exporters }),
    };
}
