// What each AWS-native alarm watches, as plain specs: the metric (or a metric-math expression over
// several), the threshold, how long, and what missing data means. CloudWatch evaluates them
// outside the stack's instances, so they still speak when an instance (Prometheus's too) is gone.
// alarms.ts turns them into resources. AWS publishes every metric below at no charge: EC2's status
// checks every minute whatever the instance's monitoring, RDS's and the NLB's every minute.
import * as pulumi from "@pulumi/pulumi";

/** How long, and over what: a period in seconds, evaluated this many times in a row. */
interface Window {
    readonly periodSeconds: number;
    readonly evaluationPeriods: number;
}

/** A system status check failure (AWS's hardware or network): 2 × 1 min, AWS's advice for an alarm that recovers. */
export const STATUS_SYSTEM: Window = { periodSeconds: 60, evaluationPeriods: 2 };
/**
 * An instance status check failure (the OS: kernel, network config, full memory), or no check at
 * all: 5 × 1 min, long enough that a replaced instance reports before it counts as gone.
 */
export const STATUS_INSTANCE: Window = { periodSeconds: 60, evaluationPeriods: 5 };
/** A replica over 30 s behind for 5 minutes: Prometheus's own limit for our replicas (FoobarReplicationLagging). */
export const REPLICA_LAG = { thresholdSeconds: 30, periodSeconds: 60, evaluationPeriods: 5 } as const;
/** Free storage under 10% of what is allocated for 10 minutes: time to grow it before writes fail. */
export const FREE_STORAGE = { fraction: 0.1, periodSeconds: 300, evaluationPeriods: 2 } as const;
/** CPU over 80% on average for 15 minutes: a sustained load, not a burst (a burstable class also spends its credits). */
export const CPU = { percent: 80, periodSeconds: 300, evaluationPeriods: 3 } as const;
/**
 * More than 50 connections for 5 minutes. RDS MySQL's max_connections depends on the class
 * ({DBInstanceClassMemory/12582880}: about 60 to 85 on the default db.t4g.micro, 1 GiB), so the
 * threshold is fixed at about 80% of the smallest class's, and three times what the apps open at
 * most with the defaults (2 web servers × 4 writer + 4 reader connections, app/src/poolConfig.ts).
 */
export const CONNECTIONS = { count: 50, periodSeconds: 60, evaluationPeriods: 5 } as const;
/** A target of the NLB failing its health checks for 5 minutes: longer than a replacement (readiness gates). */
export const NLB_UNHEALTHY: Window = { periodSeconds: 60, evaluationPeriods: 5 };

/**
 * Instance families whose instances CloudWatch's EC2 recover action supports (EC2 User Guide,
 * "Recover your instance": EBS-only instances of these families; a "d" variant with instance store
 * is another family, and is not here). AWS adds families over time: `aws ec2 describe-instance-types
 * --filters Name=auto-recovery-supported,Values=true` tells. Another family still alarms, without recovery.
 */
export const RECOVERABLE_FAMILIES: readonly string[] = [
    ...["a1", "c3", "c4", "c5", "c5a", "c5n", "c6g", "c6gn", "c6i", "inf1", "m3", "m4", "m5", "m5a", "m5n", "m5zn", "m6g", "m6i"],
    ...["p3", "r3", "r4", "r5", "r5a", "r5b", "r5n", "r6g", "r6i", "t2", "t3", "t3a", "t4g", "x1", "x1e"],
];

export const recoverable = (instanceType: string): boolean => RECOVERABLE_FAMILIES.includes(instanceType.split(".")[0]);

export interface MetricSpec {
    readonly namespace: "AWS/EC2" | "AWS/RDS" | "AWS/NetworkELB";
    readonly metricName: string;
    readonly dimensions: Readonly<Record<string, pulumi.Input<string>>>;
    readonly stat: "Maximum" | "Minimum" | "Average";
}

/**
 * `breaching`: the metric is published every minute while its subject exists, so silence means it
 * is gone (stopped, terminated, deleted): alarm. `missing`: silence says nothing about what the
 * alarm judges (load; a recovery that must act only on a reported failure): no verdict from it.
 */
export type MissingData = "breaching" | "missing";

export interface AlarmSpec {
    /** The alarm's name after `${name}-alarm-`, e.g. "server-1-status-instance". */
    readonly key: string;
    /** What ALARM means and what to do first: the notification carries it. */
    readonly description: string;
    /** One metric; with `expression`, the metrics it reads as m1, m2, … */
    readonly metrics: readonly MetricSpec[];
    readonly expression?: string;
    readonly comparison: "GreaterThanThreshold" | "GreaterThanOrEqualToThreshold" | "LessThanThreshold";
    readonly threshold: number;
    readonly window: Window;
    readonly missingData: MissingData;
    /** EC2's recover action (arn:aws:automate:<region>:ec2:recover) besides the topic. */
    readonly recover?: boolean;
}

const ec2 = (metricName: string, instanceId: pulumi.Input<string>): MetricSpec => ({
    namespace: "AWS/EC2",
    metricName,
    dimensions: { InstanceId: instanceId },
    stat: "Maximum",
});

/**
 * Both status checks of a server's instance. The system check's alarm recovers the instance onto
 * other hardware (same id, addresses, volumes) where its type allows, and acts only on a reported
 * failure: never on a stopped, terminated or just-replaced instance. The instance check's alarm is
 * the one that says an instance is gone: EC2 reports nothing for an instance that is not running.
 */
export function statusAlarms(server: string, instanceId: pulumi.Input<string>, instanceType: string): AlarmSpec[] {
    const canRecover = recoverable(instanceType);
    const firstStep = canRecover
        ? "The alarm recovers the instance onto other hardware; if that fails, stop and start it."
        : `Its type ${instanceType} cannot be recovered by an alarm: stop and start it (it moves to other hardware).`;
    return [
        {
            key: `${server}-status-system`,
            description: `${server}: EC2's system status check fails (AWS's host or network). ${firstStep}`,
            metrics: [ec2("StatusCheckFailed_System", instanceId)],
            comparison: "GreaterThanThreshold",
            threshold: 0,
            window: STATUS_SYSTEM,
            missingData: "missing",
            recover: canRecover,
        },
        {
            key: `${server}-status-instance`,
            description: `${server}: EC2's instance status check fails, or the instance reports none (stopped, terminated, or never booted). Look at its console output (aws ec2 get-console-output); reboot it, or replace it with pulumi up --replace.`,
            metrics: [ec2("StatusCheckFailed_Instance", instanceId)],
            comparison: "GreaterThanThreshold",
            threshold: 0,
            window: STATUS_INSTANCE,
            missingData: "breaching",
        },
    ];
}

const GIB = 1024 ** 3;
const rds = (metricName: string, stat: MetricSpec["stat"]) => (id: pulumi.Input<string>) => ({
    namespace: "AWS/RDS" as const,
    metricName,
    dimensions: { DBInstanceIdentifier: id },
    stat,
});

/**
 * CPU, free storage and connections of one database subject: a DB instance (one identifier), or
 * a Multi-AZ DB cluster's three instances at once (the busiest, the fullest: whichever is the writer).
 */
export function databaseAlarms(subject: string, what: string, ids: readonly pulumi.Input<string>[], allocatedGb: number): AlarmSpec[] {
    const over = (fn: "MAX" | "MIN") => (ids.length > 1 ? { expression: `${fn}([${ids.map((_, i) => `m${i + 1}`).join(", ")}])` } : {});
    return [
        {
            key: `${subject}-cpu`,
            description: `${what}: CPU over ${CPU.percent}% for ${minutes(CPU)} minutes. Look at Performance Insights or the slow-query log (CloudWatch Logs) for the statement; then a larger aws.rds.instanceClass.`,
            metrics: ids.map(rds("CPUUtilization", "Average")),
            ...over("MAX"),
            comparison: "GreaterThanThreshold",
            threshold: CPU.percent,
            window: CPU,
            missingData: "missing",
        },
        {
            key: `${subject}-free-storage`,
            description: `${what}: free storage under ${FREE_STORAGE.fraction * 100}% of its ${allocatedGb} GB for ${minutes(FREE_STORAGE)} minutes, or no data (the DB instance is stopped or gone). Raise aws.rds.allocatedStorageGb and pulumi up (RDS grows it online).`,
            metrics: ids.map(rds("FreeStorageSpace", "Minimum")),
            ...over("MIN"),
            comparison: "LessThanThreshold",
            threshold: Math.round(allocatedGb * GIB * FREE_STORAGE.fraction),
            window: FREE_STORAGE,
            missingData: "breaching",
        },
        {
            key: `${subject}-connections`,
            description: `${what}: over ${CONNECTIONS.count} connections for ${minutes(CONNECTIONS)} minutes (max_connections is about 60 to 85 on the smallest class). Look at SHOW PROCESSLIST for who holds them; the apps open at most 8 each.`,
            metrics: ids.map(rds("DatabaseConnections", "Maximum")),
            ...over("MAX"),
            comparison: "GreaterThanThreshold",
            threshold: CONNECTIONS.count,
            window: CONNECTIONS,
            missingData: "missing",
        },
    ];
}

const LAG_RUNBOOK =
    "Look at the writer's write load (CloudWatch WriteIOPS) and the replica's CPU; reads fall back to the writer when the replica is late.";

/**
 * An RDS read replica's lag. RDS reports -1 when replication is not running (a replication error):
 * that alarms too, as does silence (the replica is gone).
 */
export function replicaLagAlarm(subject: string, what: string, id: pulumi.Input<string>): AlarmSpec {
    return {
        key: `${subject}-lag`,
        description: `${what}: replication stopped (ReplicaLag -1), or over ${REPLICA_LAG.thresholdSeconds} s behind the writer for ${minutes(REPLICA_LAG)} minutes, or no data (the replica is gone). ${LAG_RUNBOOK} Stopped: the RDS console's Replication section names the error.`,
        metrics: [rds("ReplicaLag", "Maximum")(id)],
        expression: `IF(m1 < 0 OR m1 > ${REPLICA_LAG.thresholdSeconds}, 1, 0)`,
        comparison: "GreaterThanOrEqualToThreshold",
        threshold: 1,
        window: REPLICA_LAG,
        missingData: "breaching",
    };
}

/**
 * A Multi-AZ DB cluster's lag: its instances report ReplicaLag each (DBInstanceIdentifier; there is
 * no cluster dimension), and the alarm takes the largest, as AWS's own tutorial does (RDS User
 * Guide, "Creating an Amazon CloudWatch alarm for Multi-AZ DB cluster replica lag"). A failover
 * waits until both readers have applied what they hold, so this is also how long one would take.
 */
export function clusterLagAlarm(subject: string, ids: readonly pulumi.Input<string>[]): AlarmSpec {
    return {
        key: `${subject}-replica-lag`,
        description: `The Multi-AZ DB cluster: a reader over ${REPLICA_LAG.thresholdSeconds} s behind the writer for ${minutes(REPLICA_LAG)} minutes, or no data (the cluster is gone); a failover would wait that long. ${LAG_RUNBOOK}`,
        metrics: ids.map(rds("ReplicaLag", "Maximum")),
        expression: `MAX([${ids.map((_, i) => `m${i + 1}`).join(", ")}])`,
        comparison: "GreaterThanThreshold",
        threshold: REPLICA_LAG.thresholdSeconds,
        window: REPLICA_LAG,
        missingData: "breaching",
    };
}

/**
 * The NLB's unhealthy targets in one target group. Dimensions are the final parts of the ARNs
 * (ELB User Guide, "CloudWatch metrics for your Network Load Balancer"). A terminated instance is
 * deregistered and counts as neither healthy nor unhealthy: its status check alarm reports it.
 */
export function nlbAlarm(label: string, targetGroupArn: pulumi.Input<string>, loadBalancerArn: pulumi.Input<string>): AlarmSpec {
    return {
        key: `nlb-${label}-unhealthy`,
        description: `NLB target group ${label}: a load balancer fails its health check (HAProxy's health frontend) for ${minutes(NLB_UNHEALTHY)} minutes; the other carries the site. Look at HAProxy on it (systemctl status haproxy, over SSM), and its status check alarms.`,
        metrics: [
            {
                namespace: "AWS/NetworkELB",
                metricName: "UnHealthyHostCount",
                dimensions: { TargetGroup: arnSuffix(targetGroupArn), LoadBalancer: arnSuffix(loadBalancerArn) },
                stat: "Maximum",
            },
        ],
        comparison: "GreaterThanThreshold",
        threshold: 0,
        window: NLB_UNHEALTHY,
        // An idle NLB may report nothing; silence says nothing about its targets.
        missingData: "missing",
    };
}

/**
 * What CloudWatch's ELB metrics name a load balancer or target group by, as the provider's
 * arnSuffix: "net/<name>/<id>" of a load balancer's ARN, "targetgroup/<name>/<id>" of a target group's.
 */
export const arnSuffix = (arn: pulumi.Input<string>): pulumi.Output<string> =>
    pulumi.output(arn).apply((a) =>
        a
            .split(":")
            .slice(5)
            .join(":")
            .replace(/^loadbalancer\//, ""),
    );

const minutes = (w: Window): number => (w.periodSeconds * w.evaluationPeriods) / 60;
