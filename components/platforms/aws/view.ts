// How services see each other on EC2: loopback on one instance, private addresses across, RDS by
// its endpoint.
import { databaseHostPattern } from "../../config/net";
import { PlatformView } from "../../services";
import { PORTS, Topology } from "../../topology";
import { AwsPlan } from "./plan";

/**
 * How long a HAProxy behind the NLB keeps serving after its stop signal: the NLB sees its health
 * check fail within 2 checks 5 s apart, and sends new connections elsewhere from then on.
 */
export const NLB_STOP_GRACE_MS = 12000;

/** `databaseHosts`: RDS endpoints in topology.databases order (the primary first); none when self-managed. */
export function awsView(topology: Topology, plan: AwsPlan, databaseHosts: readonly string[]): PlatformView {
    return {
        reach(from, to) {
            if (to.kind === "rds") return databaseHosts[topology.databases.indexOf(to)];
            // MariaDB users accept the VPC range only, so even a local replica is reached on the
            // private address (the kernel still keeps that traffic on the instance). An exporter
            // listens where it is reached (services/monitoring.ts): on the private address too once a
            // Prometheus on another instance scrapes it as well (a pair of load balancers, each with one).
            // The same for an Alertmanager, which every Prometheus sends alerts to, and a node exporter.
            const shared =
                (to.kind === "mysqld-exporter" || to.kind === "alertmanager" || to.kind === "node-exporter") &&
                topology.monitors.some((m) => m.server !== to.server);
            const local = from.server === to.server && to.kind !== "mariadb" && !shared;
            return local ? "127.0.0.1" : plan.instance(to.server).privateIp;
        },
        // nginx is on the same instance: the app need not listen beyond loopback.
        appListenHost: "127.0.0.1",
        // Prometheus scrapes HAProxy on its own instance: stats stay on loopback, no rule opens them.
        statsAddress: (haproxy) =>
            topology.monitors.every((m) => m.server === haproxy.server) ? "127.0.0.1" : plan.instance(haproxy.server).privateIp,
        publicHttpsPort: PORTS.https,
        databaseClientHost: databaseHostPattern(plan.aws.vpcCidr),
        // A Galera cluster's overlay address (writeAddress.ts), held by one node at a time.
        // The app beside the node holding it reaches it as a local address, so it connects from it too.
        ...(plan.writeAddress ? { writeAddress: plan.writeAddress, writeAddressAsSource: plan.writeAddress.split("/")[0] } : {}),
        // The NLB's health checks come from its subnets, so the health frontend listens on every address.
        pairOf: () =>
            topology.front === "nlb"
                ? { healthBind: `:${PORTS.lbHealth}`, stopGraceMs: NLB_STOP_GRACE_MS, proxyProtocol: true }
                : undefined,
    };
}
