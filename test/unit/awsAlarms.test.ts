// The AWS-native alarms (components/platforms/aws/alarms.ts, alarmRules.ts, alertTopic.ts) under the
// mocks: exactly which alarms each stack has, what each watches, for how long, what missing data
// means, where it notifies; the encrypted alert topic and its optional e-mail subscription; the
// outputs that name them; aws.alarmEmail's validation; and none on docker.
import assert from "node:assert/strict";
import { isEmailAddress } from "../../components/config/net";
import { ALARM_EMAIL_FIX } from "../../components/platforms/aws/alarmArgs";
import { RECOVERABLE_FAMILIES, recoverable } from "../../components/platforms/aws/alarmRules";
import { identifierOf, membersOf } from "../../components/platforms/aws/alarms";
import { alertKeyPolicy } from "../../components/platforms/aws/alertTopic";
import { RecordedResource, StackRun, byType, findResource, loadStackConfig, unwrap } from "../helpers/pulumiMocks";
import { AWS_TYPES, awsConfig, runStack, singleLb } from "./awsHelpers";
import { errorOf, one } from "./configErrors";
import { Outputs, runDev } from "./stackHelpers";

const RECOVER = "arn:aws:automate:eu-west-1:ec2:recover";
const topicArn = (stack: string) => `arn:aws:sns:eu-west-1:123456789012:foobar-${stack}-alerts`;
const KEY_ARN = "arn:aws:kms:eu-west-1:123456789012:key/1a2b3c4d-5e6f-7081-92a3-b4c5d6e7f809";
const OPS: Record<string, string> = { GreaterThanThreshold: ">", GreaterThanOrEqualToThreshold: ">=", LessThanThreshold: "<" };

interface Metric {
    namespace: string;
    metricName: string;
    dimensions: Record<string, string>;
    stat: string;
    period: number;
}
const metric = (m: Metric) =>
    `${m.namespace} ${m.metricName} ${Object.entries(m.dimensions)
        .sort()
        .map(([k, v]) => `${k}=${v}`)
        .join(",")} ${m.stat}/${m.period}s`;

/** An alarm in one line: name, what it reads, its condition, periods, missing data, and its actions. */
function summary(r: RecordedResource, stack: string): string {
    const i = r.inputs;
    const what = i.metricQueries
        ? `${i.metricQueries[0].expression} of ${i.metricQueries
              .slice(1)
              .map((q: { id: string; metric: Metric }) => `${q.id}=${metric(q.metric)}`)
              .join("; ")}`
        : metric({ namespace: i.namespace, metricName: i.metricName, dimensions: i.dimensions, stat: i.statistic, period: i.period });
    const actions = (i.alarmActions as string[]).map((a) => (a === topicArn(stack) ? "topic" : a === RECOVER ? "recover" : a));
    return `${i.name}: ${what} ${OPS[i.comparisonOperator]} ${i.threshold} ×${i.evaluationPeriods} missing=${i.treatMissingData} → ${actions.join("+")}`;
}

const alarmsOf = (run: StackRun<Outputs>, stack: string) =>
    byType(run.resources, AWS_TYPES.metricAlarm)
        .map((r) => summary(r, stack))
        .sort();

const status = (p: string, server: string, recover = true) => [
    `${p}-alarm-${server}-status-instance: AWS/EC2 StatusCheckFailed_Instance InstanceId=${p}-${server}-id Maximum/60s > 0 ×5 missing=breaching → topic`,
    `${p}-alarm-${server}-status-system: AWS/EC2 StatusCheckFailed_System InstanceId=${p}-${server}-id Maximum/60s > 0 ×2 missing=missing → ${recover ? "recover+topic" : "topic"}`,
];
const nlb = (p: string) =>
    ["http", "https"].map(
        (l) =>
            `${p}-alarm-nlb-${l}-unhealthy: AWS/NetworkELB UnHealthyHostCount LoadBalancer=net/${p}-nlb/0123456789abcdef,TargetGroup=targetgroup/${p}-nlb-${l}/0123456789abcdef Maximum/60s > 0 ×5 missing=missing → topic`,
    );
/** CPU, free storage (under 10% of 20 GB: 2 GiB) and connections of one DB instance. */
const db = (p: string, subject: string, id: string) => [
    `${p}-alarm-${subject}-connections: AWS/RDS DatabaseConnections DBInstanceIdentifier=${id} Maximum/60s > 50 ×5 missing=missing → topic`,
    `${p}-alarm-${subject}-cpu: AWS/RDS CPUUtilization DBInstanceIdentifier=${id} Average/300s > 80 ×3 missing=missing → topic`,
    `${p}-alarm-${subject}-free-storage: AWS/RDS FreeStorageSpace DBInstanceIdentifier=${id} Minimum/300s < 2147483648 ×2 missing=breaching → topic`,
];

const P = "foobar-prod";
const S = "foobar-staging";
const PROD_ALARMS = [
    ...db(P, "db", `${P}-db`),
    ...db(P, "db-replica-1", `${P}-db-replica-1`),
    `${P}-alarm-db-replica-1-lag: IF(m1 < 0 OR m1 > 30, 1, 0) of m1=AWS/RDS ReplicaLag DBInstanceIdentifier=${P}-db-replica-1 Maximum/60s >= 1 ×5 missing=breaching → topic`,
    ...nlb(P),
    ...["server-1", "server-2", "server-3", "server-4"].flatMap((s) => status(P, s)),
].sort();
const STAGING_ALARMS = [...nlb(S), ...["server-1", "server-2", "server-3", "server-4"].flatMap((s) => status(S, s))].sort();

describe("AWS-native alarms: the prod stack (RDS with a read replica, an NLB)", () => {
    let run: StackRun<Outputs>;
    before(async () => {
        run = await runStack("prod");
    });

    it("has exactly these alarms: status checks per instance, RDS writer and replica, NLB target groups", () => {
        assert.deepEqual(alarmsOf(run, "prod"), PROD_ALARMS);
        assert.equal(PROD_ALARMS.length, 17);
    });

    it("notifies the topic of every alarm and every return to OK; each alarm is the component's, named after it", () => {
        const component = findResource(run.resources, "foobar:index:FoobarInfra", P).urn;
        for (const r of byType(run.resources, AWS_TYPES.metricAlarm)) {
            assert.deepEqual(
                [r.name, r.inputs.okActions, r.inputs.alarmActions.at(-1)],
                [r.inputs.name, [topicArn("prod")], topicArn("prod")],
            );
            assert.equal(r.options.parent, component, r.name);
            assert.match(r.inputs.alarmDescription, /^\S.{40,}$/, r.name);
        }
    });

    it("registers a status alarm exactly as CloudWatch takes it, runbook included", () => {
        assert.deepEqual(findResource(run.resources, AWS_TYPES.metricAlarm, `${P}-alarm-server-1-status-system`).inputs, {
            name: `${P}-alarm-server-1-status-system`,
            alarmDescription:
                "server-1: EC2's system status check fails (AWS's host or network). The alarm recovers the instance onto other hardware; if that fails, stop and start it.",
            namespace: "AWS/EC2",
            metricName: "StatusCheckFailed_System",
            dimensions: { InstanceId: `${P}-server-1-id` },
            statistic: "Maximum",
            period: 60,
            comparisonOperator: "GreaterThanThreshold",
            threshold: 0,
            evaluationPeriods: 2,
            treatMissingData: "missing",
            alarmActions: [RECOVER, topicArn("prod")],
            okActions: [topicArn("prod")],
            tags: { "foobar:stack": P, "managed-by": "pulumi" },
        });
    });

    it("sends to one topic encrypted with a key of its own, which CloudWatch may use; no e-mail unless configured", () => {
        const key = findResource(run.resources, AWS_TYPES.kmsKey, `${P}-alerts`);
        assert.deepEqual(
            [key.inputs.enableKeyRotation, key.inputs.deletionWindowInDays, key.inputs.description],
            [true, 7, `foobar-infra ${P}: the alert topic's messages at rest`],
        );
        const policy = findResource(run.resources, AWS_TYPES.kmsKeyPolicy, `${P}-alerts`);
        assert.deepEqual([policy.inputs.keyId, policy.inputs.policy], [`${P}-alerts-id`, alertKeyPolicy(KEY_ARN)]);
        const topic = findResource(run.resources, AWS_TYPES.topic, `${P}-alerts`);
        assert.deepEqual(topic.inputs, { kmsMasterKeyId: KEY_ARN, tags: { "foobar:stack": P, "managed-by": "pulumi" } });
        assert.ok(topic.options.dependencies.includes(policy.urn), "the topic waits for the key policy");
        assert.deepEqual(byType(run.resources, AWS_TYPES.topicSubscription), []);
    });

    it("exports the alarms' names in the order made and the topic's ARN", async () => {
        const o = await unwrap(run.outputs);
        assert.deepEqual(o.monitoringAlarms, [
            ...["server-1", "server-2", "server-3", "server-4"].flatMap((s) => [
                `${P}-alarm-${s}-status-system`,
                `${P}-alarm-${s}-status-instance`,
            ]),
            ...["db", "db-replica-1"].flatMap((d) => [
                ...(d === "db" ? [] : [`${P}-alarm-${d}-lag`]),
                `${P}-alarm-${d}-cpu`,
                `${P}-alarm-${d}-free-storage`,
                `${P}-alarm-${d}-connections`,
            ]),
            `${P}-alarm-nlb-http-unhealthy`,
            `${P}-alarm-nlb-https-unhealthy`,
        ]);
        assert.deepEqual(
            [...o.monitoringAlarms].sort(),
            PROD_ALARMS.map((a) => a.split(":")[0]),
        );
        assert.equal(o.monitoringAlertTopic, topicArn("prod"));
    });
});

describe("AWS-native alarms: the staging stack (a self-managed Galera cluster, an NLB)", () => {
    it("has the status checks of its four instances and the NLB's, and nothing of RDS", async () => {
        const run = await runStack("staging");
        assert.deepEqual(alarmsOf(run, "staging"), STAGING_ALARMS);
        const o = await unwrap(run.outputs);
        assert.deepEqual(
            [...o.monitoringAlarms].sort(),
            STAGING_ALARMS.map((a) => a.split(":")[0]),
        );
        assert.equal(o.monitoringAlertTopic, topicArn("staging"));
    });

    it("subscribes aws.alarmEmail to the topic, and only it", async () => {
        const run = await runStack("staging", awsConfig("staging", { alarmEmail: "ops@example.com" }));
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.topicSubscription).map((s) => [s.name, s.inputs]),
            [[`${S}-alerts-email`, { topic: topicArn("staging"), protocol: "email", endpoint: "ops@example.com" }]],
        );
        assert.deepEqual(alarmsOf(run, "staging"), STAGING_ALARMS);
    });

    it("with lb.count 1: no NLB, so no NLB alarms, and three instances' status checks", async () => {
        const run = await runStack("staging", singleLb("staging"));
        assert.deepEqual(alarmsOf(run, "staging"), ["server-1", "server-2", "server-3"].flatMap((s) => status(S, s)).sort());
    });

    it("recovers only the instance types the recover action supports; the others alarm all the same", async () => {
        const run = await runStack("staging", awsConfig("staging", { instanceTypes: { lb: "t3.small", web: "m5d.large" } }));
        assert.deepEqual(
            alarmsOf(run, "staging"),
            [
                ...nlb(S),
                ...status(S, "server-1", false),
                ...status(S, "server-2", false),
                ...status(S, "server-3"),
                ...status(S, "server-4"),
            ].sort(),
        );
        assert.equal(
            findResource(run.resources, AWS_TYPES.metricAlarm, `${S}-alarm-server-1-status-system`).inputs.alarmDescription,
            "server-1: EC2's system status check fails (AWS's host or network). Its type m5d.large cannot be recovered by an alarm: stop and start it (it moves to other hardware).",
        );
    });
});

describe("AWS-native alarms: a Multi-AZ DB cluster (aws.rds.deployment multi-az-cluster)", () => {
    it("watches the cluster's three DB instances together: the largest lag, CPU and connections, the least free storage", async () => {
        const prodRds = (loadStackConfig("prod")["foobar:aws"] as { rds: Record<string, unknown> }).rds;
        const rds = Object.fromEntries(Object.entries(prodRds).filter(([key]) => key !== "multiAz"));
        const run = await runStack("prod", {
            ...awsConfig("prod", { rds: { ...rds, deployment: "multi-az-cluster", instanceClass: "db.m6gd.large" } }),
            "foobar:database": { mode: "managed", failover: "automatic", replicas: 2 },
        });
        const members = (m: string, stat: string, period: number) =>
            [1, 2, 3].map((i) => `m${i}=AWS/RDS ${m} DBInstanceIdentifier=${P}-db-instance-${i} ${stat}/${period}s`).join("; ");
        assert.deepEqual(
            alarmsOf(run, "prod"),
            [
                `${P}-alarm-db-connections: MAX([m1, m2, m3]) of ${members("DatabaseConnections", "Maximum", 60)} > 50 ×5 missing=missing → topic`,
                `${P}-alarm-db-cpu: MAX([m1, m2, m3]) of ${members("CPUUtilization", "Average", 300)} > 80 ×3 missing=missing → topic`,
                // 10% of each instance's 400 GB: 40 GiB.
                `${P}-alarm-db-free-storage: MIN([m1, m2, m3]) of ${members("FreeStorageSpace", "Minimum", 300)} < 42949672960 ×2 missing=breaching → topic`,
                `${P}-alarm-db-replica-lag: MAX([m1, m2, m3]) of ${members("ReplicaLag", "Maximum", 60)} > 30 ×5 missing=breaching → topic`,
                ...nlb(P),
                ...["server-1", "server-2", "server-3", "server-4"].flatMap((s) => status(P, s)),
            ].sort(),
        );
    });
});

describe("AWS-native alarms: none on docker", () => {
    it("the dev stack has no alarm, topic or key, and says so in its outputs", async () => {
        const run = await runDev();
        for (const type of [AWS_TYPES.metricAlarm, AWS_TYPES.topic, AWS_TYPES.topicSubscription, AWS_TYPES.kmsKey]) {
            assert.deepEqual(byType(run.resources, type), [], type);
        }
        const o = await unwrap(run.outputs);
        assert.deepEqual([o.monitoringAlarms, o.monitoringAlertTopic], [[], ""]);
    });
});

describe("aws.alarmEmail", () => {
    it("takes one e-mail address", () => {
        for (const ok of ["ops@example.com", "ops+foobar@mail.example.co.uk", "o.p-s_1@ex-ample.org"]) assert.ok(isEmailAddress(ok), ok);
        for (const bad of [
            "ops",
            "ops@",
            "@example.com",
            "ops@example",
            "ops @example.com",
            "a@b.com, c@d.com",
            "<ops@example.com>",
            "ops@-x.com",
        ]) {
            assert.ok(!isEmailAddress(bad), bad);
        }
        assert.ok(!isEmailAddress(`${"a".repeat(65)}@example.com`), "a local part over 64 characters");
    });

    it("refuses anything else, naming the key, the value and the fix", () => {
        assert.equal(ALARM_EMAIL_FIX, 'must be one e-mail address like "ops@example.com", or left unset for no e-mail subscription.');
        assert.equal(
            errorOf({ platform: "aws", aws: { alarmEmail: "ops@example" } }).message,
            one(
                '  - foobar:aws.alarmEmail: got "ops@example"; must be one e-mail address like "ops@example.com", or left unset for no e-mail subscription.',
            ),
        );
        assert.equal(
            errorOf({ platform: "aws", aws: { alarmEmail: ["ops@example.com"] } }).message,
            one(
                '  - foobar:aws.alarmEmail: got ["ops@example.com"]; must be one e-mail address like "ops@example.com", or left unset for no e-mail subscription.',
            ),
        );
    });

    it("is an aws key: refused with the whole aws block on docker", () => {
        assert.equal(
            errorOf({ platform: "docker", aws: { alarmEmail: "ops@example.com" } }).message,
            one(
                '  - foobar:aws: got {"alarmEmail":"ops@example.com"}; is only read on platform "aws"; remove it, or set platform to "aws".',
            ),
        );
    });
});

describe("alarm helpers", () => {
    it("recovers t3, t3a, t4g, m5, c5, r5 (EBS only), not a family with instance store or an unlisted one", () => {
        assert.deepEqual(
            ["t3.small", "t3a.micro", "t4g.small", "m5.large", "c5.xlarge", "r5.large", "m5d.large", "c6gd.medium", "c7g.large"].map(
                recoverable,
            ),
            [true, true, true, true, true, true, false, false, false],
        );
        assert.ok(RECOVERABLE_FAMILIES.every((f) => /^[a-z]+\d[a-z]*$/.test(f)));
    });

    it("reads a DB instance identifier off its endpoint, and a cluster's members in a stable order", () => {
        assert.equal(
            identifierOf("foobar-prod-db-replica-1-abc123.c9akciq32.eu-west-1.rds.amazonaws.com"),
            "foobar-prod-db-replica-1-abc123",
        );
        assert.throws(() => identifierOf(undefined), /not an RDS endpoint: undefined/);
        assert.deepEqual(membersOf(["db-instance-3", "db-instance-1", "db-instance-2"]), [
            "db-instance-1",
            "db-instance-2",
            "db-instance-3",
        ]);
        assert.throws(() => membersOf(["a", "b"]), /a Multi-AZ DB cluster has 3 DB instances, not: a, b/);
    });

    it("lets the account administer the topic's key and CloudWatch encrypt with it, nothing else", () => {
        assert.deepEqual(JSON.parse(alertKeyPolicy("arn:aws-cn:kms:cn-north-1:210987654321:key/k")), {
            Version: "2012-10-17",
            Statement: [
                {
                    Sid: "AccountAdministersTheKey",
                    Effect: "Allow",
                    Principal: { AWS: "arn:aws-cn:iam::210987654321:root" },
                    Action: "kms:*",
                    Resource: "*",
                },
                {
                    Sid: "CloudWatchAlarmsPublishToTheTopic",
                    Effect: "Allow",
                    Principal: { Service: "cloudwatch.amazonaws.com" },
                    Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                    Resource: "*",
                },
            ],
        });
    });
});
