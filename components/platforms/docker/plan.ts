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
}

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
            return "web";
        case "app":
            if (from.server !== to.server) throw new Error(`an app is only reached from its own server (from ${from.key})`);
            return to.server;
        case "haproxy":
            // Only the metrics scrape, on the monitoring network: nothing on web may reach HAProxy's stats.
            if (from.kind !== "prometheus")
                throw new Error(`no internal flow but Prometheus's scrape should end at HAProxy (from ${from.key})`);
            return "metrics";
        case "prometheus":
            throw new Error(`only operators reach Prometheus (from ${from.key})`);
        case "mysqld-exporter":
            // The monitoring network: Prometheus reaches the exporters there, and no database.
            return "metrics";
        case "rds":
            throw new Error(`${to.key} is RDS, which the docker platform does not run`);
        default: {
            const never: never = to;
            throw new Error(`unknown service kind ${JSON.stringify(never)}`);
        }
    }
}

/** Fixed host numbers keep addresses stable across container restarts (HAProxy and nginx use IPs). */
function hostNumber(s: ServicePlan): number {
    const index = Number(s.server.replace("server-", ""));
    switch (s.kind) {
        case "haproxy":
            return 2;
        case "mariadb":
            return s.role === "primary" ? 3 : 30 + index;
        case "prometheus":
            return 4;
        case "nginx":
            return 10 + index;
        case "app":
            return 20 + index;
        case "mysqld-exporter":
            return 40 + index;
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
    // Each name keeps its /24 whether or not it is used, so addresses do not move when e.g.
    // monitoring is switched on; a network nobody is on is not created.
    const segments = names
        .map((name, i): SegmentPlan => {
            const cidr = nthSlash24(range, i);
            const services = [...(members.get(name)?.values() ?? [])].sort((a, b) => a.key.localeCompare(b.key));
            return {
                name,
                internal: name !== "edge",
                subnet: formatCidr(cidr),
                gateway: hostAddress(cidr, 1),
                members: new Map(services.map((s) => [s.key, hostAddress(cidr, hostNumber(s))])),
            };
        })
        .filter((segment) => segment.members.size > 0);
    const segmentsOf = (service: ServicePlan) => segments.filter((s) => s.members.has(service.key));
    const addressOn = (network: SegmentName, service: ServicePlan): string => {
        const address = segments.find((s) => s.name === network)?.members.get(service.key);
        if (address === undefined) throw new Error(`${service.key} is not on the ${network} network`);
        return address;
    };
    return {
        segments,
        segmentsOf,
        addressOn,
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
