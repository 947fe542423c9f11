// The instance metadata service of an EC2 stand-in instance: what IMDSv2 would answer it, as files
// under /var/lib/foobar-imds-standin that images/ec2-standin's responder serves (imds-standin.py, on
// 169.254.169.254 in a network namespace of its own inside the instance), token first, as EC2's
// does. cloud-init reads its NoCloud seed instead; what asks IMDS here is what asks it on EC2
// besides: resource-agents' aws-vpc-move-ip (the instance id, and the network interface id behind
// its interface's MAC).
import { createHash } from "crypto";
import { TarEntry } from "./docker";

export const IMDS_ROOT = "/var/lib/foobar-imds-standin";

export interface InstanceMetadata {
    readonly instanceId: string;
    /** Its primary network interface's id, as EC2 names it (eni-...). */
    readonly interfaceId: string;
    readonly privateIp: string;
    readonly availabilityZone: string;
    readonly region: string;
}

/** A network interface id of EC2's form (eni- and 17 hex digits), stable per instance id: a new instance, a new one. */
export const interfaceIdOf = (instanceId: string): string => `eni-0${createHash("sha256").update(instanceId).digest("hex").slice(0, 16)}`;

/** The metadata tree as tar entries, for the instance's filesystem before it starts. */
export function metadataEntries(m: InstanceMetadata): TarEntry[] {
    const md = `${IMDS_ROOT}/latest/meta-data`;
    // By interface name: the responder answers it under the MAC the instance's eth0 has (Docker picks it;
    // this engine's API, 1.41, cannot be given one per network).
    const iface = `${md}/network/interfaces/macs/eth0`;
    const file = (path: string, content: string): TarEntry => ({ path, mode: 0o644, content: `${content}\n` });
    return [
        { path: IMDS_ROOT, mode: 0o755 },
        { path: `${IMDS_ROOT}/latest`, mode: 0o755 },
        { path: md, mode: 0o755 },
        file(`${md}/instance-id`, m.instanceId),
        file(`${md}/local-ipv4`, m.privateIp),
        file(`${md}/placement/availability-zone`, m.availabilityZone),
        file(`${md}/placement/region`, m.region),
        file(`${iface}/interface-id`, m.interfaceId),
        file(`${iface}/local-ipv4s`, m.privateIp),
        file(`${iface}/device-number`, "0"),
    ];
}
