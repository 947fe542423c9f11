// What a plain VM does at first boot, per service on it: Debian packages, the very files the
// docker platform uploads (from the same renderers), and the commands that start each daemon; the
// app's code base comes the platform's way (BundleDelivery). Generic: any VM platform with
// cloud-init can use it; the aws platform adds SSM, S3 and RDS. Pure.
import { renderEnvFile } from "../render/app";
import { lines } from "../render/text";
import { STOP_TIMEOUT_SECONDS, ServiceKind } from "../topology";
import { APP_ROOT } from "./appBundle";
import { BootFile } from "./cloudInit";
import { mariadbDataVolume } from "./dataVolume";
import { galeraNodeFiles, galeraVmSteps, isGaleraNode } from "./galera";

export { secretOwner } from "./secretOwners";

export const APP_ENV_PATH = "/etc/foobar/app.env";
export const APP_UNIT_PATH = "/etc/systemd/system/foobar-app.service";
/** A pair's HAProxy: the drop-in that makes `systemctl stop` (and a shutdown) a soft stop. */
export const HAPROXY_SOFT_STOP_PATH = "/etc/systemd/system/haproxy.service.d/foobar-soft-stop.conf";

/** A service on this VM, its files rendered (secrets as placeholders). */
export interface VmService {
    readonly kind: Exclude<ServiceKind, "rds">;
    readonly files: readonly BootFile[];
    readonly env?: ReadonlyArray<readonly [string, string]>;
    /** MariaDB only: where its data volume may appear (dataVolume.ts); none keeps the data on the root disk. */
    readonly dataDevices?: readonly string[];
    /**
     * HAProxy of a pair only: the grace time it serves through after a soft stop (render/haproxy.ts,
     * PairInput.stopGraceMs). Its unit then stops it softly; without it, Debian's unit stops it at once.
     */
    readonly softStopGraceMs?: number;
    /** MariaDB of a Galera cluster only: the platform's executables for /etc/foobar/galera-role.d (vm/galera.ts). */
    readonly galeraRoleHooks?: readonly BootFile[];
}

/**
 * How the app's code base and nginx's static assets (appBundle.ts) reach the VM: they are too large
 * for user data (EC2 takes 16 KiB), so the platform fetches them at boot (aws: from the stack's S3
 * bucket). `files` say what to fetch; `commands` install it, before the app or nginx starts.
 */
export interface BundleDelivery {
    readonly files: readonly BootFile[];
    readonly commands: readonly string[][];
}

/**
 * The bundles a VM may fetch at boot, and the services that read each: the app runs its JavaScript
 * and nginx serves the static assets ("app"); Prometheus loads its alert rules ("monitoring"). No
 * server runs services of both.
 */
export type BundleName = "app" | "monitoring";
const BUNDLE_READERS: Readonly<Record<BundleName, readonly string[]>> = { app: ["app", "nginx"], monitoring: ["prometheus"] };

/** The bundle a VM with these services fetches, if any. */
export function bundleOf(services: ReadonlyArray<{ readonly kind: string }>): BundleName | undefined {
    const needed = (Object.keys(BUNDLE_READERS) as BundleName[]).filter((b) => services.some((s) => BUNDLE_READERS[b].includes(s.kind)));
    if (needed.length > 1) throw new Error(`one server fetches one bundle, not ${needed.join(" and ")}`);
    return needed[0];
}

/** Whether a VM with these services needs a bundle. */
export const usesBundle = (services: ReadonlyArray<{ readonly kind: string }>): boolean => bundleOf(services) !== undefined;

/** One service's share of the boot: packages, files, commands before the secrets are filled in, and after. */
export interface BootSteps {
    readonly packages: readonly string[];
    readonly files: readonly BootFile[];
    readonly before: readonly string[][];
    readonly commands: readonly string[][];
}

const APP_UNIT = lines(
    "# Rendered by foobar-infra (components/vm/boot.ts).",
    "[Unit]",
    "Description=foobar application server",
    "# After nginx, so stopped before it: at shutdown the app drains while nginx still answers for it.",
    "After=network-online.target mariadb.service nginx.service",
    "Wants=network-online.target",
    "",
    "[Service]",
    "User=foobar",
    "Group=foobar",
    `EnvironmentFile=${APP_ENV_PATH}`,
    `ExecStart=/usr/bin/node ${APP_ROOT}/dist/main.js`,
    "Restart=on-failure",
    "KillSignal=SIGTERM",
    "# Longer than the app's drain (components/topology/plans.ts, STOP_TIMEOUT_SECONDS).",
    `TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`,
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
);

/**
 * Debian's haproxy unit stops HAProxy with SIGTERM, which closes its listeners at once: its `grace`
 * applies to a soft stop (SIGUSR1) only. A pair's HAProxy must keep serving, its health frontend
 * answering 503, until the front has moved new connections to the other one; then it finishes the
 * connections it has (within STOP_TIMEOUT_SECONDS) before systemd kills what is left.
 */
export function haproxySoftStopDropIn(graceMs: number): string {
    return lines(
        "# Rendered by foobar-infra (components/vm/boot.ts).",
        "# A soft stop: HAProxy serves through its grace time while the front moves clients away.",
        "[Service]",
        "KillSignal=SIGUSR1",
        `TimeoutStopSec=${Math.ceil(graceMs / 1000) + STOP_TIMEOUT_SECONDS}`,
    );
}

/** A Debian package whose unit only needs restarting once its files are in place. */
const restarted = (pkg: string, unit: string, files: readonly BootFile[]): BootSteps => ({
    packages: [pkg],
    files,
    before: [],
    commands: [["systemctl", "restart", unit]],
});

function stepsFor(service: VmService): BootSteps {
    const files = [...service.files];
    switch (service.kind) {
        case "haproxy": {
            // socat: HAProxy's CLI, where its request log is read (`show events requests`).
            const steps = { ...restarted("haproxy", "haproxy", files), packages: ["haproxy", "socat"] };
            if (service.softStopGraceMs === undefined) return steps;
            return {
                ...steps,
                files: [...files, { path: HAPROXY_SOFT_STOP_PATH, content: haproxySoftStopDropIn(service.softStopGraceMs) }],
                commands: [["systemctl", "daemon-reload"], ...steps.commands],
            };
        }
        case "nginx":
            return {
                packages: ["nginx-light"],
                files,
                before: [],
                commands: [
                    ["rm", "-f", "/etc/nginx/sites-enabled/default"],
                    ["systemctl", "restart", "nginx"],
                ],
            };
        case "app":
            return {
                packages: ["nodejs", "node-mysql"],
                files: [
                    ...files,
                    { path: APP_ENV_PATH, content: renderEnvFile(service.env ?? []) },
                    { path: APP_UNIT_PATH, content: APP_UNIT },
                ],
                // The user must exist before the boot helper hands it its password file.
                before: [["useradd", "--system", "--user-group", "--no-create-home", "--shell", "/usr/sbin/nologin", "foobar"]],
                commands: [
                    ["systemctl", "daemon-reload"],
                    ["systemctl", "enable", "--now", "foobar-app"],
                ],
            };
        case "mariadb": {
            const galera = isGaleraNode(service.env) ? galeraVmSteps(service.env ?? [], service.galeraRoleHooks) : undefined;
            const steps = galera
                ? { packages: galera.packages, files: [...files, ...galera.files], before: [], commands: galera.commands }
                : restarted("mariadb-server", "mariadb", files);
            // The data volume is in place before MariaDB restarts with its config (and its init file).
            const volume = service.dataDevices ? mariadbDataVolume(service.dataDevices) : undefined;
            const placed = volume
                ? { ...steps, files: [...steps.files, ...volume.files], commands: [volume.command, ...steps.commands] }
                : steps;
            return galera ? { ...placed, files: galeraNodeFiles(placed.files) } : placed;
        }
        case "prometheus":
            return restarted("prometheus", "prometheus", files);
        case "alertmanager":
            return restarted("prometheus-alertmanager", "prometheus-alertmanager", files);
        case "mysqld-exporter":
            return restarted("prometheus-mysqld-exporter", "prometheus-mysqld-exporter", files);
        case "nginx-exporter":
            return restarted("prometheus-nginx-exporter", "prometheus-nginx-exporter", files);
        case "node-exporter":
            return restarted("prometheus-node-exporter", "prometheus-node-exporter", files);
        case "blackbox-exporter":
            return restarted("prometheus-blackbox-exporter", "prometheus-blackbox-exporter", files);
        case "keepalived":
            // A Galera node's keepalived comes with its MariaDB (vm/galera.ts).
            throw new Error("keepalived runs on docker only: on aws a pair of load balancers sits behind an NLB");
        default: {
            const never: never = service.kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

/** Databases first, then the app, nginx, HAProxy and what watches it: each starts once what it talks to is up. */
const START_ORDER: readonly VmService["kind"][] = [
    "node-exporter",
    "mariadb",
    "mysqld-exporter",
    "app",
    "nginx",
    "nginx-exporter",
    "haproxy",
    "blackbox-exporter",
    "alertmanager",
    "prometheus",
];

/**
 * Every service's steps in start order, after any the platform puts first (e.g. the aws RDS
 * bootstrap); the bundle's delivery goes just before the first service that reads it.
 */
export function bootSteps(services: readonly VmService[], bundle: BundleDelivery, first: readonly BootSteps[] = []): BootSteps {
    const ordered = [...services].sort((a, b) => START_ORDER.indexOf(a.kind) - START_ORDER.indexOf(b.kind));
    const own = ordered.map(stepsFor);
    const reader = ordered.findIndex((s) => usesBundle([s]));
    if (reader >= 0) own.splice(reader, 0, { packages: [], files: bundle.files, before: [], commands: bundle.commands });
    const steps = [...first, ...own];
    return {
        packages: [...new Set(steps.flatMap((s) => s.packages))],
        files: once(steps.flatMap((s) => s.files)),
        before: steps.flatMap((s) => s.before),
        commands: steps.flatMap((s) => s.commands),
    };
}

/** Each path once: services on one VM may share a file (the database CA), never with two contents. */
function once(files: readonly BootFile[]): BootFile[] {
    const byPath = new Map<string, BootFile>();
    for (const f of files) {
        const before = byPath.get(f.path);
        if (before && before.content !== f.content) throw new Error(`two services write ${f.path} with different contents`);
        byPath.set(f.path, before ?? f);
    }
    return [...byPath.values()];
}
