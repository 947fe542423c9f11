// The AWS-native alarms (alarmRules.ts says what each watches and why): every instance's status
// checks, RDS in managed mode, the NLB's target groups with lb.count 2; each notifies the alert
// topic (alertTopic.ts) into ALARM and back to OK. Thin: specs in, one MetricAlarm per spec out.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Topology, replicasOf } from "../../topology";
import { mustGet } from "../platform";
import { AlarmSpec, clusterLagAlarm, databaseAlarms, nlbAlarm, replicaLagAlarm, statusAlarms } from "./alarmRules";
import { createAlertTopic } from "./alertTopic";
import { NlbTargets } from "./loadBalancer";
import { AwsPlan } from "./plan";
import { ManagedDatabase } from "./rdsShared";

/** A Multi-AZ DB cluster is always a writer and two readers, whichever is which. */
export const CLUSTER_INSTANCES = 3;

export interface AlarmInput {
    readonly plan: AwsPlan;
    readonly topology: Topology;
    readonly region: string;
    /** Each server's instance. */
    readonly instances: ReadonlyMap<string, aws.ec2.Instance>;
    /** The managed database (database.mode managed). */
    readonly database?: ManagedDatabase;
    /** The NLB and its target groups (lb.count 2). */
    readonly nlb?: NlbTargets;
    readonly tags: Record<string, string>;
}

export interface Alarms {
    /** Every alarm's name, in the order made: the monitoringAlarms output. */
    readonly names: string[];
    readonly topicArn: pulumi.Output<string>;
}

export function createAlarms(name: string, input: AlarmInput, parent: pulumi.Resource): Alarms {
    const { plan, topology, nlb } = input;
    const topic = createAlertTopic(name, plan.aws.alarmEmail, input.tags, parent);
    const specs = [
        ...topology.servers.flatMap((s) =>
            statusAlarms(s.name, mustGet(input.instances, s.name, "instance").id, plan.instance(s.name).instanceType),
        ),
        ...(input.database ? rdsAlarms(plan, topology, input.database) : []),
        ...(nlb ? nlb.targetGroups.map((g) => nlbAlarm(g.label, g.arn, nlb.loadBalancerArn)) : []),
    ];
    const recover = `arn:aws:automate:${input.region}:ec2:recover`;
    const names = specs.map((spec) => {
        const alarmName = `${name}-alarm-${spec.key}`;
        new aws.cloudwatch.MetricAlarm(
            alarmName,
            {
                name: alarmName,
                alarmDescription: spec.description,
                ...metricOf(spec),
                comparisonOperator: spec.comparison,
                threshold: spec.threshold,
                evaluationPeriods: spec.window.evaluationPeriods,
                treatMissingData: spec.missingData,
                alarmActions: [...(spec.recover ? [recover] : []), topic.arn],
                okActions: [topic.arn],
                tags: input.tags,
            },
            { parent },
        );
        return alarmName;
    });
    return { names, topicArn: topic.arn };
}

/** One metric as the alarm's own fields, or a metric-math expression over m1, m2, … */
function metricOf(spec: AlarmSpec): aws.cloudwatch.MetricAlarmArgs {
    const period = spec.window.periodSeconds;
    if (spec.expression === undefined) {
        const [m] = spec.metrics;
        return { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, statistic: m.stat, period };
    }
    return {
        metricQueries: [
            { id: "e1", expression: spec.expression, label: spec.key, returnData: true },
            ...spec.metrics.map((m, i) => ({
                id: `m${i + 1}`,
                metric: { namespace: m.namespace, metricName: m.metricName, dimensions: m.dimensions, stat: m.stat, period },
                returnData: false,
            })),
        ],
    };
}

/**
 * RDS's alarms. A DB instance and each read replica: by identifier (a replica's from its endpoint,
 * `<identifier>.<id>.<region>.rds.amazonaws.com`). A Multi-AZ DB cluster: its three DB instances,
 * whose identifiers RDS chooses, in the cluster's member list.
 */
function rdsAlarms(plan: AwsPlan, topology: Topology, database: ManagedDatabase): AlarmSpec[] {
    const { deployment, allocatedStorageGb: gb } = plan.aws.rds;
    const writer = database.writer;
    switch (deployment) {
        case "instance": {
            if (!(writer instanceof aws.rds.Instance)) throw new Error("aws.rds.deployment instance made no DB instance");
            const replica = (i: number) => database.readerHosts.apply((hosts) => identifierOf(hosts[i]));
            return [
                ...databaseAlarms("db", "The database's writer", [writer.identifier], gb),
                ...replicasOf(topology).flatMap((_, i) => [
                    replicaLagAlarm(`db-replica-${i + 1}`, `Read replica ${i + 1}`, replica(i)),
                    ...databaseAlarms(`db-replica-${i + 1}`, `Read replica ${i + 1}`, [replica(i)], gb),
                ]),
            ];
        }
        case "multi-az-cluster": {
            if (!(writer instanceof aws.rds.Cluster)) throw new Error("aws.rds.deployment multi-az-cluster made no cluster");
            const member = (i: number) => writer.clusterMembers.apply((members) => membersOf(members)[i]);
            const ids = Array.from({ length: CLUSTER_INSTANCES }, (_, i) => member(i));
            return [clusterLagAlarm("db", ids), ...databaseAlarms("db", "The Multi-AZ DB cluster", ids, gb)];
        }
        default: {
            const unknown: never = deployment;
            throw new Error(`unknown aws.rds.deployment ${String(unknown)}`);
        }
    }
}

/** The DB instance identifier an RDS endpoint names first. */
export function identifierOf(host: string | undefined): string {
    const id = host?.split(".")[0];
    if (!id) throw new Error(`not an RDS endpoint: ${String(host)}`);
    return id;
}

/** A cluster's members in a stable order (the writer moves among them). */
export function membersOf(members: readonly string[] | undefined): string[] {
    const sorted = [...(members ?? [])].sort();
    if (sorted.length !== CLUSTER_INSTANCES)
        throw new Error(`a Multi-AZ DB cluster has ${CLUSTER_INSTANCES} DB instances, not: ${sorted.join(", ")}`);
    return sorted;
}
