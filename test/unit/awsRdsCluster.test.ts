// aws.rds.deployment "multi-az-cluster": the managed database as an RDS Multi-AZ DB cluster (a
// writer and two readable standbys in three zones), and the rules of aws.rds with
// database.failover. Config with the exact messages, then the prod stack file with the cluster
// under mocks (the cluster, its parameter group, the third zone, the app's endpoints), and the
// default deployment ("instance") registering exactly what the prod stack did before the key.
import assert from "node:assert/strict";
import { validateArgs } from "../../components/foobarSchema";
import { secretPlaceholder } from "../../components/vm/cloudInit";
import { POLICIES } from "../../policy/policies";
import { violationsOn } from "../helpers/policyHarness";
import { RecordedResource, StackRun, byType, findResource, loadStackConfig, unwrap } from "../helpers/pulumiMocks";
import { AWS_TYPES, awsConfig, generatedSecrets, instance, runStack, userData, writtenFile } from "./awsHelpers";
import { errorOf, header, one } from "./configErrors";
import { Outputs } from "./stackHelpers";

const P = "foobar-prod";
const CLUSTER_TYPE = "aws:rds/cluster:Cluster";
const CLUSTER_PARAMETERS_TYPE = "aws:rds/clusterParameterGroup:ClusterParameterGroup";
const WRITER = `${P}-db.cluster-abcdefghijkl.eu-west-1.rds.amazonaws.com`;
const READER = `${P}-db.cluster-ro-abcdefghijkl.eu-west-1.rds.amazonaws.com`;
const TAGS = { "foobar:stack": P, "managed-by": "pulumi" };
const CLUSTER = '"multi-az-cluster"';

const FAILOVER_FIX = `with database.mode "managed" needs a standby that RDS promotes by itself: set aws.rds.multiAz to true (a Multi-AZ DB instance, failover typically 60–120 s) or aws.rds.deployment to ${CLUSTER} (two readable standbys, typically under 35 s); or use "manual".`;
const CLASS_FIX = `is not a class Multi-AZ DB clusters run on; with aws.rds.deployment ${CLUSTER} use one of db.m5d, db.m6gd, db.r5d, db.r6gd, db.x2iedn, like "db.m6gd.large".`;
const STORAGE_FIX = `must be at least 400 with aws.rds.deployment ${CLUSTER}: its gp3 storage takes the IOPS a cluster needs only from 400 GB on; raise it, or leave it unset.`;
const MULTI_AZ_FIX = `is only read with aws.rds.deployment "instance" (a Multi-AZ DB cluster always keeps its standbys in three availability zones); remove it.`;
const REPLICAS_FIX = `must be 0 to 2 with aws.rds.deployment ${CLUSTER}: its two readable standbys are the read replicas (1 or 2: the app reads through the cluster's reader endpoint, 0: from the writer); lower it, or use deployment "instance" for up to 5 RDS read replicas.`;
const ZONES_FIX = `must begin with three subnets in three different availability zones with aws.rds.deployment ${CLUSTER}: the cluster's writer and two standbys go one to each.`;

const subnet = (n: number, zone: string) => ({
    id: `subnet-0${n}${"0".repeat(15)}`,
    cidr: `10.20.${n}.0/24`,
    availabilityZone: `eu-west-1${zone}`,
});
const existingVpc = (...zones: string[]) => ({
    vpcCidr: "10.20.0.0/16",
    existingVpc: {
        vpcId: "vpc-0123456789abcdef0",
        publicSubnets: [subnet(1, "a"), subnet(2, "b")],
        privateSubnets: zones.map((z, i) => subnet(i + 3, z)),
    },
});
/** A managed database on aws with these database.* and aws.rds.* keys (and other aws.* keys). */
const managed = (database: object, rds: object, aws: object = {}) => ({
    platform: "aws",
    database: { mode: "managed", ...database },
    aws: { ...aws, rds },
});
const cluster = (rds: object = {}) => ({ deployment: "multi-az-cluster", instanceClass: "db.m6gd.large", ...rds });

const BAD: ReadonlyArray<readonly [string, unknown, string]> = [
    [
        "automatic failover on a single DB instance",
        managed({ failover: "automatic" }, {}),
        one(`  - foobar:database.failover: got "automatic"; ${FAILOVER_FIX}`),
    ],
    [
        "automatic failover, deployment instance, multiAz false",
        managed({ failover: "automatic" }, { deployment: "instance", multiAz: false }),
        one(`  - foobar:database.failover: got "automatic"; ${FAILOVER_FIX}`),
    ],
    [
        "an unknown deployment",
        managed({}, { deployment: "cluster" }),
        one(`  - foobar:aws.rds.deployment: got "cluster"; must be one of "instance", "multi-az-cluster".`),
    ],
    [
        "the cluster on the default class",
        managed({}, { deployment: "multi-az-cluster" }),
        one(`  - foobar:aws.rds.instanceClass: got "db.t4g.micro"; ${CLASS_FIX}`),
    ],
    [
        "the cluster on db.r6g",
        managed({}, cluster({ instanceClass: "db.r6g.large" })),
        one(`  - foobar:aws.rds.instanceClass: got "db.r6g.large"; ${CLASS_FIX}`),
    ],
    [
        "the cluster on 100 GB",
        managed({}, cluster({ allocatedStorageGb: 100 })),
        one(`  - foobar:aws.rds.allocatedStorageGb: got 100; ${STORAGE_FIX}`),
    ],
    ["the cluster with multiAz", managed({}, cluster({ multiAz: true })), one(`  - foobar:aws.rds.multiAz: got true; ${MULTI_AZ_FIX}`)],
    ["the cluster with 3 replicas", managed({ replicas: 3 }, cluster()), one(`  - foobar:database.replicas: got 3; ${REPLICAS_FIX}`)],
    [
        "the cluster in two private subnets",
        managed({}, cluster(), existingVpc("a", "b")),
        one(`  - foobar:aws.existingVpc.privateSubnets: got ["eu-west-1a","eu-west-1b"]; ${ZONES_FIX}`),
    ],
    [
        "the cluster in three private subnets of two zones",
        managed({}, cluster(), existingVpc("a", "b", "a")),
        one(`  - foobar:aws.existingVpc.privateSubnets: got ["eu-west-1a","eu-west-1b","eu-west-1a"]; ${ZONES_FIX}`),
    ],
    [
        "everything wrong with a cluster at once",
        managed({ replicas: 5, failover: "automatic" }, { deployment: "multi-az-cluster", allocatedStorageGb: 20, multiAz: false }),
        [
            header(4),
            `  - foobar:aws.rds.instanceClass: got "db.t4g.micro"; ${CLASS_FIX}`,
            `  - foobar:aws.rds.allocatedStorageGb: got 20; ${STORAGE_FIX}`,
            `  - foobar:aws.rds.multiAz: got false; ${MULTI_AZ_FIX}`,
            `  - foobar:database.replicas: got 5; ${REPLICAS_FIX}`,
        ].join("\n"),
    ],
];

describe("validateArgs: aws.rds.deployment and database.failover on a managed database", () => {
    for (const [name, args, message] of BAD) {
        it(`refuses ${name}, with the exact message`, () => assert.equal(errorOf(args).message, message));
    }

    it("accepts automatic failover on a Multi-AZ DB instance or a Multi-AZ DB cluster", () => {
        const instance = validateArgs(managed({ failover: "automatic" }, { multiAz: true }));
        assert.deepEqual(
            [instance.database.failover, instance.aws.rds.deployment, instance.aws.rds.multiAz],
            ["automatic", "instance", true],
        );
        const resolved = validateArgs(managed({ failover: "automatic", replicas: 2 }, cluster()));
        assert.deepEqual(resolved.aws.rds, {
            deployment: "multi-az-cluster",
            instanceClass: "db.m6gd.large",
            // The cluster's own default: gp3 with provisioned IOPS starts at 400 GB.
            allocatedStorageGb: 400,
            multiAz: false,
            backupRetentionDays: 7,
            deletionProtection: false,
            finalSnapshot: false,
        });
    });

    it("keeps the instance's defaults, and takes 0 to 2 replicas, any documented class family and three zones with the cluster", () => {
        assert.deepEqual(
            [validateArgs(managed({}, {})).aws.rds.deployment, validateArgs(managed({}, {})).aws.rds.allocatedStorageGb],
            ["instance", 20],
        );
        for (const replicas of [0, 1, 2]) assert.equal(validateArgs(managed({ replicas }, cluster())).database.replicas, replicas);
        for (const instanceClass of ["db.m5d.large", "db.m6gd.xlarge", "db.r5d.2xlarge", "db.r6gd.large", "db.x2iedn.xlarge"]) {
            assert.equal(validateArgs(managed({}, cluster({ instanceClass }))).aws.rds.instanceClass, instanceClass);
        }
        assert.equal(validateArgs(managed({}, cluster(), existingVpc("a", "b", "c", "a"))).aws.existingVpc?.privateSubnets.length, 4);
    });
});

/** The prod stack file with the cluster: its own rds keys but multiAz, and these database keys. */
function clusterStack(database: object): Promise<StackRun<Outputs>> {
    const prodRds = (loadStackConfig("prod")["foobar:aws"] as { rds: Record<string, unknown> }).rds;
    const rds = Object.fromEntries(Object.entries(prodRds).filter(([key]) => key !== "multiAz"));
    return runStack("prod", {
        ...awsConfig("prod", { rds: { ...rds, deployment: "multi-az-cluster", instanceClass: "db.m6gd.large" } }),
        "foobar:database": { mode: "managed", failover: "automatic", ...database },
    });
}

const envLines = (run: StackRun<Outputs>, server: string) =>
    writtenFile(userData(instance(run, P, server)).config, "/etc/foobar/app.env")
        .split("\n")
        .filter((l) => /^FOOBAR_DB_(FLAVOR|WRITER_HOST|WRITER_PORT|READER_HOST|READER_PORT)=/.test(l));

describe("defineStack: the prod stack with a Multi-AZ DB cluster (aws.rds.deployment multi-az-cluster)", () => {
    let run: StackRun<Outputs>;
    before(async () => {
        run = await clusterStack({ replicas: 2 });
    });

    it("registers one cluster and its cluster parameter group instead of DB instances, parameter and option groups", () => {
        assert.deepEqual(
            [CLUSTER_TYPE, CLUSTER_PARAMETERS_TYPE, AWS_TYPES.db, AWS_TYPES.dbParameterGroup, AWS_TYPES.dbOptionGroup].map(
                (t) => byType(run.resources, t).length,
            ),
            [1, 1, 0, 0, 0],
        );
    });

    it("runs MySQL 8.4 on the cluster: gp3 with its provisioned IOPS, encrypted, private, backed up, protected, logged and monitored", () => {
        const c = findResource(run.resources, CLUSTER_TYPE, `${P}-db`);
        const monitoring = findResource(run.resources, AWS_TYPES.role, `${P}-db-monitoring`);
        const snapshot = findResource(run.resources, AWS_TYPES.randomId, `${P}-db-final-snapshot`);
        assert.deepEqual(c.inputs, {
            engine: "mysql",
            engineVersion: "8.4",
            dbClusterInstanceClass: "db.m6gd.large",
            storageType: "gp3",
            allocatedStorage: 400,
            iops: 12000,
            storageEncrypted: true,
            dbSubnetGroupName: `${P}-db`,
            vpcSecurityGroupIds: [`${P}-db-id`],
            dbClusterParameterGroupName: `${P}-db`,
            masterUsername: "foobar_admin",
            masterPassword: generatedSecrets(run).passwords[`${P}-rds-admin-password`],
            backupRetentionPeriod: 14,
            autoMinorVersionUpgrade: true,
            deletionProtection: true,
            copyTagsToSnapshot: true,
            enabledCloudwatchLogsExports: ["error", "slowquery"],
            monitoringInterval: 60,
            monitoringRoleArn: monitoring.state.arn,
            skipFinalSnapshot: false,
            finalSnapshotIdentifier: `${P}-db-final-${snapshot.state.hex}`,
            tags: TAGS,
        });
        assert.deepEqual(c.secretPaths, ["masterPassword"]);
        // A production stack's database refuses `pulumi destroy` and replacements.
        assert.equal(c.options.protect, true);
        assert.equal(c.options.parent, findResource(run.resources, "foobar:index:FoobarInfra", P).urn);
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.rolePolicyAttachment).map((a) => [a.inputs.role, a.inputs.policyArn]),
            [[`${P}-db-monitoring`, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]],
        );
    });

    it("gives the cluster the instance's engine settings in a mysql8.4 cluster parameter group", () => {
        assert.deepEqual(findResource(run.resources, CLUSTER_PARAMETERS_TYPE, `${P}-db`).inputs, {
            family: "mysql8.4",
            description: `foobar-infra ${P}`,
            parameters: [
                { name: "authentication_policy", value: "*:mysql_native_password", applyMethod: "pending-reboot" },
                { name: "require_secure_transport", value: "1" },
                { name: "slow_query_log", value: "1" },
                { name: "long_query_time", value: "1" },
                { name: "log_output", value: "FILE" },
            ],
            tags: TAGS,
        });
    });

    it("adds a private subnet in a third zone, and puts the cluster in all three private subnets", () => {
        const c = findResource(run.resources, AWS_TYPES.subnet, `${P}-private-c`).inputs;
        assert.deepEqual([c.cidrBlock, c.availabilityZone, c.tags["foobar:tier"]], ["10.30.4.0/24", "eu-west-1c", "private"]);
        assert.deepEqual(findResource(run.resources, AWS_TYPES.dbSubnetGroup, `${P}-db`).inputs.subnetIds, [
            `${P}-private-a-id`,
            `${P}-private-b-id`,
            `${P}-private-c-id`,
        ]);
        assert.equal(findResource(run.resources, AWS_TYPES.routeTableAssociation, `${P}-private-c`).inputs.routeTableId, `${P}-private-id`);
        // The web servers stay in the first two zones.
        assert.deepEqual(
            ["server-1", "server-2"].map((s) => instance(run, P, s).inputs.subnetId),
            [`${P}-private-a-id`, `${P}-private-b-id`],
        );
    });

    it("has the apps write to the writer endpoint and read from the reader endpoint, and the bootstrap use the writer", () => {
        for (const server of ["server-1", "server-2"]) {
            assert.deepEqual(envLines(run, server), [
                "FOOBAR_DB_FLAVOR=mysql",
                `FOOBAR_DB_WRITER_HOST=${WRITER}`,
                "FOOBAR_DB_WRITER_PORT=3306",
                `FOOBAR_DB_READER_HOST=${READER}`,
                "FOOBAR_DB_READER_PORT=3306",
            ]);
        }
        assert.equal(
            writtenFile(userData(instance(run, P, "server-3")).config, "/etc/foobar/rds-admin.cnf"),
            `[client]\nhost=${WRITER}\nuser=foobar_admin\npassword=${secretPlaceholder("rds-admin-password")}\nssl-ca=/etc/foobar/db-ca.pem\nssl-verify-server-cert\n`,
        );
        // Every instance that talks to the database waits for the cluster.
        const urn = findResource(run.resources, CLUSTER_TYPE, `${P}-db`).urn;
        for (const server of ["server-1", "server-2", "server-3", "server-4"]) {
            assert.ok(instance(run, P, server).options.dependencies.includes(urn), server);
        }
    });

    it("exports the writer endpoint and the reader endpoint once", async () => {
        const o = await unwrap(run.outputs);
        assert.deepEqual([o.databaseWriterEndpoint, o.databaseReaderEndpoints], [`${WRITER}:3306`, [`${READER}:3306`]]);
    });

    it("passes every policy of the pack (encrypted, deletion protection on prod, nothing public)", async () => {
        for (const policy of POLICIES) assert.deepEqual(await violationsOn(policy, "prod", run.resources), [], policy.name);
    });

    it("with database.replicas 0, keeps every read on the writer and exports no reader endpoint", async () => {
        const none = await clusterStack({ replicas: 0 });
        assert.deepEqual(envLines(none, "server-1"), [
            "FOOBAR_DB_FLAVOR=mysql",
            `FOOBAR_DB_WRITER_HOST=${WRITER}`,
            "FOOBAR_DB_WRITER_PORT=3306",
        ]);
        assert.deepEqual((await unwrap(none.outputs)).databaseReaderEndpoints, []);
    });
});

/** Every registration, in URN order, with the values of random resources (new each run) replaced by their names. */
function registrations(run: StackRun<Outputs>): unknown {
    const generated = run.resources
        .filter((r) => r.type.startsWith("random:"))
        .flatMap((r) =>
            Object.entries(r.state).flatMap(([k, v]) => (typeof v === "string" && v.length > 3 ? [[v, `<${r.name}.${k}>`]] : [])),
        )
        .sort((a, b) => b[0].length - a[0].length);
    const pick = ({ type, name, urn, options, inputs, secretPaths }: RecordedResource) => ({
        type,
        name,
        urn,
        options,
        inputs,
        secretPaths,
    });
    let text = JSON.stringify([...run.resources].sort((a, b) => a.urn.localeCompare(b.urn)).map(pick));
    for (const [value, placeholder] of generated) text = text.split(value).join(placeholder);
    return JSON.parse(text);
}

describe('defineStack: aws.rds.deployment "instance" (the default)', () => {
    it("registers exactly what the prod stack file (which leaves it unset) registers: no cluster, no third zone", async () => {
        const prod = await runStack("prod");
        const rds = (loadStackConfig("prod")["foobar:aws"] as { rds: object }).rds;
        const explicit = await runStack("prod", awsConfig("prod", { rds: { ...rds, deployment: "instance" } }));
        assert.deepEqual(registrations(explicit), registrations(prod));
        assert.deepEqual([byType(prod.resources, CLUSTER_TYPE).length, byType(prod.resources, AWS_TYPES.db).length], [0, 2]);
        assert.ok(!prod.resources.some((r) => r.name === `${P}-private-c`));
    });
});
