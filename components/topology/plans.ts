// The platform-agnostic plan's vocabulary: names, servers, services (one type per kind) and flows
// (ports.ts: the ports). Pure types and constants; buildTopology (build.ts) makes the values.
import { ResolvedArgs } from "../config/resolved";

export { PORTS } from "./ports";

export const DATABASE_NAME = "foobar";
export const APP_DB_USER = "app";
export const REPLICATION_USER = "replicator";
/** The database user the metrics exporters log in as: may read server status, nothing else. */
export const MONITOR_USER = "foobar_monitor";

/**
 * How long a service may take to stop gracefully before it is killed, in seconds: longer than the
 * app's drain (3 s of /healthz answering "draining", then at most 10 s for requests in flight,
 * app/src/main.ts). The docker containers' stopTimeout and the VM units' TimeoutStopSec.
 */
export const STOP_TIMEOUT_SECONDS = 20;

/** Where managed (RDS) databases live: no server of ours, so no instance and no config. */
export const MANAGED_SERVER = "rds";

export type ServerRole = "web" | "lb-db" | "lb";

interface Placed {
    /** Unique key, also the suffix of resource names: "server-1-nginx". */
    readonly key: string;
    /** The server it runs on ("server-1"), or MANAGED_SERVER. */
    readonly server: string;
}

export interface HaproxyPlan extends Placed {
    readonly kind: "haproxy";
}

/**
 * keepalived beside one HAProxy of a pair: it holds the pair's virtual IP while its HAProxy
 * answers, and hands it over (VRRP over unicast) when that HAProxy or its whole server dies.
 */
export interface KeepalivedPlan extends Placed {
    readonly kind: "keepalived";
    /** The HAProxy it tracks, on its own server. */
    readonly haproxy: HaproxyPlan;
    /** VRRP priority: the higher one takes the address when both start; after that, nobody preempts. */
    readonly priority: number;
}

/**
 * How clients reach the load balancers through one address. "single": one HAProxy, its server's
 * address. "keepalived": a pair, and a virtual IP that keepalived moves (docker, where the pair
 * shares a layer-2 network). "nlb": a pair behind an AWS Network Load Balancer (an EC2 subnet
 * drops a moved address's packets: AWS's routing, not ARP, decides where an address lives).
 */
export type LoadBalancerFront = "single" | "keepalived" | "nlb";

export interface AppPlan extends Placed {
    readonly kind: "app";
    /** The replica this app reads from; undefined reads from the primary. */
    readonly reader?: DatabasePlan;
}

export interface NginxPlan extends Placed {
    readonly kind: "nginx";
    /** The app on its own server that it proxies dynamic requests to. */
    readonly app: AppPlan;
}

export type DatabaseRole = "primary" | "replica";

/** A MariaDB server of ours. Its role is data: a replica becoming the primary changes no code path. */
export interface MariadbPlan extends Placed {
    readonly kind: "mariadb";
    readonly role: DatabaseRole;
    /** server_id, unique in the replication topology. */
    readonly serverId: number;
}

/** An RDS instance: AWS runs it, so nothing of ours is rendered or installed for it. */
export interface RdsPlan extends Placed {
    readonly kind: "rds";
    readonly role: DatabaseRole;
}

export type DatabasePlan = MariadbPlan | RdsPlan;

export interface PrometheusPlan extends Placed {
    readonly kind: "prometheus";
}

/** Alertmanager beside a Prometheus, on its server: it sends the alerts of every Prometheus on. */
export interface AlertmanagerPlan extends Placed {
    readonly kind: "alertmanager";
}

/** prometheus-nginx-exporter beside one nginx: its connections and requests, from stub_status. */
export interface NginxExporterPlan extends Placed {
    readonly kind: "nginx-exporter";
    /** The nginx it reads, on its own server. */
    readonly watches: NginxPlan;
}

/** prometheus-node-exporter on one server: the host's filesystems, memory and clock, as Prometheus sees them. */
export interface NodeExporterPlan extends Placed {
    readonly kind: "node-exporter";
}

/**
 * prometheus-blackbox-exporter beside a Prometheus: it visits the site's public HTTPS URL as a
 * client outside would (the front address, the certificate, the whole path to an app), and reports
 * whether that worked and when the certificate it was shown expires.
 */
export interface BlackboxPlan extends Placed {
    readonly kind: "blackbox-exporter";
}

export interface ExporterPlan extends Placed {
    readonly kind: "mysqld-exporter";
    /** The database it reports on, on its own server. */
    readonly watches: MariadbPlan;
}

/**
 * database.failover "automatic" on our own servers: every MariaDB node is one of a Galera cluster
 * (a commit is certified by the majority before it is acknowledged; a node outside the majority
 * refuses reads and writes), and one write address that keepalived moves to a node of the
 * majority. The app writes only there; every other node is read_only.
 */
export interface GaleraPlan {
    /** Every node, the preferred writer (the "primary" of the plan) first. */
    readonly nodes: readonly MariadbPlan[];
    /** The only node that may start a new cluster, and only on an empty volume when no other node runs one. */
    readonly bootstrap: MariadbPlan;
    /** VRRP priority of the write address, by node key: the highest takes it when all start; nobody preempts. */
    readonly writePriority: ReadonlyMap<string, number>;
}

export type ServicePlan =
    | HaproxyPlan
    | KeepalivedPlan
    | NginxPlan
    | AppPlan
    | MariadbPlan
    | RdsPlan
    | PrometheusPlan
    | AlertmanagerPlan
    | ExporterPlan
    | NginxExporterPlan
    | NodeExporterPlan
    | BlackboxPlan;
export type ServiceKind = ServicePlan["kind"];

/**
 * The name a service goes by on its server, in labels and the `servers` output: its kind, and for
 * a database its role too ("mariadb-primary").
 */
export function serviceLabel(plan: ServicePlan): string {
    return plan.kind === "mariadb" || plan.kind === "rds" ? `mariadb-${plan.role}` : plan.kind;
}

export interface ServerPlan {
    /** "server-1" .. "server-N" are web servers; server-(N+1) holds HAProxy and the primary, server-(N+2) (a pair) HAProxy. */
    readonly name: string;
    readonly role: ServerRole;
    readonly services: readonly ServicePlan[];
}

export interface WebServerPlan {
    readonly server: string;
    readonly nginx: NginxPlan;
    readonly app: AppPlan;
    /** HAProxy `backup` (active-passive: every web server but the first). */
    readonly backup: boolean;
}

/** Flow sources that are no service of ours. */
export const INTERNET = "internet";
/** An operator inside the stack's private network: the VPC on aws, the host (bindAddress) on docker. */
export const OPERATOR = "operator";
export type Outside = typeof INTERNET | typeof OPERATOR;

/**
 * One network path the site needs. Each platform's firewall allows these and as little else as it
 * can express: AWS security groups by port and source group; Docker networks by tier (a container
 * reaches every port of the containers on its networks, so e.g. server-1's nginx can also reach
 * server-2's app).
 */
export type Flow = InternalFlow | OutsideFlow;

interface FlowBase {
    readonly to: ServicePlan;
    readonly port: number;
    /** TCP unless said otherwise (Alertmanager's gossip is UDP too: a flow each). */
    readonly protocol?: "udp";
    readonly purpose: string;
}

/** Between two services of ours. */
export interface InternalFlow extends FlowBase {
    readonly from: ServicePlan;
}

/** From outside the stack (no service of ours): what each firewall must open to. */
export interface OutsideFlow extends FlowBase {
    readonly from: Outside;
}

export const isFromOutside = (flow: Flow): flow is OutsideFlow => typeof flow.from === "string";

export interface Topology {
    readonly args: ResolvedArgs;
    readonly servers: readonly ServerPlan[];
    readonly services: readonly ServicePlan[];
    readonly web: readonly WebServerPlan[];
    /** Every HAProxy, each on a load-balancer server: one, or a pair (lb.count). */
    readonly loadBalancers: readonly HaproxyPlan[];
    /** How clients reach them through one address. */
    readonly front: LoadBalancerFront;
    /** keepalived beside each HAProxy when the front is "keepalived"; else none. */
    readonly keepalived: readonly KeepalivedPlan[];
    /** Every database node with its role: exactly one primary, then the replicas. */
    readonly databases: readonly DatabasePlan[];
    /** The Galera cluster of database.failover "automatic" (self-managed); undefined otherwise. */
    readonly galera?: GaleraPlan;
    /** Prometheus servers, one on each load-balancer server (each scrapes everything); none with monitoring off. */
    readonly monitors: readonly PrometheusPlan[];
    /** An Alertmanager beside each Prometheus; two of them (a pair) are one cluster. */
    readonly alertmanagers: readonly AlertmanagerPlan[];
    /** One mysqld exporter beside each self-managed database (none for RDS or with monitoring off). */
    readonly exporters: readonly ExporterPlan[];
    /** An nginx exporter beside each nginx (none with monitoring off). */
    readonly nginxExporters: readonly NginxExporterPlan[];
    /** A node exporter on every server (none with monitoring off). */
    readonly nodeExporters: readonly NodeExporterPlan[];
    /** A blackbox exporter beside each Prometheus, which only it scrapes: each probes the site on its own. */
    readonly probers: readonly BlackboxPlan[];
    readonly flows: readonly Flow[];
}

export const serverName = (index: number): string => `server-${index}`;

/** The database every write goes to. */
export function primaryOf(topology: Topology): DatabasePlan {
    const primaries = topology.databases.filter((d) => d.role === "primary");
    if (primaries.length !== 1) throw new Error(`a topology has exactly one primary database, not ${primaries.length}`);
    return primaries[0];
}

export const replicasOf = (topology: Topology): DatabasePlan[] => topology.databases.filter((d) => d.role === "replica");
