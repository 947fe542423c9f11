// The policy pack (policy/): each policy on compliant and non-compliant resources, with its exact
// messages; the staging and prod stacks, as recorded under the mocks, pass every policy; and the pack
// loads and serves the way `pulumi preview --policy-pack policy` runs it.
import assert from "node:assert/strict";
import type { ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { SECRETS_MANIFEST_PATH as PROGRAM_MANIFEST_PATH, secretPlaceholder } from "../../components/vm/cloudInit";
import { POLICIES, POLICY_NAMES } from "../../policy/policies";
import { TYPES } from "../../policy/resources";
import { SECRETS_MANIFEST_PATH, looksSecret } from "../../policy/userData";
import {
    ARN,
    OPEN,
    Outcome,
    ResourceInput,
    SSM_BASE,
    StackInput,
    attach,
    cloudConfig,
    flowLog,
    gzipBase64,
    ingress,
    inline,
    reads,
    runResourcePolicy,
    runStackPolicy,
    servePack,
    sg,
    stackResources,
    trusting,
    urnOf,
    violationsOn,
    vpc,
} from "../helpers/policyHarness";
import { RecordedResource, loadStackConfig } from "../helpers/pulumiMocks";
import { AWS_TYPES, awsConfig, runStack } from "./awsHelpers";

const resourcePolicy = (name: string) => POLICIES.find((p) => p.name === name) as ResourceValidationPolicy;
const stackPolicy = (name: string) => POLICIES.find((p) => p.name === name) as StackValidationPolicy;

/** Expected: the messages, in order, or not applicable with its reason. */
type Expected = readonly string[] | { readonly notApplicable: string };
const outcomeOf = (expected: Expected, urn?: (message: string, i: number) => string | undefined): Outcome =>
    "notApplicable" in expected
        ? { notApplicable: expected.notApplicable }
        : { violations: expected.map((message, i) => ({ message, ...(urn ? { urn: urn(message, i) } : {}) })) };

interface ResourceCase {
    readonly title: string;
    readonly resource: ResourceInput;
    readonly config?: object;
    readonly expected: Expected;
}

const instance = (props: object): ResourceInput => ({ type: TYPES.instance, name: "web", props });
const rds = (props: object, stack = "prod", type: string = TYPES.rdsInstance): ResourceInput => ({ type, name: "db", props, stack });
const userData = (content: string) => instance({ userDataBase64: gzipBase64(cloudConfig({}, [{ path: "/etc/x.cnf", content }])) });
const SECRET_HINT = "deliver secrets through SSM parameters (placeholders in user data), never in it";
const PROD_PROTECTION = (v: string, stack = "prod") =>
    `deletionProtection is ${v} on production stack "${stack}" (productionStacks): set it to true`;

const RESOURCE_CASES: Record<string, readonly ResourceCase[]> = {
    "ec2-imdsv2-only": [
        { title: "tokens required", resource: instance({ metadataOptions: { httpTokens: "required" } }), expected: [] },
        { title: "metadata service off", resource: instance({ metadataOptions: { httpEndpoint: "disabled" } }), expected: [] },
        {
            title: "IMDSv1 allowed",
            resource: instance({ metadataOptions: { httpTokens: "optional" } }),
            expected: ['metadataOptions.httpTokens is "optional": set it to "required" so the instance answers IMDSv2 only'],
        },
        {
            title: "no metadata options (AWS's default)",
            resource: instance({}),
            expected: ['metadataOptions.httpTokens is not set: set it to "required" so the instance answers IMDSv2 only'],
        },
        {
            title: "another type",
            resource: { type: TYPES.vpc, name: "vpc", props: {} },
            expected: { notApplicable: "applies to aws:ec2/instance:Instance only" },
        },
    ],
    "storage-encrypted": [
        {
            title: "encrypted root and EBS volumes",
            resource: instance({ rootBlockDevice: { encrypted: true }, ebsBlockDevices: [{ encrypted: true }] }),
            expected: [],
        },
        { title: "encrypted RDS storage", resource: rds({ storageEncrypted: true }), expected: [] },
        {
            title: "a root volume left to the account's default, an unencrypted EBS volume",
            resource: instance({ ebsBlockDevices: [{ deviceName: "/dev/sdf", encrypted: false }] }),
            expected: ["rootBlockDevice.encrypted is not set: set it to true", "ebsBlockDevices[0].encrypted is false: set it to true"],
        },
        {
            title: "an RDS read replica without storageEncrypted",
            resource: rds({ replicateSourceDb: "foobar-prod-db" }),
            expected: ["storageEncrypted is not set: set it to true"],
        },
        {
            title: "a standalone EBS volume",
            resource: { type: TYPES.ebsVolume, name: "data", props: { encrypted: false } },
            expected: ["encrypted is false: set it to true"],
        },
    ],
    "rds-private-and-protected": [
        { title: "prod: private and protected", resource: rds({ publiclyAccessible: false, deletionProtection: true }), expected: [] },
        { title: "staging is no production stack", resource: rds({ publiclyAccessible: false }, "staging"), expected: [] },
        {
            title: "prod: a read replica without deletion protection",
            resource: rds({ replicateSourceDb: "foobar-prod-db", deletionProtection: false }),
            expected: [PROD_PROTECTION("false")],
        },
        {
            title: "publicly accessible (and unprotected on prod)",
            resource: rds({ publiclyAccessible: true }),
            expected: [
                "publiclyAccessible is true: set it to false, the database must not be reachable from outside its VPC",
                PROD_PROTECTION("not set"),
            ],
        },
        {
            title: "productionStacks from the pack's config",
            resource: rds({}, "live"),
            config: { productionStacks: ["live"] },
            expected: [PROD_PROTECTION("not set", "live")],
        },
        {
            title: "prod is not production when the config says so",
            resource: rds({}),
            config: { productionStacks: ["live"] },
            expected: [],
        },
        {
            title: "a cluster instance has no deletion protection of its own",
            resource: rds({ publiclyAccessible: true }, "prod", TYPES.rdsClusterInstance),
            expected: ["publiclyAccessible is true: set it to false, the database must not be reachable from outside its VPC"],
        },
    ],
    "no-secrets-in-user-data": [
        {
            title: "placeholders only",
            resource: userData(`[client]\npassword=${secretPlaceholder("db-app-password")}\nuser = "foobar"\n`),
            expected: [],
        },
        { title: "no user data", resource: instance({}), expected: [] },
        {
            title: "a password, a private key, an access key and SQL, in plain userData",
            resource: instance({
                userData:
                    "[client]\npassword=hunter22\n-----BEGIN EC PRIVATE KEY-----\nAKIAIOSFODNN7EXAMPLE\nCREATE USER 'a' IDENTIFIED BY 'correct horse';\n",
            }),
            expected: [
                `user data line 2 holds a value for "password": ${SECRET_HINT}`,
                `user data line 3 holds a private key (-----BEGIN EC PRIVATE KEY-----): ${SECRET_HINT}`,
                `user data line 4 holds an AWS access key id: ${SECRET_HINT}`,
                `user data line 5 holds a password after IDENTIFIED: ${SECRET_HINT}`,
            ],
        },
        {
            title: "in gzipped cloud-config (lines of the decoded text)",
            resource: userData('DB_PASSWORD="s3cr3t-value"'),
            expected: [`user data line 6 holds a value for "DB_PASSWORD": ${SECRET_HINT}`],
        },
    ],
};

describe("policy pack: resource policies", () => {
    for (const [name, cases] of Object.entries(RESOURCE_CASES))
        describe(name, () => {
            for (const c of cases)
                it(c.title, async () => {
                    assert.deepEqual(await runResourcePolicy(resourcePolicy(name), c.resource, c.config), outcomeOf(c.expected));
                });
        });

    it("a value is secret-looking unless it is a placeholder, a reference or code", () => {
        const secret = ['"correct horse"', "hunter22", "wJalrXUtnFEMI/K7MDENG"];
        const not = [
            secretPlaceholder("db-app-password"),
            "/etc/foobar/secrets/db",
            "$DB_PASSWORD",
            "db.password.reveal()",
            "passwordFile",
            '""',
        ];
        assert.deepEqual([...secret, ...not].map(looksSecret), [...secret.map(() => true), ...not.map(() => false)]);
    });
});

interface StackCase {
    readonly title: string;
    readonly resources: readonly StackInput[];
    readonly config?: object;
    /** [name of the resource at fault, message], or not applicable. */
    readonly expected: ReadonlyArray<readonly [string, string]> | { readonly notApplicable: string };
}

const bucket: StackInput = { type: TYPES.bucket, name: "s-bucket", props: { id: "b-1", bucket: "b-1", arn: "arn:aws:s3:::b-1" } };
const publicAccessBlock = (props: object = {}): StackInput => ({
    type: TYPES.bucketPublicAccessBlock,
    name: "s-bucket-pab",
    props: { bucket: "b-1", blockPublicAcls: true, blockPublicPolicy: true, ignorePublicAcls: true, restrictPublicBuckets: true, ...props },
});
const ownership = (of = "b-1"): StackInput => ({
    type: TYPES.bucketOwnershipControls,
    name: "s-bucket-ownership",
    props: { bucket: of, rule: { objectOwnership: "BucketOwnerEnforced" } },
});
const BLOCKS = "blockPublicAcls, blockPublicPolicy, ignorePublicAcls, restrictPublicBuckets";
const ACLS_ON = `bucket s-bucket has ACLs enabled: add an aws.s3.BucketOwnershipControls with rule.objectOwnership "BucketOwnerEnforced"`;
const LB_ONLY = `only the load balancer's group (name ending in "-lb") may take tcp 80 and 443 from anywhere`;
const NO_FLOW_LOG = 'VPC s-vpc has no flow log of all its traffic: add an aws.ec2.FlowLog with vpcId set to it and trafficType "ALL"';
const S1 = "role s-server-1 (of s-server-1)";
const OWN_ONLY = "only the parameters its instances' user data lists may be read";
const ALL_READS = "ssm:GetParameter, ssm:GetParameters, ssm:GetParametersByPath, ssm:GetParameterHistory";
const CORE = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore";
const AGENT = "arn:aws:iam::aws:policy/CloudWatchAgentServerPolicy";

const READ_ALL: StackInput = {
    type: TYPES.iamPolicy,
    name: "s-read-all",
    props: {
        arn: "arn:aws:iam::123456789012:policy/read-all",
        policy: JSON.stringify({ Statement: { Effect: "Allow", NotAction: "s3:*", Resource: "*" } }),
    },
};

const NO_SECRET_WRITES = "an instance may write no parameter an instance reads, and others only by their exact ARN";
/** A web server's readiness parameter, which no instance reads. */
const READY: StackInput = {
    type: TYPES.parameter,
    name: "s-ready-server-1",
    props: { name: "/foobar/staging/ready/server-1", arn: ARN("ready/server-1") },
};
const writes = (n: string, resource: string | string[], action: string | string[] = ["ssm:PutParameter"]) =>
    inline(`s-${n}-0a1b`, `s-${n}-writes`, { Effect: "Allow", Action: action, Resource: resource });
const ssmCases: readonly StackCase[] = [
    { title: "each role reads its own parameters", resources: [...SSM_BASE, reads("server-1", [ARN("db-app-password")])], expected: [] },
    {
        title: "every parameter",
        resources: [...SSM_BASE, reads("server-1", "*")],
        expected: [["s-server-1-parameters", `${S1}: inline policy s-server-1-parameters allows ssm:GetParameter on *: ${OWN_ONLY}`]],
    },
    {
        title: "another instance's parameter",
        resources: [...SSM_BASE, reads("server-1", [ARN("db-app-password"), ARN("tls-private-key")])],
        expected: [
            [
                "s-server-1-parameters",
                `${S1}: inline policy s-server-1-parameters allows ssm:GetParameter on ${ARN("tls-private-key")}: ${OWN_ONLY}`,
            ],
        ],
    },
    {
        title: "wildcard actions on a path",
        resources: [...SSM_BASE, reads("server-1", ARN("*"), "ssm:Get*")],
        expected: [["s-server-1-parameters", `${S1}: inline policy s-server-1-parameters allows ${ALL_READS} on ${ARN("*")}: ${OWN_ONLY}`]],
    },
    {
        title: "a web server writes its own readiness parameter (by its exact ARN)",
        resources: [...SSM_BASE, READY, writes("server-1", ARN("ready/server-1"))],
        expected: [],
    },
    {
        title: "writing a parameter an instance reads, or any by wildcard",
        resources: [
            ...SSM_BASE,
            READY,
            writes("server-1", [ARN("tls-private-key"), ARN("ready/*")], ["ssm:PutParameter", "ssm:DeleteParameter"]),
        ],
        expected: [
            [
                "s-server-1-writes",
                `${S1}: inline policy s-server-1-writes allows ssm:PutParameter, ssm:DeleteParameter on ${ARN("tls-private-key")}, ${ARN("ready/*")}: ${NO_SECRET_WRITES}`,
            ],
        ],
    },
    {
        title: "AmazonSSMManagedInstanceCore attached",
        resources: [...SSM_BASE, attach(CORE)],
        expected: [["s-server-1-attached", `${S1}: managed policy ${CORE} allows ssm:GetParameter, ssm:GetParameters on *: ${OWN_ONLY}`]],
    },
    {
        title: "a managed policy the stack cannot show",
        resources: [...SSM_BASE, attach(AGENT)],
        expected: [
            [
                "s-server-1-attached",
                `${S1}: managed policy ${AGENT} is attached and its document is not in the stack, so what it reads cannot be checked: use an inline policy, or list it in trustedManagedPolicies`,
            ],
        ],
    },
    {
        title: "... unless the pack's config trusts it",
        resources: [...SSM_BASE, attach(AGENT)],
        config: { trustedManagedPolicies: [AGENT] },
        expected: [],
    },
    {
        title: "an attached policy of the stack's own (NotAction)",
        resources: [...SSM_BASE, READ_ALL, attach("arn:aws:iam::123456789012:policy/read-all")],
        expected: [
            ["s-server-1-attached", `${S1}: policy s-read-all allows ${ALL_READS} on *: ${OWN_ONLY}`],
            // NotAction allows every write as well.
            [
                "s-server-1-attached",
                `${S1}: policy s-read-all allows ssm:PutParameter, ssm:DeleteParameter, ssm:DeleteParameters, ssm:LabelParameterVersion, ssm:UnlabelParameterVersion on *: ${NO_SECRET_WRITES}`,
            ],
        ],
    },
    {
        title: "an instance role no instance uses reads nothing",
        resources: [
            ...SSM_BASE,
            {
                type: TYPES.role,
                name: "s-spare",
                props: { id: "s-spare-1", name: "s-spare-1", assumeRolePolicy: trusting("ec2.amazonaws.com") },
            },
            inline("s-spare-1", "s-spare-ssm", { Effect: "Allow", Action: "ssm:GetParameters", Resource: ARN("db-app-password") }),
        ],
        expected: [
            [
                "s-spare-ssm",
                `role s-spare (of no instance): inline policy s-spare-ssm allows ssm:GetParameters on ${ARN("db-app-password")}: ${OWN_ONLY}`,
            ],
        ],
    },
    {
        title: "an AWS service's role is no instance role",
        resources: [
            ...SSM_BASE,
            {
                type: TYPES.role,
                name: "s-rds",
                props: { id: "s-rds-1", name: "s-rds-1", assumeRolePolicy: trusting("monitoring.rds.amazonaws.com") },
            },
            attach(AGENT, "s-rds-1", "s-rds"),
        ],
        expected: [],
    },
];

const STACK_CASES: Record<string, readonly StackCase[]> = {
    "internet-ingress-only-lb-80-443": [
        {
            title: "80 and 443 from anywhere into the lb group; the rest from groups and the VPC",
            resources: [sg("lb"), sg("web"), ingress("a", "lb", OPEN, 80), ingress("b", "lb", OPEN, 443)].concat([
                ingress("c", "web", { referencedSecurityGroupId: "sg-lb" }, 80),
                ingress("d", "lb", { cidrIpv4: "10.20.0.0/16" }, 9090),
            ]),
            expected: [],
        },
        {
            title: "SSH, a port range and all traffic from anywhere; 443 from ::/0 into the web group",
            resources: [sg("lb"), sg("web"), ingress("ssh", "lb", OPEN, 22), ingress("range", "lb", OPEN, 80, 443)].concat([
                ingress("all", "lb", OPEN, -1, -1, "-1"),
                ingress("v6", "web", { cidrIpv6: "::/0" }, 443),
            ]),
            expected: [
                ["ssh", `ssh: ingress from 0.0.0.0/0 on tcp 22 into security group s-lb; ${LB_ONLY}`],
                ["range", `range: ingress from 0.0.0.0/0 on tcp 80-443 into security group s-lb; ${LB_ONLY}`],
                ["all", `all: ingress from 0.0.0.0/0 on all traffic into security group s-lb; ${LB_ONLY}`],
                ["v6", `v6: ingress from ::/0 on tcp 443 into security group s-web; ${LB_ONLY}`],
            ],
        },
        {
            title: "older shapes: a SecurityGroupRule and a group's inline rule; a group outside the stack",
            resources: [
                {
                    type: TYPES.securityGroupRule,
                    name: "old",
                    props: {
                        type: "ingress",
                        securityGroupId: "sg-lb",
                        protocol: "tcp",
                        fromPort: 3306,
                        toPort: 3306,
                        cidrBlocks: ["0.0.0.0/0"],
                    },
                },
                {
                    type: TYPES.securityGroup,
                    name: "s-web",
                    props: { id: "sg-web", ingress: [{ protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] }] },
                },
                sg("lb"),
                ingress("elsewhere", "other", OPEN, 443),
            ],
            expected: [
                ["elsewhere", `elsewhere: ingress from 0.0.0.0/0 on tcp 443 into a security group outside the stack; ${LB_ONLY}`],
                ["old", `old: ingress from 0.0.0.0/0 on tcp 3306 into security group s-lb; ${LB_ONLY}`],
                ["s-web", `s-web (inline rule): ingress from 0.0.0.0/0 on tcp 80 into security group s-web; ${LB_ONLY}`],
            ],
        },
        {
            title: "in a preview, the group comes from the engine's property dependencies (its id is unknown)",
            resources: [
                { type: TYPES.securityGroup, name: "s-lb", props: {} },
                { type: TYPES.securityGroup, name: "s-web", props: {} },
                { ...ingress("https", "?", OPEN, 443), dependsOn: { securityGroupId: ["s-lb"] } },
                { ...ingress("web-https", "?", OPEN, 443), dependsOn: { securityGroupId: ["s-web"] } },
            ],
            expected: [["web-https", `web-https: ingress from 0.0.0.0/0 on tcp 443 into security group s-web; ${LB_ONLY}`]],
        },
    ],
    "ssm-reads-own-parameters": ssmCases,
    "s3-buckets-private": [
        { title: "public access blocked, ACLs off", resources: [bucket, publicAccessBlock(), ownership()], expected: [] },
        {
            title: "in a preview: by property dependency (the bucket's name is unknown)",
            resources: [
                { ...bucket, props: {} },
                { ...publicAccessBlock({ bucket: undefined }), dependsOn: { bucket: ["s-bucket"] } },
                { ...ownership(), props: { rule: { objectOwnership: "BucketOwnerEnforced" } }, dependsOn: { bucket: ["s-bucket"] } },
            ],
            expected: [],
        },
        {
            title: "neither a public access block nor ownership controls (another bucket's do not count)",
            resources: [bucket, publicAccessBlock({ bucket: "other-bucket" }), ownership("other-bucket")],
            expected: [
                ["s-bucket", `bucket s-bucket has no public access block: add an aws.s3.BucketPublicAccessBlock with ${BLOCKS} true`],
                ["s-bucket", ACLS_ON],
            ],
        },
        {
            title: "a block that leaves public policies and ACLs through; ACLs left to the object writer",
            resources: [
                bucket,
                publicAccessBlock({ restrictPublicBuckets: false, ignorePublicAcls: undefined }),
                { ...ownership(), props: { bucket: "b-1", rule: { objectOwnership: "ObjectWriter" } } },
            ],
            expected: [
                [
                    "s-bucket-pab",
                    "bucket s-bucket: public access block s-bucket-pab has ignorePublicAcls not set, restrictPublicBuckets false: set all four to true",
                ],
                ["s-bucket", ACLS_ON],
            ],
        },
        { title: "no bucket", resources: [vpc], expected: { notApplicable: "the stack creates no S3 bucket" } },
    ],
    "vpc-flow-logs": [
        { title: "a flow log of all traffic", resources: [vpc, flowLog({ vpcId: "vpc-1", trafficType: "ALL" })], expected: [] },
        {
            title: "in a preview: by property dependency",
            resources: [vpc, flowLog({ trafficType: "ALL" }, { vpcId: ["s-vpc"] })],
            expected: [],
        },
        { title: "no flow log", resources: [vpc], expected: [["s-vpc", NO_FLOW_LOG]] },
        {
            title: "rejected traffic only",
            resources: [vpc, flowLog({ vpcId: "vpc-1", trafficType: "REJECT" })],
            expected: [["s-vpc", NO_FLOW_LOG]],
        },
        {
            title: "no VPC of the stack's own (aws.existingVpc)",
            resources: [sg("lb")],
            expected: { notApplicable: "the stack creates no VPC (aws.existingVpc): the VPC's owner keeps its flow logs" },
        },
    ],
};

describe("policy pack: stack policies", () => {
    for (const [name, cases] of Object.entries(STACK_CASES))
        describe(name, () => {
            for (const c of cases)
                it(c.title, async () => {
                    const typeOf = (n: string) => c.resources.find((r) => r.name === n)?.type ?? "?";
                    const expected: Expected = "notApplicable" in c.expected ? c.expected : c.expected.map(([, m]) => m);
                    const urns = "notApplicable" in c.expected ? [] : c.expected.map(([n]) => urnOf("staging", typeOf(n), n));
                    const outcome = await runStackPolicy(stackPolicy(name), stackResources("staging", c.resources), c.config);
                    assert.deepEqual(
                        outcome,
                        outcomeOf(expected, (_m, i) => urns[i]),
                    );
                });
        });
});

describe("policy pack: the staging and prod stacks under the mocks", () => {
    for (const stack of ["staging", "prod"] as const)
        for (const policy of POLICIES)
            it(`${stack} passes ${policy.name}`, async () => {
                assert.deepEqual(await violationsOn(policy, stack, (await runStack(stack)).resources), []);
            });

    it("staging on an existing VPC passes every policy; vpc-flow-logs is not applicable", async () => {
        const existing = {
            vpcId: "vpc-0123456789abcdef0",
            publicSubnets: [
                { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" },
                { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" },
            ],
        };
        const { resources } = await runStack("staging", awsConfig("staging", { existingVpc: existing }));
        for (const policy of POLICIES) assert.deepEqual(await violationsOn(policy, "staging", resources), [], policy.name);
        const outcome = await runStackPolicy(
            stackPolicy("vpc-flow-logs"),
            stackResources(
                "staging",
                resources.map((r) => ({ ...r, props: r.state })),
            ),
        );
        assert.ok("notApplicable" in outcome);
    });

    it("staging with AmazonSSMManagedInstanceCore on server-1's role fails ssm-reads-own-parameters", async () => {
        const { resources } = await runStack("staging");
        const attachment: RecordedResource = {
            type: AWS_TYPES.rolePolicyAttachment,
            name: "foobar-staging-server-1-ssm-core",
            urn: "urn:pulumi:staging::foobar-infra::foobar:index:FoobarInfra$aws:iam/rolePolicyAttachment:RolePolicyAttachment::foobar-staging-server-1-ssm-core",
            options: { ...resources[0].options, dependencies: [], propertyDependencies: {} },
            inputs: { role: "foobar-staging-server-1", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
            state: { role: "foobar-staging-server-1", policyArn: "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore" },
            secretPaths: [],
        };
        assert.deepEqual(await violationsOn(stackPolicy("ssm-reads-own-parameters"), "staging", [...resources, attachment]), [
            "foobar-staging-server-1-ssm-core: role foobar-staging-server-1 (of foobar-staging-server-1): managed policy arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore allows ssm:GetParameter, ssm:GetParameters on *: only the parameters its instances' user data lists may be read",
        ]);
    });

    it("staging without its bucket's public access block fails s3-buckets-private on the bucket", async () => {
        const { resources } = await runStack("staging");
        const without = resources.filter((r) => r.type !== AWS_TYPES.bucketPublicAccessBlock);
        assert.equal(without.length, resources.length - 1);
        assert.deepEqual(await violationsOn(stackPolicy("s3-buckets-private"), "staging", without), [
            `foobar-staging-artifacts: bucket foobar-staging-artifacts has no public access block: add an aws.s3.BucketPublicAccessBlock with ${BLOCKS} true`,
        ]);
    });

    it("prod without deletion protection fails rds-private-and-protected on the writer", async () => {
        const rds = (loadStackConfig("prod")["foobar:aws"] as { rds: object }).rds;
        const { resources } = await runStack("prod", awsConfig("prod", { rds: { ...rds, deletionProtection: false } }));
        const found = await violationsOn(resourcePolicy("rds-private-and-protected"), "prod", resources);
        assert.ok(found.includes(`foobar-prod-db: ${PROD_PROTECTION("false")}`), found.join("\n"));
    });
});

describe("policy pack: the pack itself", () => {
    it("eight policies, every one mandatory, names unique", () => {
        assert.deepEqual(POLICY_NAMES, [
            "ec2-imdsv2-only",
            "storage-encrypted",
            "rds-private-and-protected",
            "internet-ingress-only-lb-80-443",
            "ssm-reads-own-parameters",
            "no-secrets-in-user-data",
            "vpc-flow-logs",
            "s3-buckets-private",
        ]);
        assert.deepEqual(
            POLICIES.map((p) => p.enforcementLevel),
            POLICY_NAMES.map(() => "mandatory"),
        );
    });

    it("reads the secrets manifest where the program writes it", () => {
        assert.equal(SECRETS_MANIFEST_PATH, PROGRAM_MANIFEST_PATH);
    });

    it("loads and serves as `pulumi preview --policy-pack policy` runs it", async function () {
        this.timeout(60000);
        assert.match(await servePack(), /^\d+$/);
    });
});
