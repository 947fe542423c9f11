// The aws platform's layout, derived from the topology: subnets, instance addresses and security
// group rules. Pure. One instance per server; services on one server reach each other on loopback.
import { ResolvedAws } from "./config/awsArgs";
import { Cidr, formatCidr, intToIpv4, nthSlash24, parseCidr } from "./config/net";
import { INTERNET, MANAGED_SERVER, PORTS, ServerRole, ServiceKind, Topology, isFromOutside, service } from "./topology";

/**
 * Security groups: "host" is on every instance (internet egress for packages and the SSM API,
 * SSH from aws.adminCidr only); "lb", "web" and "db" carry the topology's flows, by source group.
 */
export type SecurityGroupName = "host" | "lb" | "web" | "db";
export const SECURITY_GROUPS: readonly SecurityGroupName[] = ["host", "lb", "web", "db"];
export const ANYWHERE = "0.0.0.0/0";

export interface SubnetPlan {
    /** "public-a", "public-b", "private-a", "private-b" */
    readonly key: string;
    readonly tier: "public" | "private";
    /** Index into the region's available zones (0 or 1). */
    readonly az: number;
    readonly cidr: string;
    /** Set when aws.existingVpc names the subnet instead of creating it. */
    readonly existingId?: string;
}

export interface InstancePlan {
    readonly server: string;
    readonly role: ServerRole;
    readonly subnet: string;
    readonly privateIp: string;
    /** Web servers in public subnets need a public address to reach Debian's archive (no NAT). */
    readonly publicIp: boolean;
    readonly securityGroups: readonly SecurityGroupName[];
    readonly instanceType: string;
}

export interface RulePlan {
    readonly group: SecurityGroupName;
    readonly direction: "ingress" | "egress";
    readonly port: number;
    readonly peer: { readonly group: SecurityGroupName } | { readonly cidr: string };
    readonly description: string;
}

export interface AwsPlan {
    readonly aws: ResolvedAws;
    readonly subnets: readonly SubnetPlan[];
    readonly instances: readonly InstancePlan[];
    readonly rules: readonly RulePlan[];
    /** Subnets the database (RDS subnet group) uses: private ones when there are, else public. */
    readonly databaseSubnets: readonly string[];
    readonly natGateway: boolean;
    instance(server: string): InstancePlan;
}

/** The security group a service's traffic is allowed by. */
export function groupOf(kind: ServiceKind): SecurityGroupName {
    switch (kind) {
        case "haproxy":
        case "prometheus":
            return "lb";
        case "nginx":
        case "app":
            return "web";
        // An exporter runs beside its database, so Prometheus's scrapes are let into the database's group.
        case "mariadb-primary":
        case "mariadb-replica":
        case "mysqld-exporter":
            return "db";
        default: {
            const never: never = kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

function planSubnets(aws: ResolvedAws): SubnetPlan[] {
    if (aws.existingVpc) {
        const { publicSubnets, privateSubnets } = aws.existingVpc;
        return [
            ...publicSubnets
                .slice(0, 2)
                .map((s, i) => ({ key: `public-${"ab"[i]}`, tier: "public" as const, az: i, cidr: s.cidr, existingId: s.id })),
            ...privateSubnets
                .slice(0, 2)
                .map((s, i) => ({ key: `private-${"ab"[i]}`, tier: "private" as const, az: i, cidr: s.cidr, existingId: s.id })),
        ];
    }
    const vpc = parseCidr(aws.vpcCidr) as Cidr;
    const tiers: Array<"public" | "private"> = aws.privateSubnets ? ["public", "private"] : ["public"];
    return tiers.flatMap((tier, t) =>
        [0, 1].map((az) => ({ key: `${tier}-${"ab"[az]}`, tier, az, cidr: formatCidr(nthSlash24(vpc, t * 2 + az)) })),
    );
}

/** A fixed address inside a subnet: AWS keeps the first four for itself. */
function hostIn(cidr: string, host: number): string {
    return intToIpv4((parseCidr(cidr) as Cidr).base + host);
}

export function planAws(topology: Topology): AwsPlan {
    const aws = topology.args.aws;
    const subnets = planSubnets(aws);
    const subnet = (key: string) => subnets.find((s) => s.key === key) as SubnetPlan;
    const webTier = aws.privateSubnets ? "private" : "public";
    const instances = topology.servers.map((server, i): InstancePlan => {
        const isLb = server.name === topology.lbServer;
        const key = isLb ? "public-a" : `${webTier}-${"ab"[i % 2]}`;
        const groups = new Set<SecurityGroupName>(["host"]);
        for (const key of server.services) groups.add(groupOf(service(topology, key).kind));
        return {
            server: server.name,
            role: server.role,
            subnet: key,
            privateIp: hostIn(subnet(key).cidr, isLb ? 10 : 10 + i + 1),
            publicIp: !isLb && webTier === "public",
            securityGroups: SECURITY_GROUPS.filter((g) => groups.has(g)),
            instanceType: isLb ? aws.instanceTypes.lb : aws.instanceTypes.web,
        };
    });
    const databaseTier = aws.privateSubnets ? "private" : "public";
    return {
        aws,
        subnets,
        instances,
        rules: planRules(topology),
        databaseSubnets: subnets.filter((s) => s.tier === databaseTier).map((s) => s.key),
        natGateway: aws.privateSubnets && !aws.existingVpc,
        instance: (server) => {
            const found = instances.find((x) => x.server === server);
            if (!found) throw new Error(`no instance for ${server}`);
            return found;
        },
    };
}

/** Least privilege, by source group: each cross-server flow becomes one ingress and one egress rule. */
function planRules(topology: Topology): RulePlan[] {
    const rules = new Map<string, RulePlan>();
    // Flows that land on the same rule share it; its description names every purpose.
    const add = (r: RulePlan) => {
        const key = `${r.group}|${r.direction}|${r.port}|${JSON.stringify(r.peer)}`;
        const before = rules.get(key);
        const purposes = new Set([...(before ? before.description.split("; ") : []), r.description]);
        rules.set(key, { ...r, description: [...purposes].sort().join("; ") });
    };
    for (const flow of topology.flows) {
        const to = service(topology, flow.to);
        if (isFromOutside(flow)) {
            // Operators are inside the VPC (an SSM port forward, a bastion, a VPN).
            const cidr = flow.from === INTERNET ? ANYWHERE : topology.args.aws.vpcCidr;
            add({ group: groupOf(to.kind), direction: "ingress", port: flow.port, peer: { cidr }, description: flow.purpose });
            continue;
        }
        const from = service(topology, flow.from);
        if (from.server === to.server && to.server !== MANAGED_SERVER) continue; // loopback
        const [src, dst] = [groupOf(from.kind), groupOf(to.kind)];
        add({ group: dst, direction: "ingress", port: flow.port, peer: { group: src }, description: flow.purpose });
        add({ group: src, direction: "egress", port: flow.port, peer: { group: dst }, description: flow.purpose });
    }
    if (topology.args.database.mode === "managed") {
        // server-3 creates the schema and the app user on RDS at first boot.
        const purpose = "schema and users on RDS, at first boot";
        add({ group: "db", direction: "ingress", port: PORTS.mysql, peer: { group: "lb" }, description: purpose });
        add({ group: "lb", direction: "egress", port: PORTS.mysql, peer: { group: "db" }, description: purpose });
    }
    // With aws.existingVpc, aws.vpcCidr must be that VPC's range (documented in the README).
    add({
        group: "lb",
        direction: "ingress",
        port: PORTS.stats,
        peer: { cidr: topology.args.aws.vpcCidr },
        description: "HAProxy stats and Prometheus metrics, from inside the VPC only",
    });
    for (const port of [80, 443]) {
        add({
            group: "host",
            direction: "egress",
            port,
            peer: { cidr: ANYWHERE },
            description: port === 80 ? "the Debian archive" : "SSM, the AWS APIs and the Debian security archive",
        });
    }
    if (topology.args.aws.adminCidr) {
        add({
            group: "host",
            direction: "ingress",
            port: 22,
            peer: { cidr: topology.args.aws.adminCidr },
            description: "SSH from aws.adminCidr only",
        });
    }
    return [...rules.values()];
}
