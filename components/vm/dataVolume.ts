// A database's data on a volume of its own, one that outlives the VM: the boot script that finds,
// formats (only when empty), mounts and seeds it (files/foobar-data-volume.sh), and the drop-in
// that keeps MariaDB off the root disk. MariaDB's rendered config is the same as on docker: its
// datadir stays /var/lib/mysql, the volume's directory bind-mounted there. Pure.
import { lines } from "../render/text";
import { BootFile } from "./cloudInit";
import { packagePath } from "../packageRoot";
import { shippedFile } from "./shippedFile";

/** Where the volume is mounted; MariaDB's data is DATA_VOLUME_MOUNT/mysql. */
export const DATA_VOLUME_MOUNT = "/srv/foobar-db";
/** Debian's MariaDB datadir, which the rendered config leaves as it is. */
export const MARIADB_DATADIR = "/var/lib/mysql";
export const DATA_VOLUME_SCRIPT_PATH = "/usr/local/sbin/foobar-data-volume";
export const MARIADB_DROPIN_PATH = "/etc/systemd/system/mariadb.service.d/foobar-data-volume.conf";

const script = (): string => shippedFile(packagePath("components/vm/files/foobar-data-volume.sh"));

/** A device path reaches a command line: plain path characters only. */
const DEVICE_PATH = /^\/dev\/[A-Za-z0-9_./-]+$/;

/**
 * The files and the command that put MariaDB's datadir on the volume found at the first of
 * `devices` to appear. The command runs before MariaDB is restarted with its own config.
 */
export function mariadbDataVolume(devices: readonly string[]): { files: BootFile[]; command: string[] } {
    if (devices.length === 0) throw new Error("a data volume needs at least one device path");
    for (const d of devices) if (!DEVICE_PATH.test(d)) throw new Error(`data volume device ${JSON.stringify(d)} is not a plain /dev path`);
    const dropIn = lines(
        "# foobar-infra (components/vm/dataVolume.ts): no data volume, no MariaDB (never afresh on the root disk).",
        "[Unit]",
        `RequiresMountsFor=${MARIADB_DATADIR} ${DATA_VOLUME_MOUNT}`,
    );
    return {
        files: [
            { path: DATA_VOLUME_SCRIPT_PATH, content: script(), permissions: "0755" },
            { path: MARIADB_DROPIN_PATH, content: dropIn },
        ],
        command: [DATA_VOLUME_SCRIPT_PATH, DATA_VOLUME_MOUNT, MARIADB_DATADIR, "mysql", "mariadb", ...devices],
    };
}
