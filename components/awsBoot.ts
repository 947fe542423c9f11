// What an EC2 instance does at first boot, per service on it: Debian packages, the very files the
// docker platform uploads (from the same renderers), and the commands that start each daemon. Pure.
import * as path from "path";
import { APP_ROOT, BundleFile } from "./appBundle";
import { APP_PASSWORD_PATH, renderEnvFile } from "./render/app";
import { BootFile, CloudConfigInput, SecretFileOwner } from "./render/cloudInit";
import { HAPROXY_CERT_PATH } from "./render/haproxy";
import { MARIADB_BOOTSTRAP_PATH } from "./render/mariadb";
import { EXPORTER_CLIENT_PATH } from "./render/mysqldExporter";
import { STATIC_ROOT } from "./render/nginx";
import { lines } from "./render/text";
import { ServiceKind } from "./topology";

export const APP_ENV_PATH = "/etc/foobar/app.env";
export const APP_UNIT_PATH = "/etc/systemd/system/foobar-app.service";
export const RDS_BOOTSTRAP_PATH = "/etc/foobar/rds-bootstrap.sql";
export const RDS_CLIENT_CONFIG_PATH = "/etc/foobar/rds-admin.cnf";

/** Who may read each secret-bearing file once the boot helper has filled it in. */
const SECRET_OWNERS: Record<string, SecretFileOwner> = {
    [APP_PASSWORD_PATH]: { owner: "foobar", group: "foobar", mode: "0400" },
    [MARIADB_BOOTSTRAP_PATH]: { owner: "mysql", group: "mysql", mode: "0400" },
    // Debian's exporter unit runs as the prometheus user its package creates.
    [EXPORTER_CLIENT_PATH]: { owner: "prometheus", group: "prometheus", mode: "0400" },
    [HAPROXY_CERT_PATH]: { owner: "root", group: "haproxy", mode: "0640" },
    [RDS_BOOTSTRAP_PATH]: { owner: "root", group: "root", mode: "0400" },
    [RDS_CLIENT_CONFIG_PATH]: { owner: "root", group: "root", mode: "0400" },
};

export function secretOwner(file: string): SecretFileOwner {
    const owner = SECRET_OWNERS[file];
    if (!owner) throw new Error(`${file} holds a secret but has no owner in components/awsBoot.ts`);
    return owner;
}

export interface ResolvedService {
    readonly kind: ServiceKind;
    readonly files: readonly BootFile[];
    readonly env?: ReadonlyArray<readonly [string, string]>;
}

export interface Bundle {
    /** The app as JavaScript: "app/dist/main.js", ... */
    readonly app: readonly BundleFile[];
    readonly statics: readonly BundleFile[];
    readonly secretsHelper: string;
}

interface Steps {
    packages: string[];
    files: BootFile[];
    before: string[][];
    commands: string[][];
}

const APP_UNIT = lines(
    "# Rendered by foobar-infra (components/awsBoot.ts).",
    "[Unit]",
    "Description=foobar application server",
    "After=network-online.target mariadb.service",
    "Wants=network-online.target",
    "",
    "[Service]",
    "User=foobar",
    "Group=foobar",
    `EnvironmentFile=${APP_ENV_PATH}`,
    `ExecStart=/usr/bin/node ${APP_ROOT}/dist/main.js`,
    "Restart=on-failure",
    "KillSignal=SIGTERM",
    "# Longer than the app's drain: 3 s delay + 10 s grace (app/src/main.ts).",
    "TimeoutStopSec=20",
    "NoNewPrivileges=yes",
    "ProtectSystem=strict",
    "ProtectHome=yes",
    "PrivateTmp=yes",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
);

function stepsFor(service: ResolvedService, bundle: Bundle): Steps {
    const files = [...service.files];
    switch (service.kind) {
        case "haproxy":
            return { packages: ["haproxy"], files, before: [], commands: [["systemctl", "restart", "haproxy"]] };
        case "nginx":
            return {
                packages: ["nginx-light"],
                files: [
                    ...files,
                    ...bundle.statics.map((f) => ({ path: path.posix.join(STATIC_ROOT, path.basename(f.source)), content: f.content })),
                ],
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
                    ...bundle.app.map((f) => ({ path: path.posix.join(APP_ROOT, f.source.replace(/^app\//, "")), content: f.content })),
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
        case "mariadb-primary":
        case "mariadb-replica":
            return { packages: ["mariadb-server"], files, before: [], commands: [["systemctl", "restart", "mariadb"]] };
        case "prometheus":
            return { packages: ["prometheus"], files, before: [], commands: [["systemctl", "restart", "prometheus"]] };
        case "mysqld-exporter":
            return {
                packages: ["prometheus-mysqld-exporter"],
                files,
                before: [],
                commands: [["systemctl", "restart", "prometheus-mysqld-exporter"]],
            };
        default: {
            const never: never = service.kind;
            throw new Error(`unknown service kind ${String(never)}`);
        }
    }
}

/** Databases first, then the app, nginx, HAProxy and what watches it: each starts once what it talks to is up. */
const START_ORDER: readonly ServiceKind[] = [
    "mariadb-primary",
    "mariadb-replica",
    "mysqld-exporter",
    "app",
    "nginx",
    "haproxy",
    "prometheus",
];

export interface ManagedBootstrap {
    readonly writerHost: string;
    readonly adminUser: string;
    readonly adminPasswordPlaceholder: string;
    readonly sql: string;
}

export function bootConfig(options: {
    hostname: string;
    region: string;
    services: readonly ResolvedService[];
    bundle: Bundle;
    parameters: Readonly<Record<string, string>>;
    /** Managed database: this instance creates the schema and users on RDS once it answers. */
    managed?: ManagedBootstrap;
}): CloudConfigInput {
    const ordered = [...options.services].sort((a, b) => START_ORDER.indexOf(a.kind) - START_ORDER.indexOf(b.kind));
    const steps = ordered.map((s) => stepsFor(s, options.bundle));
    if (options.managed) steps.unshift(rdsBootstrapSteps(options.managed));
    return {
        hostname: options.hostname,
        region: options.region,
        packages: [...new Set(steps.flatMap((s) => s.packages))],
        files: steps.flatMap((s) => s.files),
        parameters: options.parameters,
        secretOwner,
        commandsBeforeSecrets: steps.flatMap((s) => s.before),
        commands: steps.flatMap((s) => s.commands),
        secretsHelper: options.bundle.secretsHelper,
    };
}

function rdsBootstrapSteps(m: ManagedBootstrap): Steps {
    const client = lines("[client]", `host=${m.writerHost}`, `user=${m.adminUser}`, `password=${m.adminPasswordPlaceholder}`);
    return {
        packages: ["mariadb-client"],
        files: [
            { path: RDS_CLIENT_CONFIG_PATH, content: client },
            { path: RDS_BOOTSTRAP_PATH, content: m.sql },
        ],
        before: [],
        // RDS may still be starting when the instance boots: retry for up to 20 minutes.
        commands: [
            [
                "sh",
                "-c",
                `for i in $(seq 120); do mariadb --defaults-extra-file=${RDS_CLIENT_CONFIG_PATH} < ${RDS_BOOTSTRAP_PATH} && exit 0; sleep 10; done; exit 1`,
            ],
        ],
    };
}
