// What the policies read: the subset of @pulumi/policy's PolicyResource they need, so every check is a
// pure function that runs alike on the engine's resources and on the unit tests' recorded ones.

/** Resource properties as the engine hands them over: untyped JSON-like values. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- untyped engine data, as @pulumi/policy's own `props`
export type Props = Record<string, any>;

/** One resource of the stack (a PolicyResource of @pulumi/policy is one). */
export interface StackResource {
    readonly type: string;
    readonly name: string;
    readonly urn: string;
    /** A stack policy sees outputs; a resource policy sees inputs. */
    readonly props: Props;
    /**
     * The resources each property's value came from. The engine knows them in a preview too, where
     * the ids and ARNs of resources still to be created are unknown.
     */
    readonly propertyDependencies: Readonly<Record<string, readonly StackResource[]>>;
}

/** One violation: the message, and for a stack policy the resource at fault. */
export interface Violation {
    readonly message: string;
    readonly urn?: string;
}

/** The resource types the policies look at. */
export const TYPES = {
    instance: "aws:ec2/instance:Instance",
    ebsVolume: "aws:ebs/volume:Volume",
    rdsInstance: "aws:rds/instance:Instance",
    rdsCluster: "aws:rds/cluster:Cluster",
    rdsClusterInstance: "aws:rds/clusterInstance:ClusterInstance",
    vpc: "aws:ec2/vpc:Vpc",
    flowLog: "aws:ec2/flowLog:FlowLog",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    securityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    ingressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    role: "aws:iam/role:Role",
    rolePolicy: "aws:iam/rolePolicy:RolePolicy",
    rolePolicyAttachment: "aws:iam/rolePolicyAttachment:RolePolicyAttachment",
    iamPolicy: "aws:iam/policy:Policy",
    instanceProfile: "aws:iam/instanceProfile:InstanceProfile",
    parameter: "aws:ssm/parameter:Parameter",
    bucket: "aws:s3/bucket:Bucket",
    bucketV2: "aws:s3/bucketV2:BucketV2",
    bucketPublicAccessBlock: "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
    bucketOwnershipControls: "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
    loadBalancer: "aws:lb/loadBalancer:LoadBalancer",
    listener: "aws:lb/listener:Listener",
    targetGroup: "aws:lb/targetGroup:TargetGroup",
    albLoadBalancer: "aws:alb/loadBalancer:LoadBalancer",
    albListener: "aws:alb/listener:Listener",
    albTargetGroup: "aws:alb/targetGroup:TargetGroup",
} as const;

export const ofType = (resources: readonly StackResource[], type: string): StackResource[] => resources.filter((r) => r.type === type);

/** A value for a message: `not set` when absent, JSON otherwise. */
export const show = (value: unknown): string => (value === undefined || value === null ? "not set" : JSON.stringify(value));

/** A value that may be one item or a list, as a list (absent: empty). */
export function list<T>(value: T | readonly T[] | undefined | null): readonly T[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? (value as readonly T[]) : [value as T];
}

/**
 * The candidates `resource.props[prop]` refers to. First through the engine's property dependencies
 * (known in a preview too); else by value, against each candidate's id, name or ARN (a role is
 * referred to by its name or id, a profile by its name, a group or VPC by its id, a policy by its ARN).
 */
export function referenced(resource: StackResource, prop: string, candidates: readonly StackResource[]): StackResource[] {
    const urns = new Set((resource.propertyDependencies[prop] ?? []).map((d) => d.urn));
    const byDependency = candidates.filter((c) => urns.has(c.urn));
    if (byDependency.length > 0) return byDependency;
    const values = new Set(list<unknown>(resource.props[prop]).filter((v): v is string => typeof v === "string"));
    if (values.size === 0) return [];
    return candidates.filter((c) => ["id", "name", "arn"].some((key) => typeof c.props[key] === "string" && values.has(c.props[key])));
}

/** Whether `resource.props[prop]` refers to `target`. */
export const refersTo = (resource: StackResource, prop: string, target: StackResource): boolean =>
    referenced(resource, prop, [target]).length > 0;

/**
 * The stack a URN belongs to: `urn:pulumi:<stack>::<project>::<type>::<name>`. A resource policy
 * knows no other way to tell which stack it runs on.
 */
export function stackOfUrn(urn: string): string {
    const match = /^urn:pulumi:([^:]+)::/.exec(urn);
    if (!match) throw new Error(`not a resource URN: ${urn}`);
    return match[1];
}
