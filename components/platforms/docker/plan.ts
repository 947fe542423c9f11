// The docker platform's network layout, derived from the topology's flows. Pure.
// Each container is one service; user-defined networks are the firewall: two containers can talk
// only where they share a network, and every network but "edge" is `internal` (no route out).
// nginx -> app uses the web server's own network, which stands for the loopback of a real
// machine: no other server's services are on it.
import { formatCidr, hostAddress, nthSlash24, parseCidr } from "../../config/net";
import { Flow, ServicePlan, Topology, isFromOutside } from "../../topology";
import { DOCKER_SHARED_NETWORKS } from "./args";

/** "edge", "web", "data", "metrics", or a server's own network named after it ("server-1"). */
export type SegmentName = string;

export interface SegmentPlan {
    readonly name: SegmentName;
    /** Only "edge" reaches beyond the host, and only HAProxy and Prometheus sit on it (to publish ports). */
    readonly internal: boolean;
    readonly subnet: string;
    readonly gateway: string;
    /**
     * The part of the subnet Docker may hand out (IPAM's ip_range); undefined for all of it. Only
     * "edge" with a keepalived pair has one: the virtual IP lies beyond it, so no container can get it.
     */
    readonly ipRange?: string;
    /** service key -> its fixed address on this network */
    readonly members: ReadonlyMap<string, string>;
}

export interface DockerPlan {
    readonly segments: readonly SegmentPlan[];
    /** The address `from` uses to reach `to`: `to`'s address on the network that carries their flow. */
    reach(from: ServicePlan, to: ServicePlan): string;
    /** Networks of one service, in the order they are attached (the first is its primary network). */
    segmentsOf(service: ServicePlan): readonly SegmentPlan[];
    /** A service's address on one network; throws when it is not on it. */
    addressOn(network: SegmentName, service: ServicePlan): string;
    /** A keepalived pair's virtual IP on "edge", with its prefix ("10.77.0.254/24"); undefined for a single HAProxy. */
    readonly floatingAddress?: string;
    /** A Galera cluster's write address on "data", with its prefix; undefined without automatic failover. */
    readonly writeAddress?: string;
}

/** A virtual IP's host number (the site's on "edge", the write address on "data"): above the ip_range. */
const FLOATING_HOST = 254;
/** Where Docker may allocate on a network with a virtual IP: its lower half. */
const EDGE_IP_RANGE_PREFIX = 25;

/**
 * Which network carries a flow: outside clients "edge" (the only network that can publish ports),
 * database traffic always the data network (so MariaDB users can be limited to its range),
 * nginx -> app the web server's own network, the rest by the service it goes to.
 */
function segmentFor(flow: Flow): SegmentName {
    if (isFromOutside(flow)) return "edge";
    const { from, to } = flow;
    switch (to.kind) {
        case "mariadb":
            return "data";
        case "nginx":
            // Its exporter reads stub_status on the server's own network, as on a VM's loopback.
            return from.kind === "nginx-exporter" ? to.server : "web";
        case "app":
            // Prometheus scrapes the app's own metrics port on the monitoring network.
            if (from.kind === "prometheus") return "metrics";
            if (from.server !== to.server) throw new Error(`an app is only reached from its own server (from ${from.key})`);
            return to.server;
        case "haproxy":
            // The blackbox probe comes as a visitor does, to the public side.
            if (from.kind === "blackbox-exporter") return "edge";
            // Only the metrics scrape, on the monitoring network: nothing on web may reach HAProxy's stats.
            if (from.kind !== "prometheus")
                throw new Error(`no internal flow but Prometheus's scrape should end at HAProxy (from ${from.key})`);
            return "metrics";
        case "prometheus":
            throw new Error(`only operators reach Prometheus (from ${from.key})`);
        case "keepalived":
            throw new Error(`no flow ends at keepalived: it shares its HAProxy's network (from ${from.key})`);
        case "mysqld-exporter":
            // The monitoring network: Prometheus reaches the exporters there, and no database.
            return "metrics";
        // Prometheus sends it alerts, and a pair's two gossip, on the monitoring network.
        case "alertmanager":
        case "node-exporter":
        case "nginx-exporter":
        case "blackbox-exporter":
            return "metrics";
        case "rds":
            throw new Error(`${to.key} is RDS, which the docker platform does not run`);
        default: {
            const never: never = to;
            throw new Error(`unknown service kind ${JSON.stringify(never)}`);
        }
    }
}

/**
 * Fixed host numbers keep addresses stable across container restarts (HAProxy and nginx use IPs).
 * The first load-balancer server keeps the numbers it had alone (2, 4); the second's come after.
 */
function hostNumber(s: ServicePlan, webServers: number): number {
    const index = Number(s.server.replace("server-", ""));
    const second = index === webServers + 2;
    switch (s.kind) {
        case "haproxy":
            return second ? 5 : 2;
        // keepalived holds its HAProxy's network: one address, the HAProxy's.
        case "keepalived":
            return hostNumber(s.haproxy, webServers);
        case "mariadb":
            return s.role === "primary" ? 3 : 30 + index;
        case "prometheus":
            return second ? 6 : 4;
        case "alertmanager":
            return second ? 8 : 7;
        case "nginx":
            return 10 + index;
        case "app":
            return 20 + index;
        case "mysqld-exporter":
            return 40 + index;
        case "node-exporter":
            return 50 + index;
        case "nginx-exporter":
            return 70 + index;
        case "blackbox-exporter":
            return 60 + index;
        case "rds":
            throw new Error(`${s.key} is RDS, which the docker platform does not run`);
        default: {
            const never: never = s;
            throw new Error(`unknown service kind ${JSON.stringify(never)}`);
        }
    }
}

export function planDockerNetworks(topology: Topology): DockerPlan {
    const range = parseCidr(topology.args.docker.subnet);
    if (!range) throw new Error(`docker.subnet ${topology.args.docker.subnet} passed validation but does not parse`);
    const names = [...DOCKER_SHARED_NETWORKS, ...topology.web.map((w) => w.server)];
    const members = new Map<SegmentName, Map<string, ServicePlan>>(names.map((s) => [s, new Map()]));
    for (const flow of topology.flows) {
        const on = members.get(segmentFor(flow));
        if (!on) throw new Error(`no network ${segmentFor(flow)} for ${flow.to.key}`);
        if (!isFromOutside(flow)) on.set(flow.from.key, flow.from);
        on.set(flow.to.key, flow.to);
    }
    // Alertmanager's receivers (a webhook, an SMTP server) are outside: only "edge" has a route out.
    // It listens on its monitoring address only, so nothing on edge reaches it.
    for (const a of topology.alertmanagers) members.get("edge")?.set(a.key, a);
    // keepalived holds the network namespace its HAProxy's container joins: the HAProxy's networks.
    for (const k of topology.keepalived) for (const on of members.values()) if (on.has(k.haproxy.key)) on.set(k.key, k);
    const floating = topology.front === "keepalived";
    // Each floating address lies beyond its network's ip_range: no container can be given it.
    const floats = new Set([...(floating ? ["edge"] : []), ...(topology.galera ? ["data"] : [])]);
    // Each name keeps its /24 whether or not it is used, so addresses do not move when e.g.
    // monitoring is switched on; a network nobody is on is not created.
    const segments = names
        .map((name, i): SegmentPlan => {
            const cidr = nthSlash24(range, i);
            const services = [...(members.get(name)?.values() ?? [])].sort((a, b) => a.key.localeCompare(b.key));
            const ipRange = floats.has(name) ? { ipRange: formatCidr({ base: cidr.base, prefix: EDGE_IP_RANGE_PREFIX }) } : {};
            return {
                name,
                internal: name !== "edge",
                subnet: formatCidr(cidr),
                gateway: hostAddress(cidr, 1),
                ...ipRange,
                members: new Map(services.map((s) => [s.key, hostAddress(cidr, hostNumber(s, topology.args.webServers))])),
            };
        })
        .filter((segment) => segment.members.size > 0);
    const segmentsOf = (service: ServicePlan) => segments.filter((s) => s.members.has(service.key));
    const addressOn = (network: SegmentName, service: ServicePlan): string => {
        const address = segments.find((s) => s.name === network)?.members.get(service.key);
        if (address === undefined) throw new Error(`${service.key} is not on the ${network} network`);
        return address;
    };
    const floatingOn = (network: (typeof DOCKER_SHARED_NETWORKS)[number]) => {
        const cidr = nthSlash24(range, DOCKER_SHARED_NETWORKS.indexOf(network));
        return `${hostAddress(cidr, FLOATING_HOST)}/${cidr.prefix}`;
    };
    return {
        segments,
        segmentsOf,
        addressOn,
        floatingAddress: floating ? floatingOn("edge") : undefined,
        writeAddress: topology.galera ? floatingOn("data") : undefined,
        reach(from, to) {
            // The network that carries their flow (Prometheus and HAProxy share edge too, but the
            // scrape goes over metrics); else the first they share.
            const flow = topology.flows.find((f) => (f.from === from && f.to === to) || (f.from === to && f.to === from));
            const carrier = flow ? segmentFor(flow) : segmentsOf(from).find((s) => s.members.has(to.key))?.name;
            if (carrier === undefined)
                throw new Error(`no network joins ${from.key} to ${to.key}; add a flow in components/topology/flows.ts`);
            return addressOn(carrier, to);
        },
    };
}
