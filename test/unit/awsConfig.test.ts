// validateArgs for the aws platform's keys, with the exact message a user sees; and the component
// refusing platform aws without a region.
import assert from "node:assert/strict";
import { ConfigError } from "../../components/config/problems";
import { validateArgs } from "../../components/foobarSchema";
import { defineStack } from "../../components/stack";
import { loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { DEFAULT_AWS_RESOLVED } from "./awsHelpers";
import { errorOf, header, one } from "./configErrors";

const VPC_FIX = `must be a private IPv4 CIDR with a prefix from /16 to /20, like "10.0.0.0/16".`;
const ADMIN_FIX = `must be the IPv4 range SSH may come from, a /16 or narrower, like "203.0.113.7/32"; never 0.0.0.0/0 (use SSM Session Manager instead).`;
const SUBNETS_FIX = (min: number) =>
    `must list at least ${min} subnets as { id: "subnet-...", cidr: "10.0.1.0/24", availabilityZone: "eu-west-1a" }, in two availability zones.`;
const INSIDE_FIX = (vpcCidr: string) =>
    `each subnet must lie inside aws.vpcCidr (${vpcCidr}, set it to the VPC's range) and be a /27 or larger.`;
const RESTORE_FIX =
    'must list { server: "server-3", snapshotId: "snap-0123456789abcdef0" } items: a server with a self-managed database and an EBS snapshot id.';
const RESTORE = (server: string) => ({ server, snapshotId: "snap-0123456789abcdef0" });
const ONLY_SELF_MANAGED = `is only read with database.mode "self-managed" (RDS keeps its own storage and backups); remove it.`;
const AWS_KEYS =
    "vpcCidr, existingVpc, privateSubnets, amiId, amiOwner, instanceTypes, adminCidr, flowLogRetentionDays, alarmEmail, databaseVolumeGb, snapshotRetentionDays, restoreDatabaseVolumes, rds";

const SUBNET_A = { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" };
const SUBNET_B = { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" };
const VPC_ID = "vpc-0123456789abcdef0";
/** The existing VPC's range: SUBNET_A and SUBNET_B lie inside it. */
const VPC_CIDR = "10.20.0.0/16";

const aws = (a: unknown) => ({ platform: "aws", aws: a });
/** aws.rds is read with a managed database only. */
const rds = (a: unknown) => ({ platform: "aws", database: { mode: "managed" }, aws: a });

const BAD: ReadonlyArray<readonly [string, unknown, string]> = [
    ["public vpcCidr", aws({ vpcCidr: "8.8.0.0/16" }), one(`  - foobar:aws.vpcCidr: got "8.8.0.0/16"; ${VPC_FIX}`)],
    ["vpcCidr /24", aws({ vpcCidr: "10.20.0.0/24" }), one(`  - foobar:aws.vpcCidr: got "10.20.0.0/24"; ${VPC_FIX}`)],
    ["vpcCidr /12", aws({ vpcCidr: "172.16.0.0/12" }), one(`  - foobar:aws.vpcCidr: got "172.16.0.0/12"; ${VPC_FIX}`)],
    ["misaligned vpcCidr", aws({ vpcCidr: "10.20.1.0/16" }), one(`  - foobar:aws.vpcCidr: got "10.20.1.0/16"; ${VPC_FIX}`)],
    ['privateSubnets "yes"', aws({ privateSubnets: "yes" }), one(`  - foobar:aws.privateSubnets: got "yes"; must be true or false.`)],
    [
        'amiId "ami-xyz"',
        aws({ amiId: "ami-xyz" }),
        one(`  - foobar:aws.amiId: got "ami-xyz"; must be an AMI id like "ami-0123456789abcdef0", or left unset for the newest Debian 12.`),
    ],
    [
        'amiOwner "debian"',
        aws({ amiOwner: "debian" }),
        one(`  - foobar:aws.amiOwner: got "debian"; must be a 12-digit AWS account id; Debian's is "136693071363".`),
    ],
    [
        'instanceTypes.web "huge"',
        aws({ instanceTypes: { web: "huge" } }),
        one(`  - foobar:aws.instanceTypes.web: got "huge"; must be an EC2 instance type like "t3.micro".`),
    ],
    ['adminCidr "0.0.0.0/0"', aws({ adminCidr: "0.0.0.0/0" }), one(`  - foobar:aws.adminCidr: got "0.0.0.0/0"; ${ADMIN_FIX}`)],
    ['adminCidr "not-a-cidr"', aws({ adminCidr: "not-a-cidr" }), one(`  - foobar:aws.adminCidr: got "not-a-cidr"; ${ADMIN_FIX}`)],
    ["adminCidr with host bits", aws({ adminCidr: "203.0.113.7/24" }), one(`  - foobar:aws.adminCidr: got "203.0.113.7/24"; ${ADMIN_FIX}`)],
    [
        "rds.backupRetentionDays 3",
        rds({ rds: { backupRetentionDays: 3 } }),
        one(`  - foobar:aws.rds.backupRetentionDays: got 3; must be a whole number from 7 to 35.`),
    ],
    [
        "rds.allocatedStorageGb 5",
        rds({ rds: { allocatedStorageGb: 5 } }),
        one(`  - foobar:aws.rds.allocatedStorageGb: got 5; must be a whole number from 20 to 65536.`),
    ],
    [
        'rds.instanceClass "t3.micro"',
        rds({ rds: { instanceClass: "t3.micro" } }),
        one(`  - foobar:aws.rds.instanceClass: got "t3.micro"; must be an RDS instance class like "db.t4g.micro".`),
    ],
    [
        "flowLogRetentionDays that CloudWatch does not offer",
        aws({ flowLogRetentionDays: 10 }),
        one(`  - foobar:aws.flowLogRetentionDays: got 10; must be a retention period CloudWatch Logs accepts, like 7 or 14.`),
    ],
    [
        "unknown aws key",
        aws({ vpcCIDR: "10.1.0.0/16" }),
        one(`  - foobar:aws.vpcCIDR: got "10.1.0.0/16"; unknown key; known keys of aws are ${AWS_KEYS}. Did you mean "vpcCidr"?`),
    ],
    [
        "unknown rds key",
        rds({ rds: { multiAZ: true } }),
        one(
            `  - foobar:aws.rds.multiAZ: got true; unknown key; known keys of aws.rds are deployment, instanceClass, allocatedStorageGb, multiAz, backupRetentionDays, deletionProtection, finalSnapshot. Did you mean "multiAz"?`,
        ),
    ],
    ["aws given as a string", aws("10.0.0.0/16"), one(`  - foobar:aws: got "10.0.0.0/16"; must be an object with keys ${AWS_KEYS}.`)],
    [
        "existingVpc with a bad vpcId",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: "vpc-xyz", publicSubnets: [SUBNET_A, SUBNET_B] } }),
        one(`  - foobar:aws.existingVpc.vpcId: got "vpc-xyz"; must be a VPC id like "vpc-0123456789abcdef0".`),
    ],
    [
        "existingVpc with one public subnet",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A] } }),
        one(
            `  - foobar:aws.existingVpc.publicSubnets: got [{"id":"subnet-0aaaaaaaaaaaaaaa1","cidr":"10.20.10.0/24","availabilityZone":"...; ${SUBNETS_FIX(2)}`,
        ),
    ],
    [
        "existingVpc with a subnet that has no cidr",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, { id: SUBNET_B.id }] } }),
        one(
            `  - foobar:aws.existingVpc.publicSubnets: got [{"id":"subnet-0aaaaaaaaaaaaaaa1","cidr":"10.20.10.0/24","availabilityZone":"...; ${SUBNETS_FIX(2)}`,
        ),
    ],
    [
        "existingVpc without privateSubnets while privateSubnets is true",
        aws({ vpcCidr: VPC_CIDR, privateSubnets: true, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, SUBNET_B] } }),
        one(`  - foobar:aws.existingVpc.privateSubnets: got nothing; ${SUBNETS_FIX(2)}`),
    ],
    [
        "existingVpc with a subnet list that is not a list: the value received",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: SUBNET_A.id } }),
        one(`  - foobar:aws.existingVpc.publicSubnets: got "subnet-0aaaaaaaaaaaaaaa1"; ${SUBNETS_FIX(2)}`),
    ],
    [
        "existingVpc with a subnet outside aws.vpcCidr",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, { ...SUBNET_B, cidr: "10.21.11.0/24" }] } }),
        one(`  - foobar:aws.existingVpc.publicSubnets: got "10.21.11.0/24"; ${INSIDE_FIX(VPC_CIDR)}`),
    ],
    [
        "existingVpc subnets left inside the default aws.vpcCidr",
        aws({ existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, SUBNET_B] } }),
        [
            header(2),
            `  - foobar:aws.existingVpc.publicSubnets: got "10.20.10.0/24"; ${INSIDE_FIX("10.0.0.0/16")}`,
            `  - foobar:aws.existingVpc.publicSubnets: got "10.20.11.0/24"; ${INSIDE_FIX("10.0.0.0/16")}`,
        ].join("\n"),
    ],
    [
        "existingVpc with a subnet larger than aws.vpcCidr",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, { ...SUBNET_B, cidr: "10.20.0.0/15" }] } }),
        one(`  - foobar:aws.existingVpc.publicSubnets: got "10.20.0.0/15"; ${INSIDE_FIX(VPC_CIDR)}`),
    ],
    [
        "existingVpc with a /28 private subnet",
        aws({
            vpcCidr: VPC_CIDR,
            privateSubnets: true,
            existingVpc: {
                vpcId: VPC_ID,
                publicSubnets: [SUBNET_A, SUBNET_B],
                privateSubnets: [
                    { id: "subnet-0ccccccccccccccc3", cidr: "10.20.20.0/28", availabilityZone: "eu-west-1a" },
                    { id: "subnet-0ddddddddddddddd4", cidr: "10.20.21.0/27", availabilityZone: "eu-west-1b" },
                ],
            },
        }),
        one(`  - foobar:aws.existingVpc.privateSubnets: got "10.20.20.0/28"; ${INSIDE_FIX(VPC_CIDR)}`),
    ],
    [
        "unknown existingVpc key",
        aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, SUBNET_B], privateSubnet: [] } }),
        one(
            `  - foobar:aws.existingVpc.privateSubnet: got []; unknown key; known keys of aws.existingVpc are vpcId, publicSubnets, privateSubnets. Did you mean "privateSubnets"?`,
        ),
    ],
    [
        "managed database on docker",
        { database: { mode: "managed" } },
        one(`  - foobar:database.mode: got "managed"; a managed (RDS) database needs platform "aws"; use "self-managed" on docker.`),
    ],
    [
        "managed database with 6 replicas",
        { platform: "aws", database: { mode: "managed", replicas: 6 } },
        one(`  - foobar:database.replicas: got 6; must be a whole number from 0 to 5.`),
    ],
    [
        "databaseVolumeGb 4",
        aws({ databaseVolumeGb: 4 }),
        one(`  - foobar:aws.databaseVolumeGb: got 4; must be a whole number from 8 to 16384.`),
    ],
    [
        "snapshotRetentionDays 0",
        aws({ snapshotRetentionDays: 0 }),
        one(`  - foobar:aws.snapshotRetentionDays: got 0; must be a whole number from 1 to 365.`),
    ],
    [
        "restoreDatabaseVolumes with a bad snapshot id",
        aws({ restoreDatabaseVolumes: [{ server: "server-3", snapshotId: "snap-x" }] }),
        one(`  - foobar:aws.restoreDatabaseVolumes: got [{"server":"server-3","snapshotId":"snap-x"}]; ${RESTORE_FIX}`),
    ],
    [
        "restoreDatabaseVolumes naming a server without a database, and one twice",
        {
            platform: "aws",
            database: { replicas: 1 },
            aws: { restoreDatabaseVolumes: [RESTORE("server-2"), RESTORE("server-3"), RESTORE("server-3")] },
        },
        [
            header(2),
            `  - foobar:aws.restoreDatabaseVolumes: got "server-2"; names a server without a database; this stack's databases are on server-3, server-1.`,
            `  - foobar:aws.restoreDatabaseVolumes: got "server-3"; names a server twice; each volume is made from one snapshot.`,
        ].join("\n"),
    ],
    [
        "data volume keys with a managed database",
        rds({ databaseVolumeGb: 50, restoreDatabaseVolumes: [RESTORE("server-3")] }),
        [
            header(2),
            `  - foobar:aws.databaseVolumeGb: got 50; ${ONLY_SELF_MANAGED}`,
            `  - foobar:aws.restoreDatabaseVolumes: got [{"server":"server-3","snapshotId":"snap-0123456789abcdef0"}]; ${ONLY_SELF_MANAGED}`,
        ].join("\n"),
    ],
    [
        // The order the schema declares the keys in (the README's config table).
        "several aws problems at once, in key order",
        rds({ vpcCidr: "8.8.0.0/16", amiId: "ami-xyz", instanceTypes: { lb: "big" }, rds: { backupRetentionDays: 40 } }),
        [
            header(4),
            `  - foobar:aws.vpcCidr: got "8.8.0.0/16"; ${VPC_FIX}`,
            `  - foobar:aws.amiId: got "ami-xyz"; must be an AMI id like "ami-0123456789abcdef0", or left unset for the newest Debian 12.`,
            `  - foobar:aws.instanceTypes.lb: got "big"; must be an EC2 instance type like "t3.micro".`,
            `  - foobar:aws.rds.backupRetentionDays: got 40; must be a whole number from 7 to 35.`,
        ].join("\n"),
    ],
];

describe("validateArgs: aws", () => {
    describe("rejects bad aws configurations with the exact message", () => {
        for (const [name, args, message] of BAD) {
            it(name, () => {
                const err = errorOf(args);
                assert.equal(err.message, message);
                assert.equal(err.problems.length, message.split("\n").length - 1);
            });
        }
    });

    it("resolves the staging and prod stack files' aws blocks", () => {
        const foobar = (file: string) =>
            Object.fromEntries(
                Object.entries(loadStackConfig(file))
                    .filter(([k]) => k.startsWith("foobar:"))
                    .map(([k, v]) => [k.slice("foobar:".length), v]),
            );
        const staging = validateArgs(foobar("staging"));
        assert.deepEqual([staging.platform, staging.database], ["aws", { mode: "self-managed", replicas: 2, failover: "automatic" }]);
        // The defaults but for the stack file's own VPC range.
        assert.deepEqual(staging.aws, { ...DEFAULT_AWS_RESOLVED, vpcCidr: "10.20.0.0/16" });
        const prod = validateArgs(foobar("prod"));
        assert.deepEqual(
            [prod.platform, prod.database, prod.lb.algorithm],
            ["aws", { mode: "managed", replicas: 1, failover: "manual" }, "leastconn"],
        );
        assert.deepEqual(prod.aws, {
            vpcCidr: "10.30.0.0/16",
            existingVpc: undefined,
            privateSubnets: true,
            amiId: undefined,
            amiOwner: "136693071363",
            instanceTypes: { lb: "t3.small", web: "t3.small" },
            adminCidr: undefined,
            flowLogRetentionDays: 90,
            alarmEmail: undefined,
            databaseVolumeGb: 20,
            snapshotRetentionDays: 7,
            restoreDatabaseVolumes: [],
            rds: {
                deployment: "instance",
                instanceClass: "db.t4g.small",
                allocatedStorageGb: 20,
                multiAz: true,
                backupRetentionDays: 14,
                deletionProtection: true,
                finalSnapshot: true,
            },
        });
    });

    it("accepts a managed database on aws: 1 replica by default, up to 5 whatever the web servers", () => {
        assert.deepEqual(validateArgs({ platform: "aws", database: { mode: "managed" } }).database, {
            mode: "managed",
            replicas: 1,
            failover: "manual",
        });
        assert.deepEqual(validateArgs({ platform: "aws", webServers: 1, database: { mode: "managed", replicas: 5 } }).database, {
            mode: "managed",
            replicas: 5,
            failover: "manual",
        });
        assert.deepEqual(validateArgs({ platform: "aws", database: { mode: "managed", replicas: "0" } }).database, {
            mode: "managed",
            replicas: 0,
            failover: "manual",
        });
    });

    it("accepts every documented aws choice, strings as stack config delivers them", () => {
        // Subnets inside the /20, the private ones /27: the smallest allowed.
        const existingVpc = {
            vpcId: VPC_ID,
            publicSubnets: [
                { ...SUBNET_A, cidr: "172.20.10.0/24" },
                { ...SUBNET_B, cidr: "172.20.11.0/24" },
            ],
            privateSubnets: [
                { id: "subnet-0ccccccccccccccc3", cidr: "172.20.15.224/27", availabilityZone: "eu-west-1a" },
                { id: "subnet-0ddddddddddddddd4", cidr: "172.20.0.0/27", availabilityZone: "eu-west-1b" },
            ],
        };
        const resolved = validateArgs(
            rds({
                vpcCidr: "172.20.0.0/20",
                existingVpc,
                privateSubnets: "true",
                amiId: "ami-0123456789abcdef0",
                amiOwner: "123456789012",
                instanceTypes: { lb: "c7g.large", web: "t3a.small" },
                adminCidr: "203.0.113.7/32",
                alarmEmail: "ops+foobar@example.com",
                rds: {
                    deployment: "instance",
                    instanceClass: "db.r6g.large",
                    allocatedStorageGb: "100",
                    multiAz: "true",
                    backupRetentionDays: 35,
                    deletionProtection: true,
                    finalSnapshot: "true",
                },
            }),
        );
        assert.deepEqual(resolved.aws, {
            vpcCidr: "172.20.0.0/20",
            existingVpc,
            privateSubnets: true,
            amiId: "ami-0123456789abcdef0",
            amiOwner: "123456789012",
            instanceTypes: { lb: "c7g.large", web: "t3a.small" },
            adminCidr: "203.0.113.7/32",
            flowLogRetentionDays: 90,
            alarmEmail: "ops+foobar@example.com",
            databaseVolumeGb: 20,
            snapshotRetentionDays: 7,
            restoreDatabaseVolumes: [],
            rds: {
                deployment: "instance",
                instanceClass: "db.r6g.large",
                allocatedStorageGb: 100,
                multiAz: true,
                backupRetentionDays: 35,
                deletionProtection: true,
                finalSnapshot: true,
            },
        });
        // Without private subnets, an existing VPC needs no private subnet list.
        assert.deepEqual(
            validateArgs(aws({ vpcCidr: VPC_CIDR, existingVpc: { vpcId: VPC_ID, publicSubnets: [SUBNET_A, SUBNET_B] } })).aws.existingVpc,
            {
                vpcId: VPC_ID,
                publicSubnets: [SUBNET_A, SUBNET_B],
                privateSubnets: [],
            },
        );
    });
});

describe("FoobarInfra: platform aws without aws:region", () => {
    it("throws a ConfigError naming aws:region and registers nothing", async () => {
        const config: Record<string, unknown> = { ...loadStackConfig("staging") };
        delete config["aws:region"];
        let caught: unknown;
        const run = await runUnderMocks(
            config,
            () => {
                try {
                    return defineStack();
                } catch (err) {
                    caught = err;
                    return undefined;
                }
            },
            { stack: "staging" },
        );
        assert.ok(caught instanceof ConfigError, String(caught));
        assert.equal(
            caught.message,
            one("  - aws:region: got nothing; platform aws needs a region; set it with `pulumi config set aws:region eu-west-1`."),
        );
        assert.deepEqual(caught.problems, [
            {
                key: "aws:region",
                value: undefined,
                fix: "platform aws needs a region; set it with `pulumi config set aws:region eu-west-1`.",
            },
        ]);
        assert.deepEqual(run.resources, []);
        assert.deepEqual(run.calls, []);
    });
});
