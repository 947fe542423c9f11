// Day two on aws, under the mocks: replacements that succeed (delete-before-replace where the address
// is fixed), no surprise replacements (a pinned image, no associatePublicIpAddress where the Elastic
// IP goes), and data that outlives its servers (kept, protected, cleanly detached, snapshotted).
import assert from "node:assert/strict";
import { dataDevicePaths } from "../../components/platforms/aws/storage";
import { defineStack } from "../../components/stack";
import { mariadbDataVolume } from "../../components/vm/dataVolume";
import { MOCK_AMI_ID, RecordedResource, byType, findResource, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { violationsOn } from "../helpers/policyHarness";
import { POLICIES } from "../../policy/policies";
import { AMI_CALL, AWS_TYPES, awsConfig, instance, instances, runStack, singleLb, userData } from "./awsHelpers";
import { withPlainStackTraces } from "./stackHelpers";

const NEWER_AMI = "ami-0fedcba9876543210";
const STACKS = ["staging", "prod"] as const;

/** A stack file run as that stack, optionally on top of an earlier run's state. */
const evaluate = (file: "staging" | "prod", options: { previous?: readonly RecordedResource[]; newestAmi?: string } = {}, overrides = {}) =>
    withPlainStackTraces(() => runUnderMocks({ ...loadStackConfig(file), ...overrides }, defineStack, { stack: file, ...options }));

const byName = (resources: readonly RecordedResource[]) => Object.fromEntries(resources.map((r) => [r.name, r.inputs]));

describe("aws day two: replacements", () => {
    for (const stack of STACKS) {
        it(`${stack}: every instance (each has a fixed private address) is replaced delete-before-replace, and kept by nobody`, async () => {
            const run = await runStack(stack);
            // Two web servers and a pair of load balancers (lb.count 2).
            assert.equal(instances(run).length, 4);
            for (const i of instances(run)) {
                assert.ok(i.inputs.privateIp, i.name);
                assert.deepEqual(
                    [i.options.deleteBeforeReplace, i.options.retainOnDelete, i.options.protect],
                    [true, false, false],
                    i.name,
                );
                // The root volume holds no data now: it goes with the instance.
                assert.equal(i.inputs.rootBlockDevice.deleteOnTermination, true, i.name);
            }
        });

        it(`${stack} with lb.count 1: the Elastic IP's instance leaves associatePublicIpAddress unset; the association follows the instance`, async () => {
            const run = await runStack(stack, singleLb(stack));
            const lb = instance(run, `foobar-${stack}`, "server-3");
            assert.ok(!("associatePublicIpAddress" in lb.inputs));
            const association = findResource(run.resources, AWS_TYPES.eipAssociation, `foobar-${stack}-lb`);
            assert.deepEqual(association.options.propertyDependencies.instanceId, [lb.urn]);
        });
    }
});

describe("aws day two: the image is pinned", () => {
    for (const stack of STACKS) {
        it(`${stack}: a second up after Debian publishes a newer image changes no instance's inputs`, async () => {
            const first = await evaluate(stack);
            const second = await evaluate(stack, { previous: first.resources, newestAmi: NEWER_AMI });
            // The lookup runs, and sees the newer image...
            assert.equal(second.calls.filter((c) => c.token === AMI_CALL).length, 1);
            const stash = findResource(second.resources, AWS_TYPES.stash, `foobar-${stack}-ami`);
            assert.deepEqual([stash.inputs.input, stash.state.output], [NEWER_AMI, MOCK_AMI_ID]);
            // ...but every instance keeps the image it was created from, and all else.
            const [before, after] = [first, second].map((r) => byName(byType(r.resources, AWS_TYPES.instance)));
            assert.deepEqual(Object.keys(after).sort(), Object.keys(before).sort());
            for (const name of Object.keys(before)) assert.deepEqual(after[name], before[name], name);
            assert.ok(Object.values(after).every((i) => i.ami === MOCK_AMI_ID));
            // A new stack starts from the newest image.
            const fresh = await evaluate(stack, { newestAmi: NEWER_AMI });
            assert.ok(byType(fresh.resources, AWS_TYPES.instance).every((i) => i.inputs.ami === NEWER_AMI));
        });
    }

    it("an explicit aws.amiId wins: used directly, no stash, whatever the newest image", async () => {
        const pinned = "ami-0123456789abcdef0";
        const run = await evaluate("staging", { newestAmi: NEWER_AMI }, awsConfig("staging", { amiId: pinned }));
        assert.deepEqual(byType(run.resources, AWS_TYPES.stash), []);
        assert.ok(!run.calls.some((c) => c.token === AMI_CALL));
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.instance).map((i) => i.inputs.ami),
            [pinned, pinned, pinned, pinned],
        );
    });
});

describe("aws day two: the user data budget", () => {
    it("a web server's user data leaves room for real certificates: under 15 KiB gzipped with the mocks' short ones", async () => {
        // Real certificates (the live rehearsal's) add about 1 KiB gzipped; EC2 takes 16 KiB.
        for (const stack of STACKS) {
            for (const i of instances(await runStack(stack, { "foobar:webServers": 8 }))) {
                assert.ok(userData(i).gzipBytes <= 15 * 1024, `${i.name}: ${userData(i).gzipBytes} bytes`);
            }
        }
    });
});

describe("aws day two: the databases' data volumes", () => {
    const P = "foobar-staging";
    // The primary on server-3 (public-a), a replica on each web server; zones from the region's list.
    const VOLUMES = [
        ["server-1", "eu-west-1a"],
        ["server-2", "eu-west-1b"],
        ["server-3", "eu-west-1a"],
    ];
    /** Registration order follows output resolution: by name. */
    const sorted = (run: { resources: RecordedResource[] }, type: string) =>
        byType(run.resources, type).sort((a, b) => a.name.localeCompare(b.name));

    it("staging: one encrypted gp3 volume per database, in its instance's zone, tagged for the snapshots; kept on delete, not protected", async () => {
        const run = await runStack("staging");
        const volumes = sorted(run, AWS_TYPES.volume);
        assert.deepEqual(
            volumes.map((v) => [v.name, v.inputs.availabilityZone, v.inputs.type, v.inputs.size, v.inputs.encrypted]),
            VOLUMES.map(([server, zone]) => [`${P}-${server}-db`, zone, "gp3", 20, true]),
        );
        for (const v of volumes) {
            const server = v.name.slice(P.length + 1, -"-db".length);
            assert.deepEqual(v.inputs.tags, {
                Name: v.name,
                "foobar:server": server,
                "foobar:snapshots": P,
                "foobar:stack": P,
                "managed-by": "pulumi",
            });
            assert.deepEqual([v.options.retainOnDelete, v.options.protect, v.options.deleteBeforeReplace], [true, false, false], v.name);
            // Nothing of an instance flows into it: an instance's replacement never replaces its volume.
            assert.ok(!v.options.dependencies.some((d) => d.includes("aws:ec2/instance:Instance")), v.name);
            assert.ok(!("snapshotId" in v.inputs), v.name);
        }
    });

    it("staging: each attachment stops the instance before detaching, and goes before its replacement", async () => {
        const run = await runStack("staging");
        const attachments = sorted(run, AWS_TYPES.volumeAttachment);
        assert.deepEqual(
            attachments.map((a) => [
                a.name,
                a.inputs.volumeId,
                a.inputs.instanceId,
                a.inputs.deviceName,
                a.inputs.stopInstanceBeforeDetaching,
            ]),
            VOLUMES.map(([server]) => [`${P}-${server}-db`, `${P}-${server}-db-id`, `${P}-${server}-id`, "/dev/sdf", true]),
        );
        for (const a of attachments) assert.equal(a.options.deleteBeforeReplace, true, a.name);
    });

    it("the boot finds a volume by its EBS NVMe name, then the attachment's device; only plain device paths reach its command line", () => {
        assert.deepEqual(dataDevicePaths("vol-0123456789abcdef0"), [
            "/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0",
            "/dev/sdf",
            "/dev/xvdf",
        ]);
        assert.throws(() => dataDevicePaths("vol-1; reboot"), /is not an EBS volume id/);
        assert.throws(() => mariadbDataVolume(["/dev/sdf", "$(reboot)"]), /is not a plain \/dev path/);
        assert.deepEqual(mariadbDataVolume(["/dev/sdf"]).command, [
            "/usr/local/sbin/foobar-data-volume",
            "/srv/foobar-db",
            "/var/lib/mysql",
            "mysql",
            "mariadb",
            "/dev/sdf",
        ]);
    });

    it("staging with production: the volumes are protected too; the stack still passes every policy", async () => {
        const run = await runStack("staging", { "foobar:production": true });
        for (const v of byType(run.resources, AWS_TYPES.volume))
            assert.deepEqual([v.options.protect, v.options.retainOnDelete], [true, true], v.name);
        for (const policy of POLICIES) assert.deepEqual(await violationsOn(policy, "staging", run.resources), [], policy.name);
    });

    it("aws.restoreDatabaseVolumes makes that server's volume from the snapshot, and only that one", async () => {
        const restore = [{ server: "server-3", snapshotId: "snap-0123456789abcdef0" }];
        const run = await runStack("staging", awsConfig("staging", { restoreDatabaseVolumes: restore, databaseVolumeGb: 50 }));
        assert.deepEqual(
            sorted(run, AWS_TYPES.volume).map((v) => [v.name, v.inputs.snapshotId, v.inputs.size]),
            [
                [`${P}-server-1-db`, undefined, 50],
                [`${P}-server-2-db`, undefined, 50],
                [`${P}-server-3-db`, "snap-0123456789abcdef0", 50],
            ],
        );
    });

    it("staging: Data Lifecycle Manager snapshots the stack's volumes daily, kept aws.snapshotRetentionDays, through AWS's role policy", async () => {
        for (const [overrides, days] of [[{}, 7] as const, [awsConfig("staging", { snapshotRetentionDays: 30 }), 30] as const]) {
            const run = await runStack("staging", overrides);
            const [policy] = byType(run.resources, AWS_TYPES.lifecyclePolicy);
            assert.equal(policy.name, `${P}-db-snapshots`);
            const role = findResource(run.resources, AWS_TYPES.role, `${P}-db-snapshots`);
            assert.deepEqual([policy.inputs.state, policy.inputs.executionRoleArn], ["ENABLED", role.state.arn]);
            assert.deepEqual(policy.inputs.policyDetails, {
                resourceTypes: ["VOLUME"],
                targetTags: { "foobar:snapshots": P },
                schedules: [
                    {
                        name: "daily",
                        createRule: { interval: 24, intervalUnit: "HOURS", times: "03:00" },
                        retainRule: { interval: days, intervalUnit: "DAYS" },
                        copyTags: true,
                    },
                ],
            });
            assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "dlm.amazonaws.com" });
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.rolePolicyAttachment).map((a) => [a.inputs.role, a.inputs.policyArn]),
                [[`${P}-db-snapshots`, "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"]],
            );
        }
    });

    it("prod (RDS): no volume, no snapshot policy; the writer and its replica are protected", async () => {
        const run = await runStack("prod");
        for (const type of [AWS_TYPES.volume, AWS_TYPES.volumeAttachment, AWS_TYPES.lifecyclePolicy])
            assert.deepEqual(byType(run.resources, type), [], type);
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.db).map((d) => [d.name, d.options.protect]),
            [
                ["foobar-prod-db", true],
                ["foobar-prod-db-replica-1", true],
            ],
        );
        // RDS keeps its automated backups.
        assert.equal(findResource(run.resources, AWS_TYPES.db, "foobar-prod-db").inputs.backupRetentionPeriod, 14);
        const unprotected = await runStack("prod", { "foobar:production": false });
        assert.ok(byType(unprotected.resources, AWS_TYPES.db).every((d) => !d.options.protect));
    });
});
