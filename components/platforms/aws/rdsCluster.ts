// The managed database as an RDS Multi-AZ DB cluster (aws.rds.deployment "multi-az-cluster"): a
// writer and two readable standbys in three availability zones, replicated semi-synchronously; RDS
// promotes a standby when the writer fails (typically under 35 s). The app writes through the
// cluster (writer) endpoint and reads through the reader endpoint, which both follow a failover.
// https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/multi-az-db-clusters-concepts.html
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CLUSTER_STORAGE } from "./rdsArgs";
import {
    DatabaseBase,
    ENHANCED_MONITORING_SECONDS,
    ManagedDatabase,
    RDS_ENGINE_VERSION,
    RDS_PARAMETERS,
    enhancedMonitoringRole,
    finalSnapshotOf,
} from "./rdsShared";

/**
 * What a cluster exports to CloudWatch Logs. No audit log: that needs an option group with the
 * MariaDB audit plugin, and Multi-AZ DB clusters take no option group.
 */
export const CLUSTER_LOG_EXPORTS = ["error", "slowquery"];

export function createCluster(base: DatabaseBase): ManagedDatabase {
    const { name, rds, tags, parent } = base;
    // A Multi-AZ DB cluster takes its engine settings from a DB cluster parameter group, applied to all three instances.
    const parameters = new aws.rds.ClusterParameterGroup(
        `${name}-db`,
        { family: `mysql${RDS_ENGINE_VERSION}`, description: `foobar-infra ${name}`, parameters: RDS_PARAMETERS, tags },
        { parent },
    );
    const monitoring = enhancedMonitoringRole(name, tags, parent);
    // No publiclyAccessible here: the provider does not offer it for a cluster (terraform-provider-aws
    // #39618), and RDS makes a cluster in a VPC with an internet gateway public by default. Its
    // subnets are private ones with no route to that gateway, and its security group admits the lb
    // and web groups only, so nothing outside the VPC reaches it either way.
    const cluster = new aws.rds.Cluster(
        `${name}-db`,
        {
            engine: "mysql",
            engineVersion: RDS_ENGINE_VERSION,
            dbClusterInstanceClass: rds.instanceClass,
            storageType: CLUSTER_STORAGE.type,
            allocatedStorage: rds.allocatedStorageGb,
            iops: CLUSTER_STORAGE.iops,
            storageEncrypted: true,
            dbSubnetGroupName: base.subnetGroupName,
            vpcSecurityGroupIds: [base.securityGroupId],
            dbClusterParameterGroupName: parameters.name,
            masterUsername: base.adminUser,
            masterPassword: base.adminPassword,
            backupRetentionPeriod: rds.backupRetentionDays,
            autoMinorVersionUpgrade: true,
            deletionProtection: rds.deletionProtection,
            copyTagsToSnapshot: true,
            enabledCloudwatchLogsExports: CLUSTER_LOG_EXPORTS,
            monitoringInterval: ENHANCED_MONITORING_SECONDS,
            monitoringRoleArn: monitoring.arn,
            ...finalSnapshotOf(base),
            tags,
        },
        { parent, protect: base.protect },
    );
    // The two standbys are the read replicas (at most two, rdsArgs.ts): each reads through the reader endpoint.
    const readers = Array.from({ length: base.replicas }, () => cluster.readerEndpoint);
    return {
        writer: cluster,
        hosts: pulumi.all([cluster.endpoint, ...readers]),
        writerHost: cluster.endpoint,
        readerHosts: base.replicas > 0 ? pulumi.all([cluster.readerEndpoint]) : pulumi.output([]),
    };
}
