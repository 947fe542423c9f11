// The docker platform's network layout, derived from the topology's flows. Pure.
// Each container is one service; user-defined networks are the firewall: two containers can talk
// only where they share a network, and every network but "edge" is `internal` (no route out).
// nginx -> app uses the web server's own network, which stands for the loopback of a real
// machine: no other server's services are on it.
import { DOCKER_SHARED_NETWORKS } from "./config/args";
import { formatCidr, intToIpv4, nthSlash24, parseCidr } from "./config/net";
import { Flow, ServiceKind, Topology, isFromOutside, service } from "./topology";

/** "edge", "web", "data", "metrics", or a server's own network named after it ("server-1"). */
export type SegmentName = string;

export interface SegmentPlan {
    readonly name: SegmentName;
    /** Only "edge" reaches beyond the host, and only HAProxy sits on it (to publish 80 and 443). */
    readonly internal: boolean;
    readonly subnet: string;
    readonly gateway: string;
    /** service key -> its fixed address on this network */
    readonly members: ReadonlyMap<string, string>;
}

export interface DockerPlan {
    readonly segments: readonly SegmentPlan[];
    /** The address `from` uses to reach `to`: `to`'s address on a network both are on. */
    reach(from: string, to: string): string;
    /** Networks of one service, in the order they are attached (the first is its primary network). */
    segmentsOf(serviceKey: string): readonly SegmentPlan[];
}

/**
 * Which network carries a flow: outside clients "edge" (the only network that can publish ports),
 * database traffic always the data network (so MariaDB users can be limited to its range),
 * nginx -> app the web server's own network, the rest by the service it goes to.
 */
function segmentFor(topology: Topology, flow: Flow): SegmentName {
    if (isFromOutside(flow)) return "edge";
    const to = service(topology, flow.to);
    const kind: ServiceKind = to.kind;
    switch (kind) {
        case "mariadb-primary":
        case "mariadb-replica":
            return "data";
        case "nginx":
            return "web";
        case "app":
            if (service(topology, flow.from).server !== to.server) {
                throw new Error(`an app is only reached from its own server (from ${flow.from})`);
            }
            return to.server;
        case "haproxy":
            // Only the metrics scrape: HAProxy serves stats on its "web" address.
            if (service(topology, flow.from).kind !== "prometheus") {
                throw new Error(`no internal flow but Prometheus's scrape should end at HAProxy (from ${flow.from})`);
            }
            return "web";
        case "prometheus":
            throw new Error(`only operators reach Prometheus (from ${flow.from})`);
        case "mysqld-exporter":
            // Its own network: Prometheus reaches the exporters there, and no database.
            return "metrics";
        default: {
            const never: never = kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

/** Fixed host numbers keep addresses stable across container restarts (HAProxy and nginx use IPs). */
function hostNumber(topology: Topology, key: string): number {
    const s = service(topology, key);
    const index = Number(s.server.replace("server-", ""));
    switch (s.kind) {
        case "haproxy":
            return 2;
        case "mariadb-primary":
            return 3;
        case "prometheus":
            return 4;
        case "mysqld-exporter":
            return 40 + index;
        case "nginx":
            return 10 + index;
        case "app":
            return 20 + index;
        case "mariadb-replica":
            return 30 + index;
        default: {
            const never: never = s.kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

export function planDockerNetworks(topology: Topology): DockerPlan {
    const range = parseCidr(topology.args.docker.subnet);
    if (!range) throw new Error(`docker.subnet ${topology.args.docker.subnet} passed validation but does not parse`);
    const names = [...DOCKER_SHARED_NETWORKS, ...topology.web.map((w) => w.server)];
    const memberKeys = new Map<SegmentName, Set<string>>(names.map((s) => [s, new Set<string>()]));
    for (const flow of topology.flows) {
        const members = memberKeys.get(segmentFor(topology, flow)) as Set<string>;
        if (!isFromOutside(flow)) members.add(flow.from);
        members.add(flow.to);
    }
    // Each name keeps its /24 whether or not it is used, so addresses do not move when e.g.
    // monitoring is switched on; a network nobody is on is not created.
    const segments = names
        .map((name, i): SegmentPlan => {
            const cidr = nthSlash24(range, i);
            const keys = [...(memberKeys.get(name) as Set<string>)].sort();
            return {
                name,
                internal: name !== "edge",
                subnet: formatCidr(cidr),
                gateway: intToIpv4(cidr.base + 1),
                members: new Map(keys.map((k) => [k, intToIpv4(cidr.base + hostNumber(topology, k))])),
            };
        })
        .filter((segment) => segment.members.size > 0);
    const segmentsOf = (key: string) => segments.filter((s) => s.members.has(key));
    return {
        segments,
        segmentsOf,
        reach(from, to) {
            // The network that carries their flow (Prometheus and HAProxy share edge too, but the
            // scrape goes over web); else the first they share.
            const flow = topology.flows.find((f) => (f.from === from && f.to === to) || (f.from === to && f.to === from));
            const carrier = flow && segments.find((s) => s.name === segmentFor(topology, flow));
            const shared = carrier ?? segmentsOf(from).find((s) => s.members.has(to));
            if (!shared) throw new Error(`no network joins ${from} to ${to}; add a flow in topology.ts`);
            return shared.members.get(to) as string;
        },
    };
}
