// EC2 stand-in instances: containers of images/ec2-standin (Debian 12, systemd as PID 1,
// Debian's cloud-init) that boot from the user data the program would give an EC2 instance,
// delivered as a NoCloud seed instead of through the metadata service. Each is attached only
// to one docker network at a fixed address: it stands for an instance at the private address
// the plan gives it.
import * as yaml from "js-yaml";
import * as path from "path";
import { docker, dockerApi, dockerRun, RunResult, sleep, TarEntry, tarEntries } from "./docker";
import { InstanceMetadata, metadataEntries } from "./imdsStandin";

/**
 * What systemd needs to run as PID 1 here (docker 20.10, cgroup v1 host), and no more:
 * - a private cgroup namespace: the container sees only its own cgroup subtree;
 * - CAP_SYS_ADMIN: docker mounts the cgroup hierarchies read-only, and systemd must mount the
 *   cgroup2 hierarchy it tracks services with. Without it systemd stops at "Failed to create
 *   /init.scope control group: Read-only file system". (The usual alternative,
 *   `-v /sys/fs/cgroup:/sys/fs/cgroup:ro`, needs no capability but is worse: that `:ro` is
 *   not recursive on this engine, so the host's whole cgroup tree, every other container's
 *   included, becomes writable inside. --privileged is not needed either.)
 * - /run and /run/lock as tmpfs, as on a booted machine;
 * - a tty, so the console (systemd's and cloud-init's messages) lands in `docker logs`, the
 *   stand-in for EC2's console output.
 * systemd still warns once per unit that it cannot create its v1 "compat" cgroup (read-only);
 * harmless: it tracks units in the cgroup2 hierarchy.
 */
export const SYSTEMD_FLAGS: readonly string[] = [
    "--cgroupns=private",
    "--cap-add",
    "SYS_ADMIN",
    "--tmpfs",
    "/run",
    "--tmpfs",
    "/run/lock",
    "--tty",
];

export const STANDIN_IMAGE = "foobar-infra/ec2-standin:local";

/** Builds images/ec2-standin with the legacy builder, as the docker provider's BuilderV1 would. */
export async function buildStandinImage(repo: string): Promise<void> {
    await docker(["build", "-q", "-t", STANDIN_IMAGE, "-f", path.join(repo, "images", "ec2-standin", "Dockerfile"), repo], {
        env: { ...process.env, DOCKER_BUILDKIT: "0" },
        timeoutMs: 15 * 60_000,
    });
}

/** A docker network standing in for a VPC, and the label that marks it and its instances. */
export interface StandinVpc {
    readonly name: string;
    readonly subnet: string;
    /** The host's side of the network: where the SSM stand-in listens. */
    readonly gateway: string;
    readonly label: { readonly key: string; readonly value: string };
}

/** Creates the VPC stand-in. Not internal: instances install packages from Debian's archive. */
export async function createVpc(vpc: StandinVpc): Promise<void> {
    const label = `${vpc.label.key}=${vpc.label.value}`;
    await docker(["network", "create", "--driver", "bridge", "--subnet", vpc.subnet, "--gateway", vpc.gateway, "--label", label, vpc.name]);
}

/** Removes what a run with this VPC left behind: its labelled instances, and the network if it carries the label. */
export async function removeVpcLeftovers(vpc: StandinVpc): Promise<void> {
    const filter = `label=${vpc.label.key}=${vpc.label.value}`;
    const ids = (await docker(["ps", "-aq", "--filter", filter])).split(/\s+/).filter(Boolean);
    if (ids.length > 0) await dockerRun(["rm", "-f", "-v", ...ids]);
    const label = await dockerRun(["network", "inspect", "-f", `{{index .Labels "${vpc.label.key}"}}`, vpc.name]);
    if (label.code === 0 && label.stdout.trim() === vpc.label.value) await docker(["network", "rm", vpc.name]);
}

/** Fake credentials for the SSM and S3 stand-in: botocore signs with them, nobody checks. */
export const FAKE_ACCESS_KEY_ID = "AKIAFOOBARSTANDIN000";
const FAKE_SECRET_ACCESS_KEY = "foobar-standin-not-a-secret";

export interface BootOptions {
    /** Container name; also the instance's hostname. */
    readonly name: string;
    readonly image: string;
    /** An existing docker network: the instance's only network. */
    readonly network: string;
    readonly ipv4Address: string;
    /** A cloud-config (or any user data cloud-init accepts), plain or gzip-compressed. */
    readonly userData: Buffer | string;
    /** meta-data keys over the defaults (instance-id: i-<name>, local-hostname: <name>). */
    readonly metaData?: Readonly<Record<string, string>>;
    /** The boot rehearsal seam: the SSM endpoint the boot helper uses instead of AWS's. */
    readonly ssmEndpoint?: string;
    /** The same seam for S3 (the app bundle): /etc/foobar/s3-endpoint. */
    readonly s3Endpoint?: string;
    /** The same seam for EC2's API (the write address's route, aws-vpc-move-ip): /etc/foobar/ec2-endpoint. */
    readonly ec2Endpoint?: string;
    /**
     * The instance metadata service's answers (imdsStandin.ts), on 169.254.169.254 inside the
     * instance; the instance gets CAP_NET_ADMIN for its address.
     */
    readonly metadataService?: InstanceMetadata;
    /** Capabilities beyond SYSTEMD_FLAGS' (e.g. NET_ADMIN: keepalived adds addresses). */
    readonly capAdd?: readonly string[];
    /** Region for /root/.aws/config (with an endpoint); default eu-west-1. */
    readonly region?: string;
    readonly labels: Readonly<Record<string, string>>;
    /**
     * Block devices standing in for attached EBS volumes: a host device (a loop device) shown in the
     * instance at `path`, the very path the boot looks for on EC2 (a Nitro instance's NVMe name).
     */
    readonly volumes?: ReadonlyArray<{ readonly hostDevice: string; readonly path: string }>;
}

export interface Instance {
    readonly name: string;
    readonly ipv4Address: string;
    /** The console: what `aws ec2 get-console-output` would show (escape codes removed). */
    logs(): Promise<string>;
    /** Runs a command as root; its stdout, or throws with its stderr. */
    exec(cmd: readonly string[]): Promise<string>;
    /** Runs a command as root; never throws. */
    run(cmd: readonly string[]): Promise<RunResult>;
    remove(): Promise<void>;
}

/** Creates, seeds and starts one instance; it is booting when this returns (see waitForCloudInit). */
export async function bootInstance(o: BootOptions): Promise<Instance> {
    const labels = Object.entries(o.labels).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
    // --network with --ip attaches the container to this network only (not the default bridge).
    await docker([
        "create",
        "--name",
        o.name,
        "--hostname",
        o.name,
        ...labels,
        "--network",
        o.network,
        "--ip",
        o.ipv4Address,
        ...(o.volumes ?? []).flatMap((v) => ["--device", `${v.hostDevice}:${v.path}`]),
        ...SYSTEMD_FLAGS,
        ...[...new Set([...(o.capAdd ?? []), ...(o.metadataService ? ["NET_ADMIN"] : [])])].flatMap((c) => ["--cap-add", c]),
        o.image,
    ]);
    const instance = handle(o.name, o.ipv4Address);
    try {
        const metaData = { "instance-id": `i-${o.name}`, "local-hostname": o.name, ...o.metaData };
        const entries: TarEntry[] = [
            { path: "/var/lib/cloud/seed/nocloud/user-data", mode: 0o600, content: o.userData },
            { path: "/var/lib/cloud/seed/nocloud/meta-data", mode: 0o644, content: yaml.dump(metaData) },
        ];
        if (o.ssmEndpoint !== undefined) entries.push({ path: "/etc/foobar/ssm-endpoint", mode: 0o644, content: `${o.ssmEndpoint}\n` });
        if (o.s3Endpoint !== undefined) entries.push({ path: "/etc/foobar/s3-endpoint", mode: 0o644, content: `${o.s3Endpoint}\n` });
        if (o.ec2Endpoint !== undefined) entries.push({ path: "/etc/foobar/ec2-endpoint", mode: 0o644, content: `${o.ec2Endpoint}\n` });
        if (o.metadataService) entries.push(...metadataEntries(o.metadataService));
        if (o.ssmEndpoint !== undefined || o.s3Endpoint !== undefined || o.ec2Endpoint !== undefined) {
            entries.push(
                { path: "/root/.aws", mode: 0o700 },
                {
                    path: "/root/.aws/credentials",
                    mode: 0o600,
                    content: `[default]\naws_access_key_id = ${FAKE_ACCESS_KEY_ID}\naws_secret_access_key = ${FAKE_SECRET_ACCESS_KEY}\n`,
                },
                { path: "/root/.aws/config", mode: 0o600, content: `[default]\nregion = ${o.region ?? "eu-west-1"}\n` },
            );
        }
        // In before start: cloud-init-local reads the seed early in boot.
        await dockerApi("PUT", `/containers/${encodeURIComponent(o.name)}/archive?path=/`, await tarEntries(entries), "application/x-tar");
        await docker(["start", o.name]);
    } catch (err) {
        await instance.remove();
        throw err;
    }
    return instance;
}

function handle(name: string, ipv4Address: string): Instance {
    const run = (cmd: readonly string[]) => dockerRun(["exec", name, ...cmd], { timeoutMs: 5 * 60_000 });
    return {
        name,
        ipv4Address,
        logs: async () => {
            const r = await dockerRun(["logs", name]);
            // eslint-disable-next-line no-control-regex -- strips ANSI escape sequences, which start with ESC (\x1b)
            return (r.stdout + r.stderr).replace(/\x1b\[[0-9;]*[A-Za-z]/g, "").replace(/\r/g, "");
        },
        exec: async (cmd) => {
            const r = await run(cmd);
            if (r.code !== 0) throw new Error(`${name}: ${cmd.join(" ")} failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
            return r.stdout;
        },
        run,
        remove: async () => {
            await dockerRun(["rm", "-f", "-v", name]);
        },
    };
}

/**
 * Waits for cloud-init on every instance. The first failure (in time) stops the other waits
 * before this rejects with it, so a caller's cleanup never races a wait still polling a removed container.
 */
export async function waitForCloudInitAll(instances: readonly Instance[], timeoutMs: number): Promise<string[]> {
    const giveUp = new AbortController();
    let first: { readonly error: unknown } | undefined;
    const waits = instances.map((i) =>
        waitForCloudInit(i, timeoutMs, giveUp.signal).catch((error: unknown) => {
            first ??= { error };
            giveUp.abort(`${i.name} failed`);
            throw error;
        }),
    );
    const settled = await Promise.allSettled(waits);
    if (first) throw first.error;
    return settled.map((s) => (s as PromiseFulfilledResult<string>).value);
}

/**
 * Waits until cloud-init has finished every stage (init-local, init, modules:config,
 * modules:final). `cloud-init status --wait` would block one exec for the whole boot, so this
 * polls `cloud-init status --long` instead. Returns that long status when it is done; throws
 * with the tail of /var/log/cloud-init-output.log when it reports error (or degraded, in newer
 * cloud-init), when the container stops, or on timeout.
 */
export async function waitForCloudInit(instance: Instance, timeoutMs: number, signal?: AbortSignal): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let long = "";
    while (Date.now() < deadline) {
        if (signal?.aborted) throw new Error(`waiting for cloud-init on ${instance.name}: given up (${String(signal.reason)})`);
        const state = await dockerRun(["inspect", "-f", "{{.State.Status}}", instance.name]);
        if (state.stdout.trim() !== "running") {
            throw new Error(
                `${instance.name} is ${state.stdout.trim() || state.stderr.trim()}, not running; console:\n${tail(await instance.logs(), 40)}`,
            );
        }
        const r = await instance.run(["cloud-init", "status", "--long"]);
        long = r.stdout.trim() || r.stderr.trim();
        const status = /^status:\s*(\S+)/m.exec(long)?.[1];
        if (status === "done") return long;
        if (status === "error" || status === "degraded") {
            throw new Error(
                `cloud-init on ${instance.name}: ${status}\n${long}\n--- /var/log/cloud-init-output.log (tail) ---\n${await outputTail(instance)}`,
            );
        }
        await sleep(1000);
    }
    throw new Error(
        `cloud-init on ${instance.name} not done within ${timeoutMs} ms\n${long}\n--- /var/log/cloud-init-output.log (tail) ---\n${await outputTail(instance)}`,
    );
}

async function outputTail(instance: Instance): Promise<string> {
    const r = await instance.run(["tail", "-n", "60", "/var/log/cloud-init-output.log"]);
    return r.code === 0 ? r.stdout : `(unreadable: ${r.stderr.trim()})`;
}

function tail(text: string, lines: number): string {
    return text.split("\n").slice(-lines).join("\n");
}
