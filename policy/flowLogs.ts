// Flow logs on: every VPC the stack creates has a flow log of all its traffic. A VPC the stack only
// uses (aws.existingVpc) is its owner's: the stack cannot see whether that VPC logs, and the policy
// is then not applicable unless the stack also creates a VPC.
import { StackResource, TYPES, Violation, ofType, refersTo } from "./resources";

/** Violations of the whole stack; undefined when it creates no VPC (not applicable). */
export function checkFlowLogs(resources: readonly StackResource[]): Violation[] | undefined {
    const vpcs = ofType(resources, TYPES.vpc);
    if (vpcs.length === 0) return undefined;
    const flowLogs = ofType(resources, TYPES.flowLog);
    return vpcs
        .filter((vpc) => !flowLogs.some((f) => f.props.trafficType === "ALL" && refersTo(f, "vpcId", vpc)))
        .map((vpc) => ({
            urn: vpc.urn,
            message: `VPC ${vpc.name} has no flow log of all its traffic: add an aws.ec2.FlowLog with vpcId set to it and trafficType "ALL"`,
        }));
}
