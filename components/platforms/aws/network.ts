// The aws platform's network: a dedicated VPC (or an existing one), its subnets, routes and
// security groups. Thin: the layout and every rule come from plan.ts and firewall.ts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mustGet } from "../platform";
import { SECURITY_GROUPS, SecurityGroupName } from "./firewall";
import { AwsPlan } from "./plan";
import { VRRP_PROTOCOL } from "./writeAddress";

export interface AwsNetwork {
    readonly vpcId: pulumi.Input<string>;
    readonly subnetIds: ReadonlyMap<string, pulumi.Input<string>>;
    /**
     * Each subnet's availability zone, from the region's zone list or aws.existingVpc: never from an
     * instance, so a volume in that zone does not follow an instance's replacement.
     */
    readonly subnetZones: ReadonlyMap<string, pulumi.Input<string>>;
    readonly securityGroupIds: ReadonlyMap<SecurityGroupName, pulumi.Output<string>>;
    /** The route table of each subnet this stack created (none in an existing VPC), by subnet key. */
    readonly routeTableIds: ReadonlyMap<string, pulumi.Output<string>>;
}

export function createNetwork(name: string, plan: AwsPlan, tags: Record<string, string>, parent: pulumi.Resource): AwsNetwork {
    const opts = { parent };
    const { vpcId, subnetIds, subnetZones, routeTableIds } = plan.aws.existingVpc
        ? {
              vpcId: plan.aws.existingVpc.vpcId,
              routeTableIds: new Map<string, pulumi.Output<string>>(),
              subnetIds: new Map(plan.subnets.flatMap((s) => (s.existingId ? [[s.key, s.existingId]] : []))),
              subnetZones: new Map(plan.subnets.flatMap((s) => (s.availabilityZone ? [[s.key, s.availabilityZone]] : []))),
          }
        : createVpc(name, plan, tags, parent);

    const securityGroupIds = new Map(
        SECURITY_GROUPS.map((group) => {
            const sg = new aws.ec2.SecurityGroup(
                `${name}-${group}`,
                { vpcId, description: `foobar-infra ${name}: ${group}`, tags: { ...tags, Name: `${name}-${group}` } },
                opts,
            );
            return [group, sg.id] as const;
        }),
    );
    for (const rule of plan.rules) {
        const peer =
            "group" in rule.peer
                ? { referencedSecurityGroupId: mustGet(securityGroupIds, rule.peer.group, "security group") }
                : { cidrIpv4: rule.peer.cidr };
        // VRRP is an IP protocol of its own (112), without ports.
        const protocol =
            rule.port === "vrrp"
                ? { ipProtocol: VRRP_PROTOCOL }
                : { ipProtocol: rule.udp ? "udp" : "tcp", fromPort: rule.port, toPort: rule.port };
        const args = {
            securityGroupId: mustGet(securityGroupIds, rule.group, "security group"),
            ...protocol,
            description: rule.description,
            tags,
            ...peer,
        };
        // Named by what the rule is, so reordering rules never replaces one.
        const peerName = "group" in rule.peer ? rule.peer.group : rule.peer.cidr.replace(/[./]/g, "-");
        // A TCP rule keeps the name it always had; a UDP one says so.
        const ruleName = `${name}-${rule.group}-${rule.direction}-${rule.udp ? "udp" : ""}${rule.port}-${peerName}`;
        if (rule.direction === "ingress") new aws.vpc.SecurityGroupIngressRule(ruleName, args, opts);
        else new aws.vpc.SecurityGroupEgressRule(ruleName, args, opts);
    }
    return { vpcId, subnetIds, subnetZones, securityGroupIds, routeTableIds };
}

function createVpc(name: string, plan: AwsPlan, tags: Record<string, string>, parent: pulumi.Resource) {
    const opts = { parent };
    // With a write address (writeAddress.ts) its route is a resource of its own, whose target
    // keepalived moves: the tables' inline routes must not claim every route of the table.
    const tableOpts = plan.writeAddress ? { parent, ignoreChanges: ["routes"] } : opts;
    const vpc = new aws.ec2.Vpc(
        `${name}-vpc`,
        { cidrBlock: plan.aws.vpcCidr, enableDnsHostnames: true, enableDnsSupport: true, tags: { ...tags, Name: `${name}-vpc` } },
        opts,
    );
    // Take over the VPC's default security group with no rules: it allows nothing.
    new aws.ec2.DefaultSecurityGroup(`${name}-default-sg`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-default-deny` } }, opts);
    const zones = aws.getAvailabilityZonesOutput({ state: "available" }, opts);
    const subnetIds = new Map<string, pulumi.Output<string>>();
    for (const s of plan.subnets) {
        const subnet = new aws.ec2.Subnet(
            `${name}-${s.key}`,
            {
                vpcId: vpc.id,
                cidrBlock: s.cidr,
                availabilityZone: zones.names[s.az],
                // Addresses are given per instance; nothing gets one by accident.
                mapPublicIpOnLaunch: false,
                tags: { ...tags, Name: `${name}-${s.key}`, "foobar:tier": s.tier },
            },
            opts,
        );
        subnetIds.set(s.key, subnet.id);
    }
    const igw = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: vpc.id, tags: { ...tags, Name: `${name}-igw` } }, opts);
    const publicRoutes = new aws.ec2.RouteTable(
        `${name}-public`,
        { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", gatewayId: igw.id }], tags: { ...tags, Name: `${name}-public` } },
        tableOpts,
    );
    let privateRoutes: aws.ec2.RouteTable | undefined;
    if (plan.natGateway) {
        const natIp = new aws.ec2.Eip(`${name}-nat`, { domain: "vpc", tags: { ...tags, Name: `${name}-nat` } }, opts);
        const nat = new aws.ec2.NatGateway(
            `${name}-nat`,
            {
                allocationId: natIp.id,
                subnetId: mustGet(subnetIds, "public-a", "subnet"),
                tags: { ...tags, Name: `${name}-nat` },
            },
            { parent, dependsOn: [igw] },
        );
        privateRoutes = new aws.ec2.RouteTable(
            `${name}-private`,
            { vpcId: vpc.id, routes: [{ cidrBlock: "0.0.0.0/0", natGatewayId: nat.id }], tags: { ...tags, Name: `${name}-private` } },
            tableOpts,
        );
    }
    const routeTableIds = new Map<string, pulumi.Output<string>>();
    for (const s of plan.subnets) {
        const table = s.tier === "public" ? publicRoutes : privateRoutes;
        if (!table) continue;
        routeTableIds.set(s.key, table.id);
        new aws.ec2.RouteTableAssociation(
            `${name}-${s.key}`,
            { subnetId: mustGet(subnetIds, s.key, "subnet"), routeTableId: table.id },
            opts,
        );
    }
    const subnetZones = new Map(plan.subnets.map((s) => [s.key, zones.names[s.az]]));
    return { vpcId: vpc.id, subnetIds, subnetZones, routeTableIds };
}
