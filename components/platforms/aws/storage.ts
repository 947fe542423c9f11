// The self-managed database's data: one encrypted gp3 EBS volume per MariaDB, kept when its
// instance goes, attached so that the instance stops (MariaDB shuts down cleanly) before the volume
// leaves it, and snapshotted daily by Data Lifecycle Manager. Thin: the volumes come from the plan.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { mustGet } from "../platform";
import { AwsNetwork } from "./network";
import { AwsPlan, DataVolumePlan } from "./plan";

/** The attachment's device name; on Nitro instances (t3) the volume shows up as NVMe instead. */
export const DATA_DEVICE_NAME = "/dev/sdf";
/** The tag DLM selects volumes by; its value is the component's name, so stacks never share a policy. */
export const SNAPSHOT_TAG = "foobar:snapshots";
/** When the daily snapshot starts (UTC); DLM starts it within the hour after. */
export const SNAPSHOT_TIME = "03:00";

/**
 * Where the instance finds the volume, most specific first: the NVMe name udev gives an EBS volume
 * on Nitro instances (its serial is the volume id without the dash), then the attachment's device
 * name and its Xen spelling.
 */
export function dataDevicePaths(volumeId: string): string[] {
    if (!/^[A-Za-z0-9-]+$/.test(volumeId)) throw new Error(`volume id ${JSON.stringify(volumeId)} is not an EBS volume id`);
    return [`/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace(/-/g, "")}`, DATA_DEVICE_NAME, "/dev/xvdf"];
}

/** The volumes, by server. Created before the instances: their user data names the volume. */
export function createDataVolumes(
    name: string,
    plan: AwsPlan,
    network: AwsNetwork,
    production: boolean,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): Map<string, aws.ebs.Volume> {
    const volume = (v: DataVolumePlan) =>
        new aws.ebs.Volume(
            `${name}-${v.server}-db`,
            {
                // The subnet's zone, not the instance's output: a replaced instance must not drag the volume along.
                availabilityZone: mustGet(network.subnetZones, v.subnet, "subnet zone"),
                type: "gp3",
                size: v.sizeGb,
                encrypted: true,
                ...(v.snapshotId ? { snapshotId: v.snapshotId } : {}),
                tags: { ...tags, Name: `${name}-${v.server}-db`, "foobar:server": v.server, [SNAPSHOT_TAG]: name },
            },
            // The data outlives a mistake: `pulumi destroy` or a replacement leaves the volume in the
            // account (retainOnDelete), and on production stacks refuses to touch it at all (protect).
            { parent, retainOnDelete: true, protect: production },
        );
    return new Map(plan.dataVolumes.map((v) => [v.server, volume(v)]));
}

/** Attaches a server's volume to its instance; replaced with the instance. */
export function attachDataVolume(
    name: string,
    server: string,
    volume: aws.ebs.Volume,
    instance: aws.ec2.Instance,
    parent: pulumi.Resource,
): aws.ec2.VolumeAttachment {
    return new aws.ec2.VolumeAttachment(
        `${name}-${server}-db`,
        {
            deviceName: DATA_DEVICE_NAME,
            volumeId: volume.id,
            instanceId: instance.id,
            // Detaching first stops the instance (StopInstances, not forced, then waits for "stopped":
            // terraform-provider-aws, internal/service/ec2/ebs_volume_attachment.go,
            // resourceVolumeAttachmentDelete), so MariaDB shuts down cleanly before its volume leaves.
            stopInstanceBeforeDetaching: true,
        },
        // A volume is attached to one instance at a time: the old attachment goes before the new one.
        { parent, deleteBeforeReplace: true },
    );
}

/** Daily snapshots of every volume tagged for this stack, kept `retentionDays`, by AWS's own service role. */
export function createSnapshotPolicy(name: string, retentionDays: number, tags: Record<string, string>, parent: pulumi.Resource) {
    const role = new aws.iam.Role(
        `${name}-db-snapshots`,
        {
            assumeRolePolicy: JSON.stringify({
                Version: "2012-10-17",
                Statement: [{ Effect: "Allow", Principal: { Service: "dlm.amazonaws.com" }, Action: "sts:AssumeRole" }],
            }),
            tags,
        },
        { parent },
    );
    const attachment = new aws.iam.RolePolicyAttachment(
        `${name}-db-snapshots`,
        { role: role.name, policyArn: "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole" },
        { parent },
    );
    return new aws.dlm.LifecyclePolicy(
        `${name}-db-snapshots`,
        {
            description: `foobar-infra ${name}: daily snapshots of the database volumes`,
            executionRoleArn: role.arn,
            state: "ENABLED",
            policyDetails: {
                resourceTypes: ["VOLUME"],
                targetTags: { [SNAPSHOT_TAG]: name },
                schedules: [
                    {
                        name: "daily",
                        createRule: { interval: 24, intervalUnit: "HOURS", times: SNAPSHOT_TIME },
                        retainRule: { interval: retentionDays, intervalUnit: "DAYS" },
                        // The volume's tags (server, stack) identify each snapshot for a restore.
                        copyTags: true,
                    },
                ],
            },
            tags,
        },
        { parent, dependsOn: [attachment] },
    );
}
