// One EC2 instance per server, booted by its user data (boot.ts), with a role that may read exactly
// the SSM parameters its own files hold and its bundle's object (artifacts.ts: the app's on a web server, the alert rules where Prometheus runs).
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mustGet } from "../platform";
import { AwsNetwork } from "./network";
import { InstancePlan } from "./plan";

export interface InstanceInput {
    readonly plan: InstancePlan;
    readonly ami: pulumi.Input<string>;
    readonly network: AwsNetwork;
    readonly boot: pulumi.Output<{ userData: string; keys: string[] }>;
    readonly parameters: ReadonlyMap<string, aws.ssm.Parameter>;
    readonly tags: Record<string, string>;
    readonly dependsOn: pulumi.Resource[];
    /** Web servers and a pair's load balancers: the readiness parameter its boot writes its instance id to (readiness.ts). */
    readonly readiness?: aws.ssm.Parameter;
    /** Servers whose boot fetches a bundle (the app's, or the alert rules): its object, the one thing of the bucket the role may read. */
    readonly artifact?: { readonly object: aws.s3.BucketObjectv2; readonly arn: pulumi.Output<string> };
    /**
     * A node of a Galera cluster on EC2: what its role hook's aws-vpc-move-ip may do (writeAddress.ts).
     * The instance then takes packets for the write address, which is none of its own addresses.
     */
    readonly writeRoute?: pulumi.Output<object[]>;
}

export function createInstance(name: string, input: InstanceInput, parent: pulumi.Resource): aws.ec2.Instance {
    const { plan, network, tags } = input;
    const role = instanceRole(name, plan.server, input, parent);
    // What the boot reads is there, and readable, before the instance starts: the bundle's object and
    // the policies (an instance that boots first would fail its fetch, or read a secret too early).
    const artifact = input.artifact ? [input.artifact.object] : [];
    return new aws.ec2.Instance(
        `${name}-${plan.server}`,
        {
            ami: input.ami,
            instanceType: plan.instanceType,
            subnetId: mustGet(network.subnetIds, plan.subnet, "subnet"),
            privateIp: plan.privateIp,
            // Unset where the Elastic IP goes (plan.ts, elasticIp): read back true, it would force a replacement.
            ...(plan.elasticIp ? {} : { associatePublicIpAddress: plan.publicIp }),
            vpcSecurityGroupIds: plan.securityGroups.map((g) => mustGet(network.securityGroupIds, g, "security group")),
            iamInstanceProfile: role.profile.name,
            // The write address's packets are addressed to the overlay address, not to the instance's own.
            ...(input.writeRoute ? { sourceDestCheck: false } : {}),
            userDataBase64: input.boot.userData,
            userDataReplaceOnChange: true,
            // IMDSv2 only, one hop: containers on the host cannot borrow the instance role.
            metadataOptions: { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 },
            rootBlockDevice: { volumeType: "gp3", volumeSize: 16, encrypted: true, deleteOnTermination: true },
            tags: { ...tags, Name: `${name}-${plan.server}`, "foobar:server": plan.server, "foobar:role": plan.role },
        },
        // Delete before replace: the new instance asks for the same fixed private address, which EC2
        // refuses while the old one holds it (InvalidIPAddress.InUse; pulumi/pulumi#8679,
        // pulumi/pulumi-aws#1754). Its security groups, Elastic IP (re-associated), certificates
        // (they name the Elastic IP and the private addresses) and data volume all carry over.
        { parent, dependsOn: [...input.dependsOn, ...artifact, ...role.policies], deleteBeforeReplace: true },
    );
}

/** What SSM Session Manager (and the agent's registration) needs, and nothing of Parameter Store. */
export const SESSION_MANAGER_POLICY = {
    Version: "2012-10-17",
    Statement: [
        {
            Effect: "Allow",
            Action: [
                "ssm:UpdateInstanceInformation",
                "ssmmessages:CreateControlChannel",
                "ssmmessages:CreateDataChannel",
                "ssmmessages:OpenControlChannel",
                "ssmmessages:OpenDataChannel",
                "ec2messages:AcknowledgeMessage",
                "ec2messages:DeleteMessage",
                "ec2messages:FailMessage",
                "ec2messages:GetEndpoint",
                "ec2messages:GetMessages",
                "ec2messages:SendReply",
            ],
            Resource: "*",
        },
    ],
};

function instanceRole(name: string, server: string, input: InstanceInput, parent: pulumi.Resource) {
    const { parameters, readiness, tags } = input;
    const keys = input.boot.keys;
    const opts = { parent };
    const role = new aws.iam.Role(
        `${name}-${server}`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        },
        opts,
    );
    /** An inline policy of one statement; the instance waits for each (createInstance). */
    const allow = (suffix: string, statement: pulumi.Inputs) =>
        new aws.iam.RolePolicy(
            `${name}-${server}-${suffix}`,
            { role: role.id, policy: pulumi.output(statement).apply((st) => JSON.stringify({ Version: "2012-10-17", Statement: [st] })) },
            opts,
        );
    const policies = [
        // Not AmazonSSMManagedInstanceCore: it allows ssm:GetParameter(s) on every parameter, so any
        // instance could read every secret. Session Manager needs only these.
        allow("session-manager", SESSION_MANAGER_POLICY.Statement[0]),
        allow("parameters", {
            Effect: "Allow",
            Action: ["ssm:GetParameter"],
            Resource: keys.apply((ks) => pulumi.all(ks.map((k) => mustGet(parameters, k, "SSM parameter").arn))),
        }),
    ];
    // The boot says "serving" by writing the instance id to this one parameter: no other write, no read.
    if (readiness) policies.push(allow("readiness", { Effect: "Allow", Action: ["ssm:PutParameter"], Resource: [readiness.arn] }));
    // Its bundle: this one object (its key names its content), not the bucket's other objects, no listing.
    if (input.artifact) policies.push(allow("artifact", { Effect: "Allow", Action: ["s3:GetObject"], Resource: [input.artifact.arn] }));
    // A Galera node moves the write address's route to itself when keepalived elects it.
    if (input.writeRoute) {
        const policy = input.writeRoute.apply((statements) => JSON.stringify({ Version: "2012-10-17", Statement: statements }));
        policies.push(new aws.iam.RolePolicy(`${name}-${server}-write-route`, { role: role.id, policy }, opts));
    }
    return { profile: new aws.iam.InstanceProfile(`${name}-${server}`, { role: role.name, tags }, opts), policies };
}
