// The stack the bench deploys: the dev stack's config under its own name, ports and subnets (so
// it never clashes with a dev stack on 8080/8443/9090 or the live suite's stacks), deployed from
// what the program registers (test/live/capture.ts, deployer.ts) and removed afterwards.
import * as path from "path";
import { RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack, removeLeftovers } from "../live/capture";
import { DockerDeployer } from "../live/deployer";
import { Site, labelledContainers, siteOf, waitBackend, waitReplicating, waitServing } from "../live/probes";

const ROOT = path.join(__dirname, "..", "..");

export const BENCH_OVERRIDES = {
    "foobar:docker": { httpPort: 48080, httpsPort: 48443, prometheusPort: 49090, bindAddress: "127.0.0.1", subnet: "10.84.0.0/16" },
};

export interface BenchStack {
    readonly captured: CapturedStack;
    readonly site: Site;
    /** The docker object name prefix and foobar.stack label: "foobar-bench". */
    readonly name: string;
    readonly webServers: readonly string[];
    readonly haproxy: { readonly container: string; readonly edge: string; readonly stats: string };
    readonly primary: string;
    readonly replicas: readonly string[];
    /** The network every published port and the load balancer's clients use ("foobar-bench-edge"). */
    readonly edgeNetwork: string;
    /** "https://127.0.0.1:48443" and the Host header the site answers to. */
    readonly base: string;
    readonly host: string;
}

/** A service's address on one of the stack's networks, from the outputs. */
export function addressOf(captured: CapturedStack, service: string, network: string): string {
    const found = captured.outputs.servers.flatMap((s) => s.services).find((s) => s.service === service);
    const address = found?.addresses[network];
    if (!address) throw new Error(`${service} has no address on ${network}`);
    return address;
}

/** A container's registered inputs, by its name ("foobar-bench-server-3-haproxy"). */
export function containerOf(stack: BenchStack, name: string): RecordedResource {
    const found = stack.captured.resources.find((r) => r.type === TYPES.container && r.inputs.name === name);
    if (!found) throw new Error(`no container ${name} registered`);
    return found;
}

export class BenchDeployment {
    private readonly deployer = new DockerDeployer(ROOT);
    private captured: CapturedStack | undefined;

    async capture(): Promise<CapturedStack> {
        this.captured = await captureStack("bench", BENCH_OVERRIDES);
        await removeLeftovers(this.captured.name);
        return this.captured;
    }

    /** Deploys, then waits until HAProxy has every web server UP, both serve and every replica replicates. */
    async deploy(captured: CapturedStack): Promise<BenchStack> {
        await this.deployer.deploy(captured.resources);
        const lb = captured.outputs.servers.find((s) => s.role === "lb-db")?.name;
        if (!lb) throw new Error("no load balancer server in the outputs");
        const webServers = captured.outputs.servers.filter((s) => s.role === "web").map((s) => s.name);
        const site = siteOf(captured);
        const haproxy = {
            container: `${captured.name}-${lb}-haproxy`,
            edge: addressOf(captured, `${lb}-haproxy`, "edge"),
            stats: addressOf(captured, `${lb}-haproxy`, "metrics"),
        };
        await waitBackend(haproxy.container, haproxy.stats, Object.fromEntries(webServers.map((s) => [s, "UP"])), 90_000);
        await waitServing(site, webServers);
        const replicas = await labelledContainers(captured.name, ["foobar.service", "mariadb-replica"]);
        if (replicas.length > 0) await waitReplicating(replicas, 60_000);
        const [primary] = await labelledContainers(captured.name, ["foobar.service", "mariadb-primary"]);
        return {
            captured,
            site,
            name: captured.name,
            webServers,
            haproxy,
            primary,
            replicas,
            edgeNetwork: `${captured.name}-edge`,
            base: `https://${site.address}:${site.httpsPort}`,
            host: `${site.domain}:${site.httpsPort}`,
        };
    }

    /** Removes everything deployed, and anything an interrupted earlier run left; safe to call twice. */
    async destroy(): Promise<void> {
        await this.deployer.destroy();
        if (this.captured) await removeLeftovers(this.captured.name);
    }
}
