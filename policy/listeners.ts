// The other way in from the internet: a load balancer's listeners. Behind an NLB (lb.count 2 on
// aws) the HAProxies' group takes 80 and 443 from the NLB's subnets, not from anywhere, so
// checkIngress sees no open rule; what faces the internet is the NLB. Its listeners may take only
// 80 and 443, and pass them on only to 80 and 443: a listener on 443 that forwarded to a target
// group on 22 would open SSH to the world through a rule that names no 0.0.0.0/0.
import { OPEN_PORTS } from "./ingress";
import { Props, StackResource, TYPES, Violation, list, ofType, referenced } from "./resources";

/** Both generations of the provider's types (aws.lb.* and the older aws.alb.* aliases). */
const LOAD_BALANCERS = [TYPES.loadBalancer, TYPES.albLoadBalancer];
const LISTENERS = [TYPES.listener, TYPES.albListener];
const TARGET_GROUPS = [TYPES.targetGroup, TYPES.albTargetGroup];

const ofTypes = (resources: readonly StackResource[], types: readonly string[]) => types.flatMap((t) => ofType(resources, t));

/** The target groups a listener's default actions forward to: by dependency (a preview), else by ARN. */
function forwardsTo(listener: StackResource, groups: readonly StackResource[]): StackResource[] {
    const urns = new Set((listener.propertyDependencies.defaultActions ?? []).map((d) => d.urn));
    const byDependency = groups.filter((g) => urns.has(g.urn));
    if (byDependency.length > 0) return byDependency;
    const arns = list<Props>(listener.props.defaultActions).flatMap((a) => [
        a.targetGroupArn,
        ...list<Props>(a.forward?.targetGroups).map((t) => t.arn),
    ]);
    return groups.filter((g) => typeof g.props.arn === "string" && arns.includes(g.props.arn));
}

/**
 * Violations: a listener of an internet-facing load balancer (or of one outside the stack, which
 * cannot be told apart) on a port other than 80 or 443, or forwarding to a target group on one.
 */
export function checkListeners(resources: readonly StackResource[]): Violation[] {
    const balancers = ofTypes(resources, LOAD_BALANCERS);
    const groups = ofTypes(resources, TARGET_GROUPS);
    return ofTypes(resources, LISTENERS).flatMap((l) => {
        const [lb] = referenced(l, "loadBalancerArn", balancers);
        if (lb?.props.internal === true) return [];
        const facing = lb ? `internet-facing load balancer ${lb.name}` : "a load balancer outside the stack";
        const found: Violation[] = [];
        if (!OPEN_PORTS.includes(Number(l.props.port))) {
            found.push({
                urn: l.urn,
                message: `${l.name}: listener on port ${String(l.props.port)} of ${facing}; only 80 and 443 may face the internet`,
            });
        }
        for (const g of forwardsTo(l, groups).filter((x) => !OPEN_PORTS.includes(Number(x.props.port)))) {
            found.push({
                urn: l.urn,
                message: `${l.name}: forwards to port ${String(g.props.port)} (target group ${g.name}) from ${facing}; only 80 and 443 may be passed on from the internet`,
            });
        }
        return found;
    });
}
