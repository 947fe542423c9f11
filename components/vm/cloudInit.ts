// cloud-config user data for a VM, serialized with js-yaml, with a boot helper that fills the
// secrets in (on aws from SSM Parameter Store: components/platforms/aws/files/foobar-secrets.py). Pure.
import { gzipSync } from "zlib";
import * as yaml from "js-yaml";

/** A placeholder the boot helper replaces with a secret's value: secrets never ride in user data. */
export const secretPlaceholder = (key: string): string => `@@FOOBAR_SECRET:${key}@@`;
const PLACEHOLDER = /@@FOOBAR_SECRET:([a-z0-9-]+)@@/g;

export const SECRETS_HELPER_PATH = "/usr/local/sbin/foobar-secrets";
export const SECRETS_MANIFEST_PATH = "/etc/foobar/secrets.json";

/** EC2 refuses user data over 16 KiB (before base64). */
export const USER_DATA_LIMIT = 16 * 1024;

export interface BootFile {
    readonly path: string;
    readonly content: string;
    /** e.g. "0644"; files holding placeholders are written 0600 and fixed by the boot helper. */
    readonly permissions?: string;
}

export interface SecretFileOwner {
    readonly owner: string;
    readonly group: string;
    readonly mode: string;
}

export interface CloudConfigInput {
    readonly hostname: string;
    readonly region: string;
    readonly packages: readonly string[];
    readonly files: readonly BootFile[];
    /** key -> where the helper fetches it (aws: the SSM parameter name), for every placeholder used in `files`. */
    readonly parameters: Readonly<Record<string, string>>;
    /** Owner and mode a secret-bearing file gets once filled in. */
    secretOwner(path: string): SecretFileOwner;
    /** Commands run once files exist; before them: the boot helper fills in secrets. */
    readonly commandsBeforeSecrets: readonly string[][];
    readonly commands: readonly string[][];
    /** The boot helper's source (aws: components/platforms/aws/files/foobar-secrets.py). */
    readonly secretsHelper: string;
}

/**
 * A file as user data carries it: without its comment lines (the first line, a shebang or a
 * "Rendered by" header, stays). Its documentation stays in the repository, out of the 16 KiB EC2
 * takes. Only for files where every line starting with "#" is a comment: shell and Python scripts
 * without here-documents or multi-line strings, systemd units, my.cnf, keepalived.conf; with
 * marker "--", SQL scripts whose statements each fit on their lines.
 */
export function withoutComments(text: string, marker: "#" | "--" = "#"): string {
    return text
        .split("\n")
        .filter((line, i) => i === 0 || !line.trimStart().startsWith(marker))
        .join("\n");
}

export function placeholdersIn(text: string): string[] {
    return [...text.matchAll(PLACEHOLDER)].map((m) => m[1]);
}

export function renderCloudConfig(input: CloudConfigInput): string {
    const secretFiles = input.files.filter((f) => placeholdersIn(f.content).length > 0);
    const used = [...new Set(secretFiles.flatMap((f) => placeholdersIn(f.content)))].sort();
    const missing = used.filter((k) => !(k in input.parameters));
    if (missing.length > 0) throw new Error(`${input.hostname}: no SSM parameter for secret(s) ${missing.join(", ")}`);
    const manifest = {
        region: input.region,
        // Only what this instance's files need: its role may read exactly these.
        parameters: Object.fromEntries(used.map((k) => [k, input.parameters[k]])),
        files: secretFiles.map((f) => ({ path: f.path, ...input.secretOwner(f.path) })),
    };
    const writeFiles = [
        { path: SECRETS_HELPER_PATH, content: input.secretsHelper, permissions: "0755" },
        { path: SECRETS_MANIFEST_PATH, content: `${JSON.stringify(manifest, null, 2)}\n`, permissions: "0600" },
        ...input.files.map((f) => ({
            path: f.path,
            content: f.content,
            permissions: placeholdersIn(f.content).length > 0 ? "0600" : (f.permissions ?? "0644"),
        })),
    ].map((f) => ({ ...f, owner: "root:root", defer: true })); // after packages: no dpkg conffile prompts
    const config = {
        hostname: input.hostname,
        preserve_hostname: false,
        package_update: true,
        // Only what the daemons need: Recommends would add e.g. prometheus-node-exporter (listening
        // on :9100), smartmontools and ipmitool, and double the boot's install time.
        apt: { conf: 'APT::Install-Recommends "false";\n' },
        packages: [...new Set(["python3-botocore", ...input.packages])].sort(),
        write_files: writeFiles,
        runcmd: [...input.commandsBeforeSecrets, [SECRETS_HELPER_PATH], ...input.commands],
    };
    return `#cloud-config\n${yaml.dump(config, { lineWidth: -1, noRefs: true })}`;
}

/** cloud-init reads gzip user data as is; compressed, a web server's fits EC2's 16 KiB. */
export function compressUserData(cloudConfig: string): Buffer {
    const gz = gzipSync(Buffer.from(cloudConfig), { level: 9 });
    if (gz.length > USER_DATA_LIMIT) throw new Error(`user data is ${gz.length} bytes gzipped; EC2 takes at most ${USER_DATA_LIMIT}`);
    return gz;
}
