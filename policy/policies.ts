// The pack's policies, every one mandatory: thin wrappers that hand the engine's view of a resource
// (or of the whole stack) to the pure checks beside this file. Importing this file starts nothing;
// index.ts registers the pack with the engine.
import type { PolicyConfigSchema, ResourceValidationArgs, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { ENCRYPTION_TYPES, checkEncryption } from "./encryption";
import { checkFlowLogs } from "./flowLogs";
import { IMDS_TYPES, checkImds } from "./imds";
import { checkIngress } from "./ingress";
import { checkListeners } from "./listeners";
import { RDS_CONFIG_SCHEMA, RDS_TYPES, RdsConfig, checkRds } from "./rds";
import { StackResource, TYPES, Violation, stackOfUrn } from "./resources";
import { checkS3 } from "./s3";
import { SSM_CONFIG_SCHEMA, SsmConfig, checkSsmReads } from "./ssmReads";
import { checkUserData } from "./userData";

interface ResourcePolicySpec {
    readonly name: string;
    readonly description: string;
    readonly types: readonly string[];
    readonly configSchema?: PolicyConfigSchema;
    check(args: ResourceValidationArgs): string[];
}

function resourcePolicy(spec: ResourcePolicySpec): ResourceValidationPolicy {
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: "mandatory",
        configSchema: spec.configSchema,
        validateResource: (args, reportViolation) => {
            if (!spec.types.includes(args.type)) args.notApplicable(`applies to ${spec.types.join(", ")} only`);
            for (const message of spec.check(args)) reportViolation(message);
        },
    };
}

interface StackPolicySpec {
    readonly name: string;
    readonly description: string;
    readonly configSchema?: PolicyConfigSchema;
    /** undefined: not applicable to this stack. */
    check(resources: readonly StackResource[], config: object): Violation[] | undefined;
    readonly notApplicable?: string;
}

function stackPolicy(spec: StackPolicySpec): StackValidationPolicy {
    return {
        name: spec.name,
        description: spec.description,
        enforcementLevel: "mandatory",
        configSchema: spec.configSchema,
        validateStack: (args, reportViolation) => {
            const violations = spec.check(args.resources, args.getConfig());
            if (violations === undefined) return args.notApplicable(spec.notApplicable);
            for (const v of violations) reportViolation(v.message, v.urn);
        },
    };
}

export const POLICIES = [
    resourcePolicy({
        name: "ec2-imdsv2-only",
        description: 'EC2 instances answer IMDSv2 only: metadataOptions.httpTokens is "required" (or the metadata service is off).',
        types: IMDS_TYPES,
        check: (args) => checkImds(args.props),
    }),
    resourcePolicy({
        name: "storage-encrypted",
        description: "EC2 root and EBS volumes, standalone EBS volumes and RDS storage (replicas too) are encrypted, explicitly.",
        types: ENCRYPTION_TYPES,
        check: (args) => checkEncryption(args.type, args.props),
    }),
    resourcePolicy({
        name: "rds-private-and-protected",
        description: "RDS is never publicly accessible, and has deletion protection on the stacks named in productionStacks.",
        types: RDS_TYPES,
        configSchema: RDS_CONFIG_SCHEMA,
        check: (args) => checkRds(args.type, args.props, stackOfUrn(args.urn), args.getConfig<RdsConfig>()),
    }),
    stackPolicy({
        name: "internet-ingress-only-lb-80-443",
        description:
            "No ingress from 0.0.0.0/0 or ::/0 except tcp 80 and 443 into the load balancer's security group; an internet-facing load balancer (an NLB) listens on, and forwards to, 80 and 443 only.",
        check: (resources) => [...checkIngress(resources), ...checkListeners(resources)],
    }),
    stackPolicy({
        name: "ssm-reads-own-parameters",
        description:
            "Each role may read only the SSM parameters its instances' user data lists, through every policy it has, and write none that an instance reads.",
        configSchema: SSM_CONFIG_SCHEMA,
        check: (resources, config) => checkSsmReads(resources, config as SsmConfig),
    }),
    resourcePolicy({
        name: "no-secrets-in-user-data",
        description: "EC2 user data holds no private key, AWS key or password: secrets come from SSM at boot.",
        types: [TYPES.instance],
        check: (args) => checkUserData(args.props),
    }),
    stackPolicy({
        name: "vpc-flow-logs",
        description: "Every VPC the stack creates has a flow log of all its traffic.",
        check: (resources) => checkFlowLogs(resources),
        notApplicable: "the stack creates no VPC (aws.existingVpc): the VPC's owner keeps its flow logs",
    }),
    stackPolicy({
        name: "s3-buckets-private",
        description:
            "Every S3 bucket the stack creates blocks public access (all four settings) and has ACLs disabled (BucketOwnerEnforced).",
        check: (resources) => checkS3(resources),
        notApplicable: "the stack creates no S3 bucket",
    }),
];

export const POLICY_NAMES: readonly string[] = POLICIES.map((p) => p.name);
