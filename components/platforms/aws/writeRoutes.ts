// The write address's routes (writeAddress.ts): one in each route table that a client of the
// database (the app) or a database node sits behind, to the bootstrap node's network interface at
// first. Thin.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Topology } from "../../topology";
import { AwsNetwork } from "./network";
import { AwsPlan } from "./plan";
import { WRITE_OVERLAY_CIDR } from "./writeAddress";

/** A route table the write address's route goes in, named by its subnets' tier. */
export interface WriteRouteTable {
    readonly tier: "public" | "private";
    readonly id: pulumi.Output<string>;
}

/** The tables of the subnets the app's servers and the database nodes are in, each once; none without a write address. */
export function writeRouteTables(plan: AwsPlan, topology: Topology, network: AwsNetwork): WriteRouteTable[] {
    const galera = topology.galera;
    if (!plan.writeAddress || !galera) return [];
    const servers = new Set([
        ...galera.nodes.map((n) => n.server),
        ...topology.servers.filter((s) => s.services.some((x) => x.kind === "app")).map((s) => s.name),
    ]);
    const subnets = plan.instances.filter((i) => servers.has(i.server)).map((i) => i.subnet);
    const tiers = [...new Set(plan.subnets.filter((s) => subnets.includes(s.key)).map((s) => s.tier))].sort();
    return tiers.map((tier) => {
        const key = plan.subnets.find((s) => s.tier === tier && network.routeTableIds.has(s.key))?.key;
        const id = key ? network.routeTableIds.get(key) : undefined;
        if (!id) throw new Error(`no route table of this stack for the ${tier} subnets: the write address needs one`);
        return { tier, id };
    });
}

/**
 * The overlay address's route in each table, to the bootstrap node's primary network interface
 * (where the cluster starts and keepalived first elects). From then on keepalived moves it: the
 * elected node's hook replaces the route's target at runtime (aws-vpc-move-ip, ReplaceRoute), so
 * the target is ignored here; a `pulumi up` after a failover must not move it back.
 */
export function createWriteRoutes(
    name: string,
    tables: readonly WriteRouteTable[],
    bootstrapNode: aws.ec2.Instance,
    parent: pulumi.Resource,
): aws.ec2.Route[] {
    return tables.map(
        (table) =>
            new aws.ec2.Route(
                `${name}-write-address-${table.tier}`,
                {
                    routeTableId: table.id,
                    destinationCidrBlock: WRITE_OVERLAY_CIDR,
                    networkInterfaceId: bootstrapNode.primaryNetworkInterfaceId,
                },
                { parent, ignoreChanges: ["networkInterfaceId"] },
            ),
    );
}
