// How services see each other on docker: every service is its own host on the shared networks.
import { databaseHostPattern } from "../../config/net";
import { PlatformView } from "../../services";
import { PORTS, Topology } from "../../topology";
import { DockerPlan } from "./plan";

/**
 * How long a HAProxy of a pair keeps serving after its stop signal: keepalived's container waits
 * up to 4 s (KEEPALIVED_DRAIN_SECONDS, images/keepalived/start.sh) for the connections to end before it
 * hands the address over, and the handover takes well under a second more.
 */
export const PAIR_STOP_GRACE_MS = 5000;

export function dockerView(topology: Topology, plan: DockerPlan): PlatformView {
    const data = plan.segments.find((s) => s.name === "data");
    if (!data) throw new Error("the docker plan has no data network");
    return {
        reach: (from, to) => plan.reach(from, to),
        // Each app is alone in its container; the networks, not the bind address, keep it private.
        appListenHost: "0.0.0.0",
        // HAProxy serves stats on the monitoring network, where Prometheus scrapes it; with monitoring
        // off, on its own loopback only (its health check).
        statsAddress: (haproxy) =>
            plan.segmentsOf(haproxy).some((s) => s.name === "metrics") ? plan.addressOn("metrics", haproxy) : "127.0.0.1",
        // A pair is reached on its virtual IP's own 443; a single HAProxy on the port Docker publishes.
        publicHttpsPort: topology.front === "keepalived" ? PORTS.https : topology.args.docker.httpsPort,
        // The MariaDB users accept the data network only.
        databaseClientHost: databaseHostPattern(data.subnet),
        // keepalived's track script and HAProxy's health frontend share a network namespace: loopback.
        pairOf: () =>
            topology.front === "keepalived"
                ? { healthBind: `127.0.0.1:${PORTS.lbHealth}`, stopGraceMs: PAIR_STOP_GRACE_MS, proxyProtocol: false }
                : undefined,
        floatingAddress: plan.floatingAddress,
        writeAddress: plan.writeAddress,
    };
}
