// VPC flow logs: every connection accepted or rejected in the stack's VPC, in CloudWatch Logs
// for aws.flowLogRetentionDays (Security Hub EC2.6).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

export function createFlowLogs(
    name: string,
    vpcId: pulumi.Input<string>,
    retentionDays: number,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): aws.ec2.FlowLog {
    const opts = { parent };
    const group = new aws.cloudwatch.LogGroup(
        `${name}-flow-logs`,
        { name: `/foobar/${name}/vpc-flow-logs`, retentionInDays: retentionDays, tags },
        opts,
    );
    const role = new aws.iam.Role(
        `${name}-flow-logs`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "vpc-flow-logs.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        },
        opts,
    );
    // Only into its own log group.
    new aws.iam.RolePolicy(
        `${name}-flow-logs`,
        {
            role: role.id,
            policy: group.arn.apply((arn) =>
                JSON.stringify({
                    Version: "2012-10-17",
                    Statement: [
                        {
                            Effect: "Allow",
                            Action: ["logs:CreateLogStream", "logs:PutLogEvents", "logs:DescribeLogGroups", "logs:DescribeLogStreams"],
                            Resource: [arn, `${arn}:*`],
                        },
                    ],
                }),
            ),
        },
        opts,
    );
    return new aws.ec2.FlowLog(
        `${name}-vpc`,
        {
            vpcId,
            trafficType: "ALL",
            logDestinationType: "cloud-watch-logs",
            logDestination: group.arn,
            iamRoleArn: role.arn,
            maxAggregationInterval: 60,
            tags: { ...tags, Name: `${name}-vpc` },
        },
        opts,
    );
}
