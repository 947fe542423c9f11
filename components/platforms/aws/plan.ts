// The aws platform's layout, derived from the topology: subnets and one instance per server, at
// fixed addresses. Pure. Services on one server reach each other on loopback.
import { ResolvedAws } from "../../config/resolved";
import { formatCidr, hostAddress, nthSlash24, parseCidr } from "../../config/net";
import { ServerRole, Topology } from "../../topology";
import { RulePlan, SECURITY_GROUPS, SecurityGroupName, groupOf, planRules } from "./firewall";
import { WRITE_OVERLAY_CIDR } from "./writeAddress";

export interface SubnetPlan {
    /** "public-a", "public-b", "private-a", "private-b" (and "private-c" for a Multi-AZ DB cluster) */
    readonly key: string;
    readonly tier: "public" | "private";
    /** Index into the region's available zones (0 or 1; 2 for a Multi-AZ DB cluster's third private subnet). */
    readonly az: number;
    readonly cidr: string;
    /** Set when aws.existingVpc names the subnet instead of creating it. */
    readonly existingId?: string;
    /** An existing subnet's availability zone (a created one's comes from the region's list, by `az`). */
    readonly availabilityZone?: string;
}

export interface InstancePlan {
    readonly server: string;
    readonly role: ServerRole;
    readonly subnet: string;
    readonly privateIp: string;
    /**
     * A public address of its own, to reach Debian's archive without a NAT gateway: web servers in
     * public subnets, and a pair's load balancers behind an NLB (always in public subnets, where
     * the NLB's nodes are; their security group takes nothing from the internet, only from the
     * NLB's subnets, so the address opens no port).
     */
    readonly publicIp: boolean;
    /**
     * A single load balancer's instance gets the Elastic IP, so it leaves `associatePublicIpAddress`
     * unset: the provider reads it back true once the address is associated, and it forces a
     * replacement (terraform-provider-aws #37318). Behind an NLB, the NLB's subnet mappings hold
     * the Elastic IPs instead.
     */
    readonly elasticIp: boolean;
    readonly securityGroups: readonly SecurityGroupName[];
    readonly instanceType: string;
}

/** A self-managed database's data volume: an EBS volume in its instance's zone, kept when the instance goes. */
export interface DataVolumePlan {
    readonly server: string;
    /** The subnet of its instance: the volume must be in the same availability zone. */
    readonly subnet: string;
    readonly sizeGb: number;
    /** Made from this snapshot (aws.restoreDatabaseVolumes) instead of empty. */
    readonly snapshotId?: string;
}

/**
 * The Network Load Balancer in front of a pair of load balancers (topology.front "nlb"): one node
 * in each of two public subnets, in two availability zones, each with an Elastic IP of the stack.
 */
export interface NlbPlan {
    /** Its subnet mappings, one per availability zone: "public-a", "public-b". */
    readonly subnets: readonly string[];
    /** The servers whose HAProxy it sends connections to, one in each of those subnets. */
    readonly targets: readonly string[];
}

export interface AwsPlan {
    readonly aws: ResolvedAws;
    readonly subnets: readonly SubnetPlan[];
    readonly instances: readonly InstancePlan[];
    readonly rules: readonly RulePlan[];
    /** Subnets the database (RDS subnet group) uses: always private ones. */
    readonly databaseSubnets: readonly string[];
    readonly natGateway: boolean;
    /** Set when an NLB fronts the load balancers (lb.count 2); a single one has the Elastic IP itself. */
    readonly nlb?: NlbPlan;
    /** One per self-managed MariaDB (primary and replicas), in topology order. */
    readonly dataVolumes: readonly DataVolumePlan[];
    /** A Galera cluster's write address (writeAddress.ts: an overlay /32 the route tables send to its holder); else undefined. */
    readonly writeAddress?: string;
    /** The instance a server runs on. */
    instance(server: string): InstancePlan;
}

/**
 * `privateTier`: web servers or RDS go in private subnets. `privateZones`: how many zones get a
 * private subnet: 3 for a Multi-AZ DB cluster (its writer and two standbys, one per zone), else 2.
 */
function planSubnets(aws: ResolvedAws, privateTier: boolean, privateZones: number): SubnetPlan[] {
    const zone = (i: number) => "abc"[i];
    if (aws.existingVpc) {
        const { publicSubnets, privateSubnets } = aws.existingVpc;
        const existing = (tier: "public" | "private", list: typeof publicSubnets) =>
            list.slice(0, tier === "private" ? privateZones : 2).map((s, i) => ({
                key: `${tier}-${zone(i)}`,
                tier,
                az: i,
                cidr: s.cidr,
                existingId: s.id,
                availabilityZone: s.availabilityZone,
            }));
        return [...existing("public", publicSubnets), ...existing("private", privateSubnets)];
    }
    const vpc = parseCidr(aws.vpcCidr);
    if (!vpc) throw new Error(`aws.vpcCidr ${aws.vpcCidr} passed validation but does not parse`);
    const tiers: Array<"public" | "private"> = privateTier ? ["public", "private"] : ["public"];
    const planned = tiers.flatMap((tier, t) =>
        [0, 1].map((az) => ({ key: `${tier}-${zone(az)}`, tier, az, cidr: formatCidr(nthSlash24(vpc, t * 2 + az)) })),
    );
    // The third zone's private subnet takes the next /24, so the others keep their ranges.
    const third =
        privateTier && privateZones === 3
            ? [{ key: "private-c", tier: "private" as const, az: 2, cidr: formatCidr(nthSlash24(vpc, 4)) }]
            : [];
    return [...planned, ...third];
}

export function planAws(topology: Topology): AwsPlan {
    const aws = topology.args.aws;
    // RDS always sits in private subnets: nothing outside the VPC could route to it even if asked.
    const managed = topology.databases.some((d) => d.kind === "rds");
    const cluster = managed && aws.rds.deployment === "multi-az-cluster";
    const subnets = planSubnets(aws, aws.privateSubnets || managed, cluster ? 3 : 2);
    const subnet = (key: string) => {
        const found = subnets.find((s) => s.key === key);
        if (!found) throw new Error(`no subnet ${key}`);
        return found;
    };
    const webTier = aws.privateSubnets ? "private" : "public";
    const balancers = topology.loadBalancers.map((lb) => lb.server);
    const nlb = topology.front === "nlb";
    const instances = topology.servers.map((server, i): InstancePlan => {
        // A pair's load balancers go one to each zone, so that a zone's outage leaves the other.
        // Behind an NLB they need no address of their own on the internet: they sit in the web
        // servers' tier (private subnets, out through the NAT gateway, where there are some).
        const lbIndex = balancers.indexOf(server.name);
        const isLb = lbIndex >= 0;
        const lbTier = nlb ? webTier : "public";
        const key = isLb ? `${lbTier}-${"ab"[lbIndex]}` : `${webTier}-${"ab"[i % 2]}`;
        const groups = new Set<SecurityGroupName>(["host", ...server.services.map((s) => groupOf(s.kind))]);
        return {
            server: server.name,
            role: server.role,
            subnet: key,
            // AWS keeps a subnet's first four addresses for itself; web servers take .11 up, so .10 of
            // each public subnet is free for the load balancer there.
            privateIp: hostAddress(subnet(key).cidr, isLb ? 10 : 10 + i + 1),
            publicIp: isLb ? nlb && lbTier === "public" : webTier === "public",
            elasticIp: isLb && !nlb,
            securityGroups: SECURITY_GROUPS.filter((g) => groups.has(g)),
            instanceType: isLb ? aws.instanceTypes.lb : aws.instanceTypes.web,
        };
    });
    const databaseTier = managed || aws.privateSubnets ? "private" : "public";
    const nlbPlan = nlb ? { subnets: ["public-a", "public-b"], targets: balancers } : undefined;
    return {
        aws,
        subnets,
        instances,
        rules: planRules(
            topology,
            nlbPlan?.subnets.map((key) => subnet(key).cidr),
        ),
        databaseSubnets: subnets.filter((s) => s.tier === databaseTier).map((s) => s.key),
        // Only web servers need a way out (Debian's archive, SSM); RDS needs none.
        natGateway: aws.privateSubnets && !aws.existingVpc,
        ...(nlbPlan ? { nlb: nlbPlan } : {}),
        ...(topology.galera ? { writeAddress: WRITE_OVERLAY_CIDR } : {}),
        dataVolumes: topology.databases.flatMap((d) => {
            if (d.kind !== "mariadb") return [];
            const onServer = instances.find((x) => x.server === d.server);
            if (!onServer) throw new Error(`no instance for ${d.server}`);
            const restore = aws.restoreDatabaseVolumes.find((r) => r.server === d.server);
            const from = restore ? { snapshotId: restore.snapshotId } : {};
            return [{ server: d.server, subnet: onServer.subnet, sizeGb: aws.databaseVolumeGb, ...from }];
        }),
        instance: (server) => {
            const found = instances.find((x) => x.server === server);
            if (!found) throw new Error(`no instance for ${server}`);
            return found;
        },
    };
}
