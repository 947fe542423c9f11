// Deploys exactly the docker resources a program registered (captured through the mocks) to the
// local Docker engine, the way the docker provider would. An input it does not understand is an
// error, never silently dropped: what runs here is what `pulumi up` would run.
import * as path from "path";
import { Props as Inputs, RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { docker, dockerApi, dockerRun, sleep, tarEntries } from "./docker";

/** The parts of the Engine API's replies this deployer reads. */
type Created = { Id: string };
type Inspected = { State?: { Status?: string; Health?: { Status?: string } } };

/** Every input key this deployer maps, per resource type (and per nested block). */
const KNOWN: Record<string, readonly string[]> = {
    // buildOnPreview only decides whether `pulumi preview` builds too; a deployment always builds.
    [TYPES.image]: ["imageName", "build", "skipPush", "buildOnPreview"],
    "image.build": ["context", "dockerfile", "builderVersion"],
    [TYPES.network]: ["name", "driver", "internal", "ipamConfigs", "labels"],
    "network.ipamConfigs": ["subnet", "gateway"],
    [TYPES.volume]: ["name", "labels"],
    [TYPES.container]: [
        "name",
        "image",
        "hostname",
        "labels",
        "networksAdvanced",
        "ports",
        "uploads",
        "envs",
        "healthcheck",
        "restart",
        "stopSignal",
        "stopTimeout",
        "volumes",
        "logDriver",
        "logOpts",
        "wait",
        "waitTimeout",
    ],
    "container.networksAdvanced": ["name", "ipv4Address"],
    "container.ports": ["internal", "external", "ip", "protocol"],
    "container.uploads": ["file", "content", "executable"],
    "container.healthcheck": ["tests", "interval", "timeout", "retries", "startPeriod"],
    "container.volumes": ["volumeName", "containerPath"],
    labels: ["label", "value"],
};

export function assertUnderstood(where: string, block: string, value: Inputs | undefined): void {
    for (const key of Object.keys(value ?? {})) {
        if (!(KNOWN[block] ?? []).includes(key)) {
            throw new Error(`deployer does not understand input "${key}" of ${where} (${block}); map it in test/live/deployer.ts`);
        }
    }
}

function labelsOf(where: string, labels: Inputs[] | undefined): Record<string, string> {
    (labels ?? []).forEach((l) => assertUnderstood(where, "labels", l));
    return Object.fromEntries((labels ?? []).map((l) => [l.label, l.value]));
}

const NS = { ms: 1e6, s: 1e9, m: 60e9 } as const;
function durationNs(value: string | undefined): number | undefined {
    if (value === undefined) return undefined;
    const m = /^(\d+)(ms|s|m)$/.exec(value);
    if (!m) throw new Error(`deployer cannot read duration ${JSON.stringify(value)}`);
    return Number(m[1]) * NS[m[2] as keyof typeof NS];
}

export class DockerDeployer {
    private readonly containers: string[] = [];
    private readonly networks: string[] = [];
    private readonly volumes: string[] = [];

    constructor(private readonly repoRoot: string) {}

    /** Images first, then networks and volumes, then containers in the order they were registered. */
    async deploy(resources: readonly RecordedResource[]): Promise<void> {
        const docker = resources.filter((r) => r.type.startsWith("docker:"));
        const unknown = docker.filter((r) => !(Object.values(TYPES) as string[]).includes(r.type) || !(r.type in KNOWN));
        if (unknown.length > 0) throw new Error(`deployer does not understand resource types: ${unknown.map((r) => r.type).join(", ")}`);
        for (const r of docker.filter((r) => r.type === TYPES.image)) await this.buildImage(r);
        for (const r of docker.filter((r) => r.type === TYPES.network)) await this.createNetwork(r);
        for (const r of docker.filter((r) => r.type === TYPES.volume)) await this.createVolume(r);
        for (const r of docker.filter((r) => r.type === TYPES.container)) await this.createContainer(r);
    }

    /** Removes everything this deployer created, containers first; safe to call more than once. */
    async destroy(): Promise<void> {
        for (const name of this.containers.splice(0).reverse()) await dockerRun(["rm", "-f", "-v", name]);
        for (const name of this.networks.splice(0)) await dockerRun(["network", "rm", name]);
        for (const name of this.volumes.splice(0)) await dockerRun(["volume", "rm", "-f", name]);
    }

    async buildImage(r: RecordedResource): Promise<void> {
        const { imageName, build, skipPush } = r.inputs;
        assertUnderstood(r.name, TYPES.image, r.inputs);
        assertUnderstood(r.name, "image.build", build);
        if (skipPush !== true) throw new Error(`${r.name}: only local images (skipPush: true) can be deployed here`);
        const legacy = build.builderVersion === "BuilderV1";
        if (!legacy) throw new Error(`${r.name}: builderVersion ${build.builderVersion} is not available on this engine`);
        const context = path.resolve(this.repoRoot, build.context);
        await docker(["build", "-q", "-t", imageName, "-f", path.resolve(this.repoRoot, build.dockerfile), context], {
            env: { ...process.env, DOCKER_BUILDKIT: "0" },
            timeoutMs: 15 * 60_000,
        });
    }

    async createNetwork(r: RecordedResource): Promise<void> {
        const n = r.inputs;
        assertUnderstood(r.name, TYPES.network, n);
        const args = ["network", "create", "--driver", n.driver ?? "bridge"];
        if (n.internal) args.push("--internal");
        for (const ipam of n.ipamConfigs ?? []) {
            assertUnderstood(r.name, "network.ipamConfigs", ipam);
            args.push("--subnet", ipam.subnet, "--gateway", ipam.gateway);
        }
        for (const [k, v] of Object.entries(labelsOf(r.name, n.labels))) args.push("--label", `${k}=${v}`);
        await docker([...args, n.name]);
        this.networks.push(n.name);
    }

    async createVolume(r: RecordedResource): Promise<void> {
        assertUnderstood(r.name, TYPES.volume, r.inputs);
        const labels = Object.entries(labelsOf(r.name, r.inputs.labels)).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
        await docker(["volume", "create", ...labels, r.inputs.name]);
        this.volumes.push(r.inputs.name);
    }

    async createContainer(r: RecordedResource): Promise<void> {
        const c = r.inputs;
        const body = containerCreateBody(r.name, c);
        const created = await dockerApi<Created>("POST", `/containers/create?name=${encodeURIComponent(c.name)}`, body);
        this.containers.push(c.name);
        // As the provider does: with networksAdvanced, leave the default bridge, then join each one.
        const networks: Inputs[] = c.networksAdvanced ?? [];
        if (networks.length > 0) await dockerApi("POST", "/networks/bridge/disconnect", { Container: created.Id });
        for (const net of networks) {
            await dockerApi("POST", `/networks/${encodeURIComponent(net.name)}/connect`, {
                Container: created.Id,
                EndpointConfig: { IPAMConfig: { IPv4Address: net.ipv4Address } },
            });
        }
        await upload(r.name, created.Id, c.uploads);
        await dockerApi("POST", `/containers/${created.Id}/start`);
        if (c.wait) await waitHealthy(c.name, (c.waitTimeout ?? 60) * 1000);
    }
}

/** Copies a container's uploads in before it starts, with the provider's modes (0744 executable, else 0644). */
async function upload(where: string, containerId: string, uploads: Inputs[] | undefined): Promise<void> {
    const files = (uploads ?? []).map((u) => {
        assertUnderstood(where, "container.uploads", u);
        return { path: u.file, content: u.content, mode: u.executable ? 0o744 : 0o644 };
    });
    if (files.length > 0) await dockerApi("PUT", `/containers/${containerId}/archive?path=/`, await tarEntries(files), "application/x-tar");
}

/** The Engine API body the docker provider would send for these inputs. */
export function containerCreateBody(where: string, c: Inputs): Inputs {
    assertUnderstood(where, TYPES.container, c);
    (c.networksAdvanced ?? []).forEach((n: Inputs) => assertUnderstood(where, "container.networksAdvanced", n));
    const ports: Inputs[] = c.ports ?? [];
    ports.forEach((p) => assertUnderstood(where, "container.ports", p));
    const hc = c.healthcheck;
    assertUnderstood(where, "container.healthcheck", hc);
    (c.volumes ?? []).forEach((v: Inputs) => assertUnderstood(where, "container.volumes", v));
    return {
        Hostname: c.hostname,
        Image: c.image,
        Env: c.envs ?? [],
        Labels: labelsOf(where, c.labels),
        StopSignal: c.stopSignal,
        StopTimeout: c.stopTimeout,
        Healthcheck: hc && {
            Test: hc.tests,
            Interval: durationNs(hc.interval),
            Timeout: durationNs(hc.timeout),
            Retries: hc.retries,
            StartPeriod: durationNs(hc.startPeriod),
        },
        ExposedPorts: Object.fromEntries(ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, {}])),
        HostConfig: {
            PortBindings: Object.fromEntries(
                ports.map((p) => [`${p.internal}/${p.protocol ?? "tcp"}`, [{ HostIp: p.ip ?? "", HostPort: String(p.external) }]]),
            ),
            RestartPolicy: c.restart ? { Name: c.restart } : undefined,
            Mounts: (c.volumes ?? []).map((v: Inputs) => ({ Type: "volume", Source: v.volumeName, Target: v.containerPath })),
            LogConfig: c.logDriver ? { Type: c.logDriver, Config: c.logOpts ?? {} } : undefined,
        },
    };
}

export async function waitHealthy(name: string, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let last: string | undefined = "";
    while (Date.now() < deadline) {
        const info = await dockerApi<Inspected>("GET", `/containers/${encodeURIComponent(name)}/json`);
        last = info.State?.Health?.Status ?? info.State?.Status;
        if (last === "healthy") return;
        if (info.State?.Status === "exited") break;
        await sleep(250);
    }
    const logs = await dockerRun(["logs", "--tail", "40", name]);
    throw new Error(`${name} did not become healthy (last state ${last}):\n${logs.stdout}${logs.stderr}`);
}

/**
 * Runs `command` in a throwaway container of a registered container's image, with its uploads
 * in place and no network: the real daemon checks the exact files the stack would deliver.
 */
export async function runWithUploads(
    c: Inputs,
    command: readonly string[] | undefined,
    keepRunning: boolean,
): Promise<{ id: string; code?: number; logs: string }> {
    const created = await dockerApi<Created>("POST", "/containers/create", {
        Image: c.image,
        Cmd: command,
        Labels: labelsOf("check", c.labels),
        HostConfig: { NetworkMode: "none" },
    });
    await upload("check", created.Id, c.uploads);
    await dockerApi("POST", `/containers/${created.Id}/start`);
    if (keepRunning) return { id: created.Id, logs: "" };
    const { StatusCode } = await dockerApi<{ StatusCode: number }>("POST", `/containers/${created.Id}/wait`);
    const logs = await dockerRun(["logs", created.Id]);
    await dockerRun(["rm", "-f", "-v", created.Id]);
    return { id: created.Id, code: StatusCode, logs: logs.stdout + logs.stderr };
}
