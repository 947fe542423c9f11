// The site's public entry: a single load balancer's Elastic IP, or, for a pair (lb.count 2), a
// Network Load Balancer across two availability zones with an Elastic IP per subnet mapping, which
// passes TCP 80 and 443 through to both HAProxy instances with a PROXY protocol v2 header. Thin: the
// subnets and targets come from plan.ts, the rules that let the NLB in from firewall.ts.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { HAPROXY_HEALTH_URI } from "../../render/haproxy";
import { PORTS } from "../../topology";
import { mustGet } from "../platform";
import { AwsNetwork } from "./network";
import { AwsPlan, NlbPlan } from "./plan";

/**
 * How the NLB asks each HAProxy whether to send it new connections: its health frontend
 * (render/haproxy.ts, PairInput), which answers 503 from the moment HAProxy begins to stop. AWS's
 * shortest settings: a check every 5 s, out after 2 failures (about 10 s; 12 s at worst, when the
 * second check waits out its 2 s timeout on a silent instance), back after 2 passes. view.ts's
 * NLB_STOP_GRACE_MS covers that worst case.
 */
export const NLB_HEALTH_CHECK = {
    protocol: "HTTP",
    port: String(PORTS.lbHealth),
    path: HAPROXY_HEALTH_URI,
    matcher: "200",
    interval: 5,
    timeout: 2,
    healthyThreshold: 2,
    unhealthyThreshold: 2,
} as const;

/**
 * How long a target that leaves (its instance replaced or destroyed) keeps the connections it has:
 * longer than HAProxy's stop grace, far shorter than AWS's default of 300 s, which would hold every
 * replacement five minutes.
 */
export const NLB_DEREGISTRATION_DELAY_SECONDS = 15;

/** The NLB's listeners and target groups: each port passed through as it is. */
const NLB_PORTS = [
    { label: "http", port: PORTS.http },
    { label: "https", port: PORTS.https },
] as const;

/** The Elastic IPs, by subnet key: the single load balancer's, or one per NLB subnet mapping. */
export type PublicAddresses = ReadonlyMap<string, aws.ec2.Eip>;

/**
 * Allocated first, before the self-signed certificate that names them, and kept apart from what
 * they are given to: a replaced instance or NLB leaves the site's addresses (and DNS) as they were.
 */
export function createPublicAddresses(name: string, plan: AwsPlan, tags: Record<string, string>, parent: pulumi.Resource): PublicAddresses {
    const eip = (eipName: string) => new aws.ec2.Eip(eipName, { domain: "vpc", tags: { ...tags, Name: eipName } }, { parent });
    if (plan.nlb) return new Map(plan.nlb.subnets.map((key) => [key, eip(`${name}-nlb-${key.slice(-1)}`)]));
    const lb = plan.instances.filter((i) => i.elasticIp);
    if (lb.length !== 1) throw new Error(`a single load balancer has one Elastic IP, not ${lb.length}`);
    return new Map([[lb[0].subnet, eip(`${name}-lb`)]]);
}

export interface FrontInput {
    readonly plan: AwsPlan;
    readonly network: AwsNetwork;
    readonly addresses: PublicAddresses;
    /** Each server's instance. */
    readonly instances: ReadonlyMap<string, aws.ec2.Instance>;
    readonly production: boolean;
    readonly tags: Record<string, string>;
}

/** The NLB and its target groups by port label: what its CloudWatch metrics name (alarms.ts). */
export interface NlbTargets {
    readonly loadBalancerArn: pulumi.Output<string>;
    readonly targetGroups: ReadonlyArray<{ readonly label: string; readonly arn: pulumi.Output<string> }>;
}

export interface PublicFront {
    /** What the site's outputs wait for: the NLB's listeners (nothing for an Elastic IP). */
    readonly ready: pulumi.Output<string>[];
    readonly nlb?: NlbTargets;
}

/**
 * Hands the load balancers' instances their public entry: the Elastic IP is associated with the
 * single one, or the NLB is made in front of the pair.
 */
export function attachPublicFront(name: string, input: FrontInput, parent: pulumi.Resource): PublicFront {
    const { plan, addresses, instances } = input;
    if (plan.nlb) return createNetworkLoadBalancer(name, plan.nlb, input, parent);
    const lb = plan.instances.filter((i) => i.elasticIp)[0];
    const address = mustGet(addresses, lb.subnet, "Elastic IP");
    const instance = mustGet(instances, lb.server, "instance");
    new aws.ec2.EipAssociation(`${name}-lb`, { allocationId: address.allocationId, instanceId: instance.id }, { parent });
    return { ready: [] };
}

function createNetworkLoadBalancer(name: string, nlb: NlbPlan, input: FrontInput, parent: pulumi.Resource): PublicFront {
    const { network, addresses, instances, production, tags } = input;
    const opts = { parent };
    const loadBalancer = new aws.lb.LoadBalancer(
        `${name}-nlb`,
        {
            loadBalancerType: "network",
            internal: false,
            ipAddressType: "ipv4",
            // A node in each zone, each with the stack's Elastic IP there: the addresses DNS names.
            subnetMappings: nlb.subnets.map((key) => ({
                subnetId: mustGet(network.subnetIds, key, "subnet"),
                allocationId: mustGet(addresses, key, "Elastic IP").allocationId,
            })),
            // Either node reaches either HAProxy: a zone whose HAProxy is down still serves.
            enableCrossZoneLoadBalancing: true,
            enableDeletionProtection: production,
            // No security group of its own: the HAProxies' group admits its subnets (firewall.ts).
            // (An NLB made without one can never be given one later; that would be a new NLB.)
            tags: { ...tags, Name: `${name}-nlb` },
        },
        opts,
    );
    const fronts = NLB_PORTS.map(({ label, port }) => {
        const group = new aws.lb.TargetGroup(
            `${name}-nlb-${label}`,
            {
                targetType: "instance",
                protocol: "TCP",
                port,
                vpcId: network.vpcId,
                // HAProxy reads each client's address from the PROXY header (accept-proxy): its logs
                // and X-Forwarded-For show the client, not the NLB.
                proxyProtocolV2: true,
                // Connections then come from the NLB's own addresses in its subnets, which the security
                // group can name; preserving the client's address would need 80 and 443 open to anywhere.
                preserveClientIp: "false",
                deregistrationDelay: NLB_DEREGISTRATION_DELAY_SECONDS,
                healthCheck: { enabled: true, ...NLB_HEALTH_CHECK },
                tags: { ...tags, Name: `${name}-nlb-${label}` },
            },
            opts,
        );
        for (const server of nlb.targets) {
            new aws.lb.TargetGroupAttachment(
                `${name}-${server}-nlb-${label}`,
                { targetGroupArn: group.arn, targetId: mustGet(instances, server, "instance").id },
                opts,
            );
        }
        const listener = new aws.lb.Listener(
            `${name}-nlb-${label}`,
            {
                loadBalancerArn: loadBalancer.arn,
                protocol: "TCP",
                port,
                defaultActions: [{ type: "forward", targetGroupArn: group.arn }],
                tags: { ...tags, Name: `${name}-nlb-${label}` },
            },
            opts,
        );
        return { label, group: group.arn, listener: listener.arn };
    });
    return {
        ready: fronts.map((f) => f.listener),
        nlb: { loadBalancerArn: loadBalancer.arn, targetGroups: fronts.map((f) => ({ label: f.label, arn: f.group })) },
    };
}
