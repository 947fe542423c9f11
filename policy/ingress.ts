// Nothing open to the internet but the load balancer's 80 and 443 (design.md, "safe by default").
// The load balancer's group is the security group whose Pulumi resource name ends in "-lb" (the
// program names them <prefix>-lb, -web, -db and -host; AWS names carry a random suffix).
import { Props, StackResource, TYPES, Violation, list, ofType, referenced } from "./resources";

export const LOAD_BALANCER_GROUP_SUFFIX = "-lb";
export const OPEN_PORTS: readonly number[] = [80, 443];
const ANYWHERE: readonly string[] = ["0.0.0.0/0", "::/0"];

/** One ingress permission, whichever resource shape it came from. */
interface Ingress {
    readonly label: string;
    readonly urn: string;
    readonly protocol: unknown;
    readonly fromPort: unknown;
    readonly toPort: unknown;
    readonly cidrs: readonly string[];
    readonly groups: readonly StackResource[];
}

const isTcp = (protocol: unknown): boolean => protocol === "tcp" || protocol === "6" || protocol === 6;

/** "tcp 443", "tcp 80-443", "all traffic", "udp 53". */
function describe(i: Ingress): string {
    if (i.protocol === "-1" || i.protocol === -1 || i.protocol === "all") return "all traffic";
    const ports = i.fromPort === i.toPort ? String(i.fromPort) : `${String(i.fromPort)}-${String(i.toPort)}`;
    return `${isTcp(i.protocol) ? "tcp" : String(i.protocol)} ${ports}`;
}

const allowedOpen = (i: Ingress, group: StackResource | undefined): boolean =>
    group !== undefined &&
    group.name.endsWith(LOAD_BALANCER_GROUP_SUFFIX) &&
    isTcp(i.protocol) &&
    i.fromPort === i.toPort &&
    OPEN_PORTS.includes(Number(i.fromPort));

/** Every ingress permission of the stack: rule resources (both generations) and groups' inline rules. */
function ingresses(resources: readonly StackResource[]): Ingress[] {
    const groups = ofType(resources, TYPES.securityGroup);
    const fromRule = (r: StackResource, cidrs: readonly string[]): Ingress => ({
        label: r.name,
        urn: r.urn,
        protocol: r.props.ipProtocol ?? r.props.protocol,
        fromPort: r.props.fromPort,
        toPort: r.props.toPort,
        cidrs,
        groups: referenced(r, "securityGroupId", groups),
    });
    return [
        ...ofType(resources, TYPES.ingressRule).map((r) =>
            fromRule(r, [...list<string>(r.props.cidrIpv4), ...list<string>(r.props.cidrIpv6)]),
        ),
        ...ofType(resources, TYPES.securityGroupRule)
            .filter((r) => r.props.type === "ingress")
            .map((r) => fromRule(r, [...list<string>(r.props.cidrBlocks), ...list<string>(r.props.ipv6CidrBlocks)])),
        ...groups.flatMap((g) =>
            list<Props>(g.props.ingress).map((rule) => ({
                label: `${g.name} (inline rule)`,
                urn: g.urn,
                protocol: rule.protocol,
                fromPort: rule.fromPort,
                toPort: rule.toPort,
                cidrs: [...list<string>(rule.cidrBlocks), ...list<string>(rule.ipv6CidrBlocks)],
                groups: [g],
            })),
        ),
    ];
}

/** Violations of the whole stack: every ingress from anywhere but tcp 80 or 443 into the load balancer's group. */
export function checkIngress(resources: readonly StackResource[]): Violation[] {
    return ingresses(resources).flatMap((i) => {
        const open = i.cidrs.filter((c) => ANYWHERE.includes(c));
        if (open.length === 0 || allowedOpen(i, i.groups[0])) return [];
        const group =
            i.groups.length > 0 ? `security group ${i.groups.map((g) => g.name).join(", ")}` : "a security group outside the stack";
        return [
            {
                urn: i.urn,
                message: `${i.label}: ingress from ${open.join(", ")} on ${describe(i)} into ${group}; only the load balancer's group (name ending in "${LOAD_BALANCER_GROUP_SUFFIX}") may take tcp 80 and 443 from anywhere`,
            },
        ];
    });
}
