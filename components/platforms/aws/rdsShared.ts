// What the managed database's two shapes share (database.ts: a DB instance and its read replicas;
// rdsCluster.ts: a Multi-AZ DB cluster): engine, settings, what the platform sees of them, how they
// are kept and monitored.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { ResolvedRds } from "../../config/resolved";

/** RDS for MySQL 8.4, the LTS release; its parameter group family follows it. */
export const RDS_ENGINE_VERSION = "8.4";
/** How often RDS enhanced monitoring samples the OS of each database instance. */
export const ENHANCED_MONITORING_SECONDS = 60;

/** The engine settings of every RDS database here, in a DB parameter group or a DB cluster parameter group. */
export const RDS_PARAMETERS = [
    // Debian's node-mysql speaks mysql_native_password only; 8.4 must offer it.
    { name: "authentication_policy", value: "*:mysql_native_password", applyMethod: "pending-reboot" },
    // Every client over TLS: the app and the bootstrap verify RDS against Amazon's CA.
    { name: "require_secure_transport", value: "1" },
    // Slow queries (over 1 s) to a file RDS exports to CloudWatch Logs.
    { name: "slow_query_log", value: "1" },
    { name: "long_query_time", value: "1" },
    { name: "log_output", value: "FILE" },
];

/** The managed database as the rest of the platform sees it: what to wait for, and where to connect. */
export interface ManagedDatabase {
    /** What an instance that talks to the database waits for: the writer exists first. */
    readonly writer: pulumi.Resource;
    /** One host per database of the topology, in topology.databases order: the writer first, then each read replica. */
    readonly hosts: pulumi.Output<string[]>;
    /** The writer's endpoint, and each distinct reader endpoint (the outputs show them). */
    readonly writerHost: pulumi.Output<string>;
    readonly readerHosts: pulumi.Output<string[]>;
}

/** What an instance and a cluster share: the network, the admin user, how they are kept, logged and monitored. */
export interface DatabaseBase {
    readonly name: string;
    readonly rds: ResolvedRds;
    readonly subnetGroupName: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly adminUser: string;
    readonly adminPassword: pulumi.Output<string>;
    readonly tags: Record<string, string>;
    readonly parent: pulumi.Resource;
    /** A production stack's database refuses `pulumi destroy` and replacements until unprotected. */
    readonly protect: boolean;
    /** The topology's read replicas (database.replicas): RDS read replicas, or readers of the cluster's reader endpoint. */
    readonly replicas: number;
}

/** The role RDS enhanced monitoring writes OS metrics to CloudWatch with (AWS's own policy for it). */
export function enhancedMonitoringRole(name: string, tags: Record<string, string>, parent: pulumi.Resource): aws.iam.Role {
    const role = new aws.iam.Role(
        `${name}-db-monitoring`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "monitoring.rds.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        },
        { parent },
    );
    new aws.iam.RolePolicyAttachment(
        `${name}-db-monitoring`,
        { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole" },
        { parent },
    );
    return role;
}

/** The final snapshot's name; a name can be used once: a fresh suffix per database lifetime keeps the next destroy working. */
export function finalSnapshotOf(base: DatabaseBase): { skipFinalSnapshot: boolean; finalSnapshotIdentifier?: pulumi.Output<string> } {
    if (!base.rds.finalSnapshot) return { skipFinalSnapshot: true, finalSnapshotIdentifier: undefined };
    const suffix = new random.RandomId(`${base.name}-db-final-snapshot`, { byteLength: 4 }, { parent: base.parent }).hex;
    return { skipFinalSnapshot: false, finalSnapshotIdentifier: pulumi.interpolate`${base.name}-db-final-${suffix}` };
}
