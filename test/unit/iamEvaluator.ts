// A small IAM evaluator for the roles a stack registers: which SSM parameters may a role read, and
// what of S3 may it touch, through every policy it has (inline and attached)? Allow statements with
// `*` wildcards, as the program writes them; an attached policy this file does not know is an
// error, never a guess.
import { RecordedResource, byType } from "../helpers/pulumiMocks";
import { AWS_TYPES } from "./awsHelpers";

export interface Statement {
    readonly Effect: "Allow" | "Deny";
    readonly Action: string | readonly string[];
    readonly Resource: string | readonly string[];
}

/** The AWS managed policies the program ever attached, as AWS publishes them (the parts that matter here). */
export const MANAGED_POLICIES: Readonly<Record<string, readonly Statement[]>> = {
    "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore": [
        {
            Effect: "Allow",
            Action: [
                "ssm:DescribeAssociation",
                "ssm:GetDeployablePatchSnapshotForInstance",
                "ssm:GetDocument",
                "ssm:DescribeDocument",
                "ssm:GetManifest",
                "ssm:GetParameter",
                "ssm:GetParameters",
                "ssm:ListAssociations",
                "ssm:ListInstanceAssociations",
                "ssm:PutInventory",
                "ssm:PutComplianceItems",
                "ssm:PutConfigurePackageResult",
                "ssm:UpdateAssociationStatus",
                "ssm:UpdateInstanceAssociationStatus",
                "ssm:UpdateInstanceInformation",
            ],
            Resource: "*",
        },
        { Effect: "Allow", Action: ["ssmmessages:*", "ec2messages:*"], Resource: "*" },
    ],
};

/** Every API that hands out a parameter's value. */
export const PARAMETER_READS = ["ssm:GetParameter", "ssm:GetParameters", "ssm:GetParametersByPath", "ssm:GetParameterHistory"];

const list = (v: string | readonly string[]): readonly string[] => (typeof v === "string" ? [v] : v);
const glob = (pattern: string, flags = "") =>
    new RegExp(
        `^${pattern
            .split("*")
            .map((p) => p.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
            .join(".*")}$`,
        flags,
    );
/** IAM matches actions case-insensitively and resources case-sensitively, both with `*` wildcards. */
export const allows = (s: Statement, action: string, resource: string): boolean =>
    s.Effect === "Allow" && list(s.Action).some((a) => glob(a, "i").test(action)) && list(s.Resource).some((r) => glob(r).test(resource));

/** Every statement a role has: its inline policies and the managed policies attached to it. */
export function statementsOf(resources: readonly RecordedResource[], roleName: string): Statement[] {
    const inline = byType(resources, AWS_TYPES.rolePolicy)
        .filter((p) => p.inputs.role === `${roleName}-id`)
        .flatMap((p) => JSON.parse(p.inputs.policy as string).Statement as Statement[]);
    const attached = byType(resources, AWS_TYPES.rolePolicyAttachment)
        .filter((a) => a.inputs.role === roleName)
        .flatMap((a) => {
            const known = MANAGED_POLICIES[a.inputs.policyArn as string];
            if (!known) throw new Error(`${roleName}: attached policy ${a.inputs.policyArn} is not modelled in test/unit/iamEvaluator.ts`);
            return known;
        });
    return [...inline, ...attached];
}

/** Every API that changes a parameter or its value. */
export const PARAMETER_WRITES = ["ssm:PutParameter", "ssm:DeleteParameter", "ssm:DeleteParameters", "ssm:LabelParameterVersion"];

/** The ARNs of the stack's parameters a set of statements may write through any API, sorted. */
export function writableParameters(statements: readonly Statement[], parameterArns: readonly string[]): string[] {
    if (statements.some((s) => s.Effect === "Deny")) throw new Error("Deny statements are not modelled");
    return parameterArns.filter((arn) => PARAMETER_WRITES.some((action) => statements.some((s) => allows(s, action, arn)))).sort();
}

/** The ARNs of the stack's parameters a set of statements may read through any API, sorted. */
export function readableParameters(statements: readonly Statement[], parameterArns: readonly string[]): string[] {
    if (statements.some((s) => s.Effect === "Deny")) throw new Error("Deny statements are not modelled");
    return parameterArns.filter((arn) => PARAMETER_READS.some((action) => statements.some((s) => allows(s, action, arn)))).sort();
}

/** The S3 APIs that read, write, list or reconfigure a bucket or its objects: what an instance role might be given. */
export const S3_ACTIONS = [
    "s3:GetObject",
    "s3:GetObjectVersion",
    "s3:GetObjectAttributes",
    "s3:PutObject",
    "s3:DeleteObject",
    "s3:ListBucket",
    "s3:ListAllMyBuckets",
    "s3:GetBucketPolicy",
    "s3:PutBucketPolicy",
    "s3:PutBucketPublicAccessBlock",
    "s3:PutObjectAcl",
];

/** Every (action, resource) pair of S3_ACTIONS x `resources` the statements allow, as "action resource", sorted. */
export function s3Access(statements: readonly Statement[], resources: readonly string[]): string[] {
    if (statements.some((s) => s.Effect === "Deny")) throw new Error("Deny statements are not modelled");
    return S3_ACTIONS.flatMap((action) =>
        resources.filter((r) => statements.some((s) => allows(s, action, r))).map((r) => `${action} ${r}`),
    ).sort();
}
