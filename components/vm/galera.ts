// A Galera node on a plain VM (database.failover automatic): the packages, the docker image's own
// check and notify scripts (images/mariadb/galera/), the VM's start script (files/
// foobar-galera-start.sh, the twin of the image's start.sh) and the units that run them in order
// at every boot: foobar-galera (the bootstrap decision, mariadb, the bootstrap SQL once synced),
// then keepalived (the write address). Its files ship without their comments (galeraNodeFiles). Pure.
import * as path from "path";
import { GALERA_CHECK_COMMAND, GALERA_ROLE_COMMAND } from "../render/galera";
import { KEEPALIVED_CONFIG_PATH } from "../render/keepalived";
import { MARIADB_BOOTSTRAP_PATH, MARIADB_CONFIG_PATH } from "../render/mariadb";
import { lines } from "../render/text";
import { BootFile, withoutComments } from "./cloudInit";
import { packagePath } from "../packageRoot";
import { shippedFile } from "./shippedFile";

export const GALERA_START_PATH = "/usr/local/sbin/foobar-galera-start";
export const GALERA_ENV_PATH = "/etc/foobar/galera.env";
export const GALERA_UNIT_PATH = "/etc/systemd/system/foobar-galera.service";
export const KEEPALIVED_GALERA_DROPIN_PATH = "/etc/systemd/system/keepalived.service.d/foobar-galera.conf";
/** Executables here run after the notify script, with keepalived's state (images/mariadb/galera/role.sh). */
export const GALERA_ROLE_HOOK_DIR = "/etc/foobar/galera-role.d";
/** What a node needs beyond the server: the provider, state transfers (mariabackup streams with socat), keepalived. */
export const GALERA_PACKAGES: readonly string[] = ["mariadb-server", "galera-4", "mariadb-backup", "socat", "keepalived"];

const read = (file: string): string => shippedFile(packagePath(file));

/** The environment the start script reads: the node's FOOBAR_GALERA_* and KEEPALIVED_UNICAST_SOURCE (services/galera.ts). */
const ENV_NAMES = ["FOOBAR_GALERA_BOOTSTRAP", "FOOBAR_GALERA_PEERS", "KEEPALIVED_UNICAST_SOURCE"];
/** Addresses and flags only: each value is sourced by a shell, double-quoted. */
const ENV_VALUE = /^[0-9A-Za-z.: -]*$/;

export function isGaleraNode(env: ReadonlyArray<readonly [string, string]> | undefined): boolean {
    return (env ?? []).some(([k]) => k === "FOOBAR_GALERA_BOOTSTRAP");
}

function envFile(env: ReadonlyArray<readonly [string, string]>): string {
    const wanted = env.filter(([k]) => ENV_NAMES.includes(k));
    const missing = ENV_NAMES.filter((k) => !wanted.some(([w]) => w === k));
    if (missing.length > 0) throw new Error(`a Galera node needs ${missing.join(", ")}`);
    for (const [k, v] of wanted) if (!ENV_VALUE.test(v)) throw new Error(`${k}=${JSON.stringify(v)} is not a plain value`);
    return lines("# Rendered by foobar-infra (components/vm/galera.ts).", ...wanted.map(([k, v]) => `${k}="${v}"`));
}

// No start timeout: a joiner may wait for its peers and then for a full state transfer.
const START_UNIT = lines(
    "# Rendered by foobar-infra (components/vm/galera.ts).",
    "[Unit]",
    "Description=foobar Galera node: bootstrap decision, MariaDB, bootstrap SQL once synced",
    "After=network-online.target local-fs.target",
    "Wants=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${GALERA_START_PATH}`,
    "TimeoutStartSec=infinity",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
);

// keepalived (the write address) only once the node runs; at shutdown it stops first (a priority 0
// advert: another node takes the address at once), before MariaDB.
const KEEPALIVED_DROPIN = lines(
    "# Rendered by foobar-infra (components/vm/galera.ts).",
    "[Unit]",
    "After=mariadb.service foobar-galera.service",
    "Wants=foobar-galera.service",
);

export interface GaleraVmSteps {
    readonly packages: readonly string[];
    readonly files: readonly BootFile[];
    /** Run after the node's files (and its data volume) are in place: the node starts, then keepalived. */
    readonly commands: readonly string[][];
}

/** The boot of a Galera node, from its service's environment; `hooks` are the platform's role hooks (aws: the route). */
export function galeraVmSteps(env: ReadonlyArray<readonly [string, string]>, hooks: readonly BootFile[] = []): GaleraVmSteps {
    for (const h of hooks) {
        if (path.posix.dirname(h.path) !== GALERA_ROLE_HOOK_DIR) throw new Error(`role hook ${h.path} is not in ${GALERA_ROLE_HOOK_DIR}`);
    }
    return {
        packages: GALERA_PACKAGES,
        files: [
            { path: GALERA_ENV_PATH, content: envFile(env) },
            { path: GALERA_CHECK_COMMAND, content: read("images/mariadb/galera/check.sh"), permissions: "0755" },
            { path: GALERA_ROLE_COMMAND, content: read("images/mariadb/galera/role.sh"), permissions: "0755" },
            { path: GALERA_START_PATH, content: read("components/vm/files/foobar-galera-start.sh"), permissions: "0755" },
            { path: GALERA_UNIT_PATH, content: START_UNIT },
            { path: KEEPALIVED_GALERA_DROPIN_PATH, content: KEEPALIVED_DROPIN },
            ...hooks.map((h) => ({ ...h, permissions: "0755" })),
        ],
        commands: [
            ["systemctl", "daemon-reload"],
            // foobar-galera starts MariaDB at boot, as the node's state decides: never Debian's unit on its own.
            ["systemctl", "disable", "mariadb"],
            ["systemctl", "enable", "--now", "foobar-galera"],
            ["systemctl", "enable", "keepalived"],
            ["systemctl", "restart", "keepalived"],
        ],
    };
}

/** A node's files whose lines starting with "#" are comments, besides its scripts. */
const COMMENTED_CONFIGS: readonly string[] = [MARIADB_CONFIG_PATH, KEEPALIVED_CONFIG_PATH];

/**
 * A Galera node's files as its user data carries them: its scripts (the executables) and its
 * MariaDB and keepalived configs and bootstrap SQL without their comment lines (each keeps its first line: the
 * shebang, or the "Rendered by" header naming the source that documents it). Galera's scripts,
 * keepalived and their settings on top of a database server's make its user data the largest:
 * with comments it would leave less than 4 KiB of EC2's 16 KiB. The comments stay in the
 * repository, and in the docker platform's copies of the same renders.
 */
export function galeraNodeFiles(files: readonly BootFile[]): BootFile[] {
    return files.map((f) => {
        if (f.path === MARIADB_BOOTSTRAP_PATH) return { ...f, content: withoutComments(f.content, "--") };
        return f.permissions === "0755" || COMMENTED_CONFIGS.includes(f.path) ? { ...f, content: withoutComments(f.content) } : f;
    });
}
