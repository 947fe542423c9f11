// The platform-agnostic plan: servers, services, ports and the firewall paths between them. Pure.
import { ResolvedArgs } from "./config/args";

/** Every port the stack uses, in one place, so renderers and firewall rules cannot disagree. */
export const PORTS = {
    http: 80,
    https: 443,
    stats: 8404,
    nginx: 80,
    app: 3000,
    mysql: 3306,
    prometheus: 9090,
    mysqldExporter: 9104,
} as const;

export const DATABASE_NAME = "foobar";
export const APP_DB_USER = "app";
export const REPLICATION_USER = "replicator";
/** The database user the metrics exporters log in as: may read server status, nothing else. */
export const MONITOR_USER = "foobar_monitor";

export type ServiceKind = "haproxy" | "nginx" | "app" | "mariadb-primary" | "mariadb-replica" | "prometheus" | "mysqld-exporter";
export type ServerRole = "web" | "lb-db" | "lb";

/** Where managed (RDS) database services live: no server of ours, so no instance and no config. */
export const MANAGED_SERVER = "rds";

export interface ServerPlan {
    /** "server-1" .. "server-N" are web servers; the last one holds HAProxy and the primary. */
    readonly name: string;
    readonly role: ServerRole;
    readonly services: readonly string[];
}

export interface ServicePlan {
    /** Unique key, also the suffix of resource names: "server-1-nginx". */
    readonly key: string;
    readonly kind: ServiceKind;
    readonly server: string;
    /** For MariaDB: the server_id, unique in the replication topology. */
    readonly serverId?: number;
    /** For a metrics exporter: the database service it watches (on its own server). */
    readonly watches?: string;
}

/** Flow sources that are no service of ours. */
export const INTERNET = "internet";
/** An operator inside the stack's private network: the VPC on aws, the host (bindAddress) on docker. */
export const OPERATOR = "operator";

/** Whether a flow comes from outside the stack (no service of ours): what each firewall must open to. */
export const isFromOutside = (flow: Flow): boolean => flow.from === INTERNET || flow.from === OPERATOR;

/**
 * One network path the site needs. "internet" is any outside client, "operator" someone inside
 * the stack's private network. Each platform's firewall
 * allows these and as little else as it can express: AWS security groups by port and source
 * group; Docker networks by tier (a container reaches every port of the containers on its
 * networks, so e.g. server-1's nginx can also reach server-2's app).
 */
export interface Flow {
    readonly from: string;
    readonly to: string;
    readonly port: number;
    readonly purpose: string;
}

export interface WebServerPlan {
    readonly server: string;
    readonly nginx: string;
    readonly app: string;
    /** The replica this server's app reads from; undefined reads from the primary. */
    readonly reader?: string;
    /** HAProxy `backup` (active-passive: every web server but the first). */
    readonly backup: boolean;
}

export interface Topology {
    readonly args: ResolvedArgs;
    readonly servers: readonly ServerPlan[];
    readonly services: readonly ServicePlan[];
    readonly web: readonly WebServerPlan[];
    readonly lbServer: string;
    readonly haproxy: string;
    readonly primary: string;
    readonly replicas: readonly string[];
    /** Prometheus on the load balancer's server; undefined with monitoring off. */
    readonly prometheus?: string;
    /** One mysqld exporter beside each self-managed database (none for RDS or with monitoring off). */
    readonly exporters: readonly string[];
    readonly flows: readonly Flow[];
}

export const serverName = (index: number): string => `server-${index}`;
export const PRIMARY_SERVER_ID = 1;
/** Replica ids start well above the primary's, so a new primary id never collides with one. */
export const replicaServerId = (webIndex: number): number => 100 + webIndex;

export function buildTopology(args: ResolvedArgs): Topology {
    const services: ServicePlan[] = [];
    const web: WebServerPlan[] = [];
    const replicas: string[] = [];
    const lbServer = serverName(args.webServers + 1);
    const managed = args.database.mode === "managed";
    for (let i = 1; i <= args.webServers; i++) {
        const server = serverName(i);
        services.push({ key: `${server}-nginx`, kind: "nginx", server }, { key: `${server}-app`, kind: "app", server });
        if (!managed && i <= args.database.replicas) {
            const key = `${server}-mariadb-replica`;
            services.push({ key, kind: "mariadb-replica", server, serverId: replicaServerId(i) });
            replicas.push(key);
        }
    }
    if (managed) {
        for (let i = 1; i <= args.database.replicas; i++) {
            const key = `${MANAGED_SERVER}-replica-${i}`;
            services.push({ key, kind: "mariadb-replica", server: MANAGED_SERVER });
            replicas.push(key);
        }
    }
    for (let i = 1; i <= args.webServers; i++) {
        const server = serverName(i);
        // A server without its own replica reads from one on another server, spreading the load.
        const reader = replicas.length > 0 ? replicas[(i - 1) % replicas.length] : undefined;
        const backup = args.lb.mode === "active-passive" && i > 1;
        web.push({ server, nginx: `${server}-nginx`, app: `${server}-app`, reader, backup });
    }
    const haproxy = `${lbServer}-haproxy`;
    const primary = managed ? `${MANAGED_SERVER}-primary` : `${lbServer}-mariadb-primary`;
    services.push(
        { key: haproxy, kind: "haproxy", server: lbServer },
        managed
            ? { key: primary, kind: "mariadb-primary", server: MANAGED_SERVER }
            : { key: primary, kind: "mariadb-primary", server: lbServer, serverId: PRIMARY_SERVER_ID },
    );
    const prometheus = args.monitoring.enabled ? `${lbServer}-prometheus` : undefined;
    if (prometheus) services.push({ key: prometheus, kind: "prometheus", server: lbServer });
    // RDS reports to CloudWatch; our own databases get an exporter on their own server.
    const exporters: ServicePlan[] =
        prometheus && !managed
            ? services
                  .filter((s) => s.kind === "mariadb-primary" || s.kind === "mariadb-replica")
                  .map((db) => ({ key: `${db.server}-mysqld-exporter`, kind: "mysqld-exporter", server: db.server, watches: db.key }))
            : [];
    services.push(...exporters);
    const lbRole: ServerRole = managed ? "lb" : "lb-db";
    const servers: ServerPlan[] = [...web.map((w) => w.server), lbServer].map((name) => ({
        name,
        role: name === lbServer ? lbRole : "web",
        services: services.filter((s) => s.server === name).map((s) => s.key),
    }));
    // RDS replicates by itself, over no path of ours.
    const flows = buildFlows(web, haproxy, primary, managed ? [] : replicas, prometheus, exporters);
    return {
        args,
        servers,
        services,
        web,
        lbServer,
        haproxy,
        primary,
        replicas,
        prometheus,
        exporters: exporters.map((e) => e.key),
        flows,
    };
}

function buildFlows(
    web: readonly WebServerPlan[],
    haproxy: string,
    primary: string,
    replicas: readonly string[],
    prometheus: string | undefined,
    exporters: readonly ServicePlan[],
): Flow[] {
    const flows: Flow[] = [
        { from: INTERNET, to: haproxy, port: PORTS.http, purpose: "HTTP, redirected to HTTPS" },
        { from: INTERNET, to: haproxy, port: PORTS.https, purpose: "HTTPS" },
    ];
    for (const w of web) {
        flows.push(
            { from: haproxy, to: w.nginx, port: PORTS.nginx, purpose: "load-balanced requests and health checks" },
            { from: w.nginx, to: w.app, port: PORTS.app, purpose: "dynamic requests" },
            { from: w.app, to: primary, port: PORTS.mysql, purpose: "writes (and reads when no replica answers)" },
        );
        if (w.reader) flows.push({ from: w.app, to: w.reader, port: PORTS.mysql, purpose: "reads" });
    }
    for (const r of replicas) flows.push({ from: r, to: primary, port: PORTS.mysql, purpose: "GTID replication" });
    if (prometheus) {
        flows.push(
            { from: prometheus, to: haproxy, port: PORTS.stats, purpose: "metrics scrapes" },
            { from: OPERATOR, to: prometheus, port: PORTS.prometheus, purpose: "Prometheus UI, API and alerts, for operators" },
        );
        for (const e of exporters) {
            flows.push(
                { from: prometheus, to: e.key, port: PORTS.mysqldExporter, purpose: "database metrics scrapes" },
                { from: e.key, to: e.watches as string, port: PORTS.mysql, purpose: "server and replication status reads" },
            );
        }
    }
    return flows;
}

export function service(topology: Topology, key: string): ServicePlan {
    const found = topology.services.find((s) => s.key === key);
    if (!found) throw new Error(`topology has no service "${key}"`);
    return found;
}

/** The web server a service (its nginx or its app) belongs to. */
export function webServerOf(topology: Topology, serviceKey: string): WebServerPlan {
    const found = topology.web.find((w) => w.nginx === serviceKey || w.app === serviceKey);
    if (!found) throw new Error(`${serviceKey} is not a web server's nginx or app`);
    return found;
}
