// The managed database: RDS for MySQL 8.4, private and encrypted, as a DB instance with its read
// replicas (here) or as a Multi-AZ DB cluster (rdsCluster.ts). Thin.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Topology, replicasOf } from "../../topology";
import { mustGet } from "../platform";
import { AwsNetwork } from "./network";
import { AwsPlan } from "./plan";
import { createCluster } from "./rdsCluster";
import {
    DatabaseBase,
    ENHANCED_MONITORING_SECONDS,
    ManagedDatabase,
    RDS_ENGINE_VERSION,
    RDS_PARAMETERS,
    enhancedMonitoringRole,
    finalSnapshotOf,
} from "./rdsShared";

export function createDatabase(
    name: string,
    plan: AwsPlan,
    topology: Topology,
    network: AwsNetwork,
    adminPassword: pulumi.Output<string>,
    adminUser: string,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): ManagedDatabase {
    const rds = plan.aws.rds;
    const subnets = new aws.rds.SubnetGroup(
        `${name}-db`,
        { subnetIds: plan.databaseSubnets.map((key) => mustGet(network.subnetIds, key, "subnet")), tags },
        { parent },
    );
    const base: DatabaseBase = {
        name,
        rds,
        subnetGroupName: subnets.name,
        securityGroupId: mustGet(network.securityGroupIds, "db", "security group"),
        adminUser,
        adminPassword,
        tags,
        parent,
        protect: topology.args.production,
        replicas: replicasOf(topology).length,
    };
    switch (rds.deployment) {
        case "instance":
            return createInstances(base);
        case "multi-az-cluster":
            return createCluster(base);
        default: {
            const unknown: never = rds.deployment;
            throw new Error(`unknown aws.rds.deployment ${String(unknown)}`);
        }
    }
}

/** A DB instance (Multi-AZ with aws.rds.multiAz) and its read replicas, each with an endpoint of its own. */
function createInstances(base: DatabaseBase): ManagedDatabase {
    const { name, rds, tags, parent } = base;
    const opts = { parent };
    const parameters = new aws.rds.ParameterGroup(
        `${name}-db`,
        { family: `mysql${RDS_ENGINE_VERSION}`, description: `foobar-infra ${name}`, parameters: RDS_PARAMETERS, tags },
        opts,
    );
    // Who connected, from where: the audit log, exported with the error and slow-query logs.
    const options = new aws.rds.OptionGroup(
        `${name}-db`,
        {
            engineName: "mysql",
            majorEngineVersion: RDS_ENGINE_VERSION,
            optionGroupDescription: `foobar-infra ${name}: audit log`,
            options: [{ optionName: "MARIADB_AUDIT_PLUGIN", optionSettings: [{ name: "SERVER_AUDIT_EVENTS", value: "CONNECT" }] }],
            tags,
        },
        opts,
    );
    const monitoring = enhancedMonitoringRole(name, tags, parent);
    const common = {
        instanceClass: rds.instanceClass,
        storageType: "gp3",
        storageEncrypted: true,
        publiclyAccessible: false,
        vpcSecurityGroupIds: [base.securityGroupId],
        parameterGroupName: parameters.name,
        optionGroupName: options.name,
        autoMinorVersionUpgrade: true,
        // Replicas are kept like the writer: a destroy must be as deliberate, snapshots as labelled.
        deletionProtection: rds.deletionProtection,
        copyTagsToSnapshot: true,
        enabledCloudwatchLogsExports: ["audit", "error", "slowquery"],
        monitoringInterval: ENHANCED_MONITORING_SECONDS,
        monitoringRoleArn: monitoring.arn,
        tags,
    };
    const writer = new aws.rds.Instance(
        `${name}-db`,
        {
            ...common,
            engine: "mysql",
            engineVersion: RDS_ENGINE_VERSION,
            allocatedStorage: rds.allocatedStorageGb,
            dbSubnetGroupName: base.subnetGroupName,
            username: base.adminUser,
            // Not manageMasterUserPassword: AWS refuses MySQL read replicas of such a source.
            password: base.adminPassword,
            multiAz: rds.multiAz,
            backupRetentionPeriod: rds.backupRetentionDays,
            ...finalSnapshotOf(base),
        },
        { parent, protect: base.protect },
    );
    const readers = Array.from(
        { length: base.replicas },
        (_, i) =>
            new aws.rds.Instance(
                `${name}-db-replica-${i + 1}`,
                { ...common, replicateSourceDb: writer.identifier, skipFinalSnapshot: true, backupRetentionPeriod: 0 },
                { parent, dependsOn: [writer], protect: base.protect },
            ),
    );
    const readerHosts = pulumi.all(readers.map((r) => r.address));
    return { writer, hosts: pulumi.all([writer.address, ...readers.map((r) => r.address)]), writerHost: writer.address, readerHosts };
}
