// The Galera cluster in the boot rehearsal (database.failover automatic): the EC2 API and the VPC
// around the write address's route. The stand-in instances are on one docker network; what a VPC
// route table does for the overlay address 100.127.255.254/32 (send it to the network interface
// the route names) is done in each instance of the table's subnets by a host route to the address
// of the instance behind that interface (none on the holder itself: it has the address; a
// blackhole when no instance has that interface any more, as EC2 marks such a route). The route
// follows the EC2 stand-in's table: set at boot as the program created it (to the bootstrap node),
// changed when a ReplaceRoute changes it.
import * as yaml from "js-yaml";
import { gunzipSync } from "zlib";
import { RecordedResource } from "../helpers/pulumiMocks";
import { StandinRoute } from "./ec2Standin";
import { Instance } from "./instances";
import { clusterSize, holdsWriteAddress, Node, readOnly } from "./galeraProbes";
import { waitFor } from "./poll";

export const WRITE_IP = "100.127.255.254";
const ROUTE = "aws:ec2/route:Route";
const ROUTE_TABLE = "aws:ec2/routeTable:RouteTable";
const ASSOCIATION = "aws:ec2/routeTableAssociation:RouteTableAssociation";

/** A file the user data writes, or undefined. */
export function userDataFile(r: RecordedResource, path: string): string | undefined {
    const config = yaml.load(gunzipSync(Buffer.from(r.inputs.userDataBase64, "base64")).toString()) as {
        write_files: Array<{ path: string; content: string }>;
    };
    return config.write_files.find((f) => f.path === path)?.content;
}

/** The Galera node whose galera.env says it may start the cluster: the write routes' first target. */
export function bootstrapServer(instances: readonly RecordedResource[]): string {
    const found = instances.filter((r) => /^FOOBAR_GALERA_BOOTSTRAP="1"$/m.test(userDataFile(r, "/etc/foobar/galera.env") ?? ""));
    if (found.length !== 1) throw new Error(`${found.length} bootstrap nodes`);
    return String(found[0].inputs.tags["foobar:server"]);
}

/** The stack's route tables as registered: inline routes and aws.ec2.Route resources (the write address's to `bootstrapEni`). */
export function registeredRouteTables(resources: readonly RecordedResource[], bootstrapEni: string): Map<string, StandinRoute[]> {
    const tables = new Map<string, StandinRoute[]>();
    for (const t of resources.filter((r) => r.type === ROUTE_TABLE)) {
        const inline = (t.inputs.routes ?? []) as Array<{ cidrBlock: string; gatewayId?: string }>;
        tables.set(
            `${t.name}-id`,
            inline.map((r) => ({ destinationCidrBlock: r.cidrBlock, gatewayId: r.gatewayId })),
        );
    }
    for (const r of resources.filter((x) => x.type === ROUTE)) {
        const table = tables.get(r.inputs.routeTableId);
        if (!table) throw new Error(`${r.name}: no route table ${r.inputs.routeTableId}`);
        // Its networkInterfaceId is the bootstrap instance's primaryNetworkInterfaceId (unknown under the mocks).
        table.push({ destinationCidrBlock: r.inputs.destinationCidrBlock, networkInterfaceId: bootstrapEni });
    }
    return tables;
}

export interface RoutedInstance {
    readonly instance: Instance;
    readonly privateIp: string;
    readonly subnetId: string;
    readonly interfaceId: string;
}

/** The VPC stand-in's routing of the write address, per the EC2 stand-in's tables. */
export class VpcRouter {
    private readonly instances = new Map<string, RoutedInstance>();
    constructor(
        private readonly resources: readonly RecordedResource[],
        private readonly tables: ReadonlyMap<string, readonly StandinRoute[]>,
    ) {}

    set(server: string, i: RoutedInstance | undefined): void {
        if (i) this.instances.set(server, i);
        else this.instances.delete(server);
    }

    /** The write route's target for an instance's subnet: the route's interface id. */
    private targetFor(subnetId: string): string | undefined {
        const table = this.resources.find((r) => r.type === ASSOCIATION && r.inputs.subnetId === subnetId)?.inputs.routeTableId;
        return this.tables.get(table)?.find((r) => r.destinationCidrBlock === `${WRITE_IP}/32`)?.networkInterfaceId;
    }

    /** Makes each instance (or the one named) route the write address as its table says now. */
    async apply(only?: string): Promise<void> {
        const all = [...this.instances.entries()].filter(([s]) => only === undefined || s === only);
        await Promise.all(
            all.map(async ([, i]) => {
                const eni = this.targetFor(i.subnetId);
                const target = [...this.instances.values()].find((x) => x.interfaceId === eni);
                const cmd =
                    target === i
                        ? ["ip", "route", "del", `${WRITE_IP}/32`]
                        : target
                          ? ["ip", "route", "replace", `${WRITE_IP}/32`, "via", target.privateIp, "dev", "eth0"]
                          : ["ip", "route", "replace", "blackhole", `${WRITE_IP}/32`];
                await i.instance.run(cmd);
            }),
        );
    }
}

export interface ClusterView {
    readonly sizes: Record<string, number>;
    readonly writer: string;
}

/** Waits until every node counts `size` members and exactly one holds the address with read_only 0, the others read_only 1. */
export async function waitCluster(nodes: readonly Node[], size: number, timeoutMs: number): Promise<ClusterView> {
    return waitFor(
        `a Galera cluster of ${size} with one writer`,
        timeoutMs,
        async () => {
            const states = await Promise.all(
                nodes.map(async (n) => ({
                    n,
                    size: await clusterSize(n).catch(() => 0),
                    holds: await holdsWriteAddress(n, WRITE_IP),
                    readOnly: await readOnly(n),
                })),
            );
            const view = states.map((s) => `${s.n.server}: size ${s.size}, read_only ${s.readOnly}, ${s.holds ? "holds" : "-"}`).join("; ");
            const writers = states.filter((s) => s.holds && s.readOnly === 0);
            const ok =
                states.every((s) => s.size === size) &&
                writers.length === 1 &&
                states.filter((s) => s.holds).length === 1 &&
                states.filter((s) => s.readOnly === 1).length === nodes.length - 1;
            if (!ok) throw new Error(view);
            return { sizes: Object.fromEntries(states.map((s) => [s.n.server, s.size])), writer: writers[0].n.server };
        },
        250,
    );
}
