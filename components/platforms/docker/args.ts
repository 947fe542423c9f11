// The docker platform's section of stack config (`docker.*`): types, defaults and docs (see
// config/schema.ts), and the rules that tie it to the rest of the config.
import { CheckContext } from "../../config/check";
import { Cidr, ipv4ToInt, isIpv4, isPrivateIpv4Cidr, parseCidr, within } from "../../config/net";
import { GroupField } from "../../config/schema";

/** The docker platform's shared networks, in address order; each web server's own follows them. */
export const DOCKER_SHARED_NETWORKS = ["edge", "web", "data", "metrics"] as const;
/** /24 networks one docker subnet must hold: the shared ones and one per web server. */
export const dockerNetworkCount = (webServers: number): number => DOCKER_SHARED_NETWORKS.length + webServers;

/** Docker's own default bridge network: a stack network there would collide with it. */
const DOCKER_DEFAULT_BRIDGE: Cidr = { base: ipv4ToInt("172.17.0.0"), prefix: 16 };
const isLoopback = (address: string) => address.startsWith("127.");

const port = (value: number, doc: string) => ({ type: "integer" as const, min: 1, max: 65535, default: value, doc });

export const DOCKER_SCHEMA: GroupField = {
    type: "group",
    names: { args: "DockerArgs", resolved: "ResolvedDocker" },
    doc: "Settings only the docker platform reads.",
    fields: {
        httpPort: port(
            8080,
            "Host port HAProxy publishes HTTP on (it redirects to HTTPS); with `lb.count: 2` nothing is published: clients use the virtual IP's port 80.",
        ),
        httpsPort: port(8443, "Host port HAProxy publishes HTTPS on; with `lb.count: 2`, the virtual IP's 443 instead."),
        bindAddress: {
            type: "text",
            default: "127.0.0.1",
            valid: isIpv4,
            fix: `must be an IPv4 address of this host, like "127.0.0.1".`,
            doc: "Host address the ports are published on; loopback keeps the site private.",
        },
        exposeOnNetwork: {
            type: "flag",
            default: false,
            doc: "Must be true for a `docker.bindAddress` other than loopback: the site and Prometheus then answer every network that address is on.",
        },
        subnet: {
            type: "text",
            default: "10.77.0.0/16",
            valid: (v) => isPrivateIpv4Cidr(v, 16, 21),
            fix: `must be a private IPv4 CIDR (10/8, 172.16/12 or 192.168/16) with a prefix from /16 to /21, like "10.77.0.0/16".`,
            doc: `Private range (/16 to /21) carved into one /24 per network: ${DOCKER_SHARED_NETWORKS.join(", ")}, then one per web server.`,
        },
        prometheusPort: port(
            9090,
            "Host port Prometheus publishes its UI and API on, with monitoring on; with `lb.count: 2` the second load balancer's Prometheus takes the next port.",
        ),
    },
};

/** Rules between `docker.*` and the rest. */
export function checkDocker({ p, args, raw }: CheckContext): void {
    const d = args.docker;
    if ((raw("docker.httpPort") !== undefined || raw("docker.httpsPort") !== undefined) && d.httpPort === d.httpsPort) {
        p.add("docker.httpsPort", d.httpsPort, `must differ from docker.httpPort (${d.httpPort}).`);
    }
    // One Prometheus per load-balancer server, on consecutive ports from docker.prometheusPort.
    const prometheusPorts = Array.from({ length: args.lb.count }, (_, i) => d.prometheusPort + i);
    if (args.monitoring.enabled && prometheusPorts.some((port) => [d.httpPort, d.httpsPort].includes(port))) {
        const next = args.lb.count > 1 ? ", nor may the next port (the second load balancer's Prometheus)" : "";
        p.add(
            "docker.prometheusPort",
            d.prometheusPort,
            `must differ from docker.httpPort (${d.httpPort}) and docker.httpsPort (${d.httpsPort})${next}.`,
        );
    } else if (args.monitoring.enabled && prometheusPorts[prometheusPorts.length - 1] > 65535) {
        p.add("docker.prometheusPort", d.prometheusPort, `leaves no port above it for the second load balancer's Prometheus; lower it.`);
    }
    if (!p.has("docker.bindAddress") && !isLoopback(d.bindAddress) && !d.exposeOnNetwork) {
        p.add(
            "docker.bindAddress",
            d.bindAddress,
            `publishes HAProxy and Prometheus beyond this host; set docker.exposeOnNetwork to true if that is meant, or use "127.0.0.1".`,
        );
    }
    const range = p.has("docker.subnet") ? undefined : parseCidr(d.subnet);
    if (range && (within(range, DOCKER_DEFAULT_BRIDGE) || within(DOCKER_DEFAULT_BRIDGE, range))) {
        p.add(
            "docker.subnet",
            d.subnet,
            `overlaps Docker's default bridge (172.17.0.0/16); pick another private range, like "10.77.0.0/16".`,
        );
    } else if (range) {
        const room = 2 ** (24 - range.prefix);
        const needed = dockerNetworkCount(args.webServers);
        if (room < needed) {
            const prefix = 24 - Math.ceil(Math.log2(needed));
            p.add(
                "docker.subnet",
                d.subnet,
                `holds ${room} /24 networks but ${args.webServers} web servers need ${needed} (${DOCKER_SHARED_NETWORKS.join(", ")} and one per web server); use a /${prefix} or larger range.`,
            );
        }
    }
}
