// How services see each other on docker: every service is its own host on the shared networks.
import { databaseHostPattern } from "../../config/net";
import { PlatformView } from "../../services";
import { Topology } from "../../topology";
import { DockerPlan } from "./plan";

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
        publicHttpsPort: topology.args.docker.httpsPort,
        // The MariaDB users accept the data network only.
        databaseClientHost: databaseHostPattern(data.subnet),
    };
}
