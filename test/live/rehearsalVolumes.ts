// Stand-ins for the database servers' EBS volumes in the boot rehearsal: a sparse file behind a loop
// device per aws.ec2.VolumeAttachment the program registered, passed into its instance's stand-in
// (`docker create --device`) at the very path the boot looks for on EC2: on a Nitro instance an EBS
// volume shows up as NVMe, and udev names it after its serial, the volume id without its dash
// (/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0123...). The boot script, the volume and the
// data outlive a stand-in instance exactly as they outlive an EC2 instance. Needs root (losetup).
import { execFile } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { promisify } from "util";
import { RecordedResource } from "../helpers/pulumiMocks";

const run = promisify(execFile);
const ATTACHMENT = "aws:ec2/volumeAttachment:VolumeAttachment";
const INSTANCE = "aws:ec2/instance:Instance";
/** Big enough for a fresh MariaDB datadir and its logs; sparse, so it costs what is written. */
const SIZE_BYTES = 2 * 1024 ** 3;

export interface StandinVolume {
    readonly server: string;
    /** The id the program gave the volume (the mocks: `<name>-id`). */
    readonly volumeId: string;
    /** Where the instance sees it: where EC2 would show it. */
    readonly path: string;
    readonly file: string;
    readonly loopDevice: string;
}

/** The path udev gives an attached EBS volume on a Nitro instance. */
export const ebsNvmePath = (volumeId: string): string => `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace(/-/g, "")}`;

const fileOf = (prefix: string, server: string) => path.join(os.tmpdir(), `${prefix}-${server}.img`);

/** One empty volume per attachment, on a loop device. */
export async function createStandinVolumes(resources: readonly RecordedResource[], prefix: string): Promise<StandinVolume[]> {
    const volumes: StandinVolume[] = [];
    for (const a of resources.filter((r) => r.type === ATTACHMENT)) {
        // The mocks give every resource the id `<name>-id`: the attachment names its instance by it.
        const instance = resources.find((r) => r.type === INSTANCE && `${r.name}-id` === a.inputs.instanceId);
        if (!instance) throw new Error(`${a.name}: no instance has id ${a.inputs.instanceId}`);
        const server = String(instance.inputs.tags["foobar:server"]);
        const file = fileOf(prefix, server);
        await fs.promises.writeFile(file, "");
        await fs.promises.truncate(file, SIZE_BYTES);
        const loopDevice = (await run("losetup", ["--find", "--show", file])).stdout.trim();
        volumes.push({ server, volumeId: String(a.inputs.volumeId), path: ebsNvmePath(String(a.inputs.volumeId)), file, loopDevice });
    }
    return volumes;
}

/** Detaches and deletes every volume of `prefix` (an interrupted run's too). */
export async function removeStandinVolumes(prefix: string): Promise<void> {
    const files = (await fs.promises.readdir(os.tmpdir())).filter((f) => f.startsWith(`${prefix}-`) && f.endsWith(".img"));
    for (const f of files.map((x) => path.join(os.tmpdir(), x))) {
        const attached = (await run("losetup", ["--associated", f]).catch(() => ({ stdout: "" }))).stdout;
        for (const device of attached
            .split("\n")
            .map((l) => l.split(":")[0])
            .filter(Boolean))
            await run("losetup", ["--detach", device]);
        await fs.promises.rm(f, { force: true });
    }
}

/** What the host sees on a detached volume: its filesystem's UUID and whether it was unmounted cleanly. */
export async function volumeState(v: StandinVolume): Promise<{ uuid: string; state: string }> {
    const uuid = (await run("blkid", ["-p", "-o", "value", "-s", "UUID", v.loopDevice])).stdout.trim();
    const header = (await run("dumpe2fs", ["-h", v.loopDevice])).stdout;
    return { uuid, state: /^Filesystem state:\s*(.*)$/m.exec(header)?.[1].trim() ?? "?" };
}
