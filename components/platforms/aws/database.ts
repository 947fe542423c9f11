// The managed database: RDS MySQL 8.4 and its read replicas, private and encrypted. Thin.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import { Topology, replicasOf } from "../../topology";
import { mustGet } from "../platform";
import { AwsNetwork } from "./network";
import { AwsPlan } from "./plan";

/** RDS for MySQL 8.4, the LTS release; its parameter group family follows it. */
export const RDS_ENGINE_VERSION = "8.4";
/** How often RDS enhanced monitoring samples the OS of each database instance. */
const ENHANCED_MONITORING_SECONDS = 60;

/** The role RDS enhanced monitoring writes OS metrics to CloudWatch with (AWS's own policy for it). */
function enhancedMonitoringRole(name: string, tags: Record<string, string>, parent: pulumi.Resource): aws.iam.Role {
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

export interface ManagedDatabase {
    readonly writer: aws.rds.Instance;
    readonly readers: readonly aws.rds.Instance[];
}

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
    const opts = { parent };
    const rds = plan.aws.rds;
    const subnets = new aws.rds.SubnetGroup(
        `${name}-db`,
        { subnetIds: plan.databaseSubnets.map((key) => mustGet(network.subnetIds, key, "subnet")), tags },
        opts,
    );
    const parameters = new aws.rds.ParameterGroup(
        `${name}-db`,
        {
            family: `mysql${RDS_ENGINE_VERSION}`,
            description: `foobar-infra ${name}`,
            parameters: [
                // Debian's node-mysql speaks mysql_native_password only; 8.4 must offer it.
                { name: "authentication_policy", value: "*:mysql_native_password", applyMethod: "pending-reboot" },
                // Every client over TLS: the app and the bootstrap verify RDS against Amazon's CA.
                { name: "require_secure_transport", value: "1" },
                // Slow queries (over 1 s) to a file RDS exports to CloudWatch Logs.
                { name: "slow_query_log", value: "1" },
                { name: "long_query_time", value: "1" },
                { name: "log_output", value: "FILE" },
            ],
            tags,
        },
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
        vpcSecurityGroupIds: [mustGet(network.securityGroupIds, "db", "security group")],
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
    // A snapshot name can be used once: a fresh suffix per database lifetime keeps the next destroy working.
    const snapshotSuffix = rds.finalSnapshot ? new random.RandomId(`${name}-db-final-snapshot`, { byteLength: 4 }, opts).hex : undefined;
    const writer = new aws.rds.Instance(
        `${name}-db`,
        {
            ...common,
            engine: "mysql",
            engineVersion: RDS_ENGINE_VERSION,
            allocatedStorage: rds.allocatedStorageGb,
            dbSubnetGroupName: subnets.name,
            username: adminUser,
            // Not manageMasterUserPassword: AWS refuses MySQL read replicas of such a source.
            password: adminPassword,
            multiAz: rds.multiAz,
            backupRetentionPeriod: rds.backupRetentionDays,
            skipFinalSnapshot: !rds.finalSnapshot,
            finalSnapshotIdentifier: snapshotSuffix ? pulumi.interpolate`${name}-db-final-${snapshotSuffix}` : undefined,
        },
        // A production stack's database refuses `pulumi destroy` and replacements until unprotected.
        { parent, protect: topology.args.production },
    );
    const readers = replicasOf(topology).map(
        (_key, i) =>
            new aws.rds.Instance(
                `${name}-db-replica-${i + 1}`,
                { ...common, replicateSourceDb: writer.identifier, skipFinalSnapshot: true, backupRetentionPeriod: 0 },
                { parent, dependsOn: [writer], protect: topology.args.production },
            ),
    );
    return { writer, readers };
}
