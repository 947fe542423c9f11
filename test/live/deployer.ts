// Deploys exactly the docker resources a program registered (captured through the mocks) to the
// local Docker engine, the way the engine and the docker provider would. An input it does not
// understand is an error, never silently dropped: what runs here is what `pulumi up` would run.
//
// How it follows the engine: every resource's step starts once the steps of every resource it
// depends on (its registration's dependencies: dependsOn and the resources its inputs came from)
// have finished, since the Node SDK awaits each dependency's URN before it registers
// (@pulumi/pulumi runtime/dependsOn.ts) and the engine answers a registration only once its step
// has run; independent steps run at the same time. A step is a create (new URN), nothing
// (same inputs), an update (only inputs the provider updates in place changed) or a replacement;
// containers are replaced delete-before-replace (pulumi-docker's resources.go sets it for
// docker_container: a fixed name cannot exist twice), so the old container is stopped and removed
// first, then the new one is created, and with `wait` the step ends only once it is healthy.
// Resources no longer registered are deleted last, dependants first.
import * as path from "path";
import { isDeepStrictEqual } from "util";
import { Props as Inputs, RecordedResource, TYPES } from "../helpers/pulumiMocks";
import { KNOWN, assertUnderstood, containerCreateBody, labelsOf } from "./providerModel";

export { assertUnderstood, containerCreateBody, durationNs } from "./providerModel";
import { docker, dockerApi, dockerRun, sleep, tarEntries } from "./docker";

/** The parts of the Engine API's replies this deployer reads. */
type Created = { Id: string };
type Inspected = { State?: { Status?: string; Health?: { Status?: string } } };

/** Container inputs the provider changes in place (resourceDockerContainerUpdate); any other change replaces. */
const UPDATED_IN_PLACE = ["restart", "destroyGraceSeconds", "wait", "waitTimeout", "healthcheck"];

/** The step the engine plans for a registration, given what the state holds under its URN. */
export function stepFor(old: RecordedResource | undefined, r: RecordedResource): Exclude<Step["op"], "delete"> {
    if (!old) return "create";
    if (isDeepStrictEqual(old.inputs, r.inputs)) return "same";
    const changed = Object.keys({ ...old.inputs, ...r.inputs }).filter((k) => !isDeepStrictEqual(old.inputs[k], r.inputs[k]));
    if (r.type !== TYPES.container)
        throw new Error(`deployer: ${r.name} (${r.type}) changed ${changed.join(", ")}; only containers' changes are modelled`);
    return changed.every((k) => UPDATED_IN_PLACE.includes(k)) ? "update" : "replace";
}

/** What one resource's step did, in the order the steps finished. */
export interface Step {
    readonly op: "create" | "same" | "update" | "replace" | "delete";
    readonly name: string;
    readonly type: string;
    /** Milliseconds since apply() began: when the step started and ended. */
    readonly start: number;
    readonly end: number;
}

export class DockerDeployer {
    /** The docker resources deployed, as last applied: the state the next apply() diffs against. */
    private state: RecordedResource[] = [];
    /** Container name by the id the mocks gave its resource, for `container:<id>` network modes. */
    private containerNames = new Map<string, string>();
    /** Containers created or replaced in the current apply: their Docker ids are new. */
    private renewed = new Set<string>();

    constructor(private readonly repoRoot: string) {}

    /** A first deployment: everything is created. */
    async deploy(resources: readonly RecordedResource[]): Promise<Step[]> {
        return this.apply(resources);
    }

    /**
     * Brings the deployment from its current state to `resources`, as `pulumi up` would: steps in
     * dependency order, independent ones at once; then deletes what is no longer registered.
     */
    async apply(resources: readonly RecordedResource[]): Promise<Step[]> {
        const next = resources.filter((r) => r.type.startsWith("docker:"));
        const unknown = next.filter((r) => !(Object.values(TYPES) as string[]).includes(r.type) || !(r.type in KNOWN));
        if (unknown.length > 0) throw new Error(`deployer does not understand resource types: ${unknown.map((r) => r.type).join(", ")}`);
        const before = new Map(this.state.map((r) => [r.urn, r]));
        for (const r of next) if (r.type === TYPES.container) this.containerNames.set(`${r.name}-id`, r.inputs.name);
        this.renewed.clear();
        const began = Date.now();
        const steps: Step[] = [];
        const finished = new Map<string, Promise<void>>();
        for (const r of next) {
            const waitFor = r.options.dependencies.map((urn) => finished.get(urn)).filter((p): p is Promise<void> => p !== undefined);
            const step = Promise.all(waitFor).then(async () => {
                const start = Date.now() - began;
                const op = await this.step(before.get(r.urn), r);
                steps.push({ op, name: r.name, type: r.type, start, end: Date.now() - began });
            });
            step.catch(() => undefined); // reported below, once every step has settled
            finished.set(r.urn, step);
        }
        const failures = (await Promise.allSettled(finished.values())).filter((s): s is PromiseRejectedResult => s.status === "rejected");
        const kept = new Set(next.map((r) => r.urn));
        if (failures.length === 0) {
            for (const old of [...this.state].reverse().filter((r) => !kept.has(r.urn))) {
                const start = Date.now() - began;
                await this.remove(old);
                steps.push({ op: "delete", name: old.name, type: old.type, start, end: Date.now() - began });
            }
        }
        // What exists now: the new resources whose steps ran, and the old ones not yet deleted.
        const done = new Set(steps.map((s) => s.name));
        this.state = [...next.filter((r) => done.has(r.name)), ...this.state.filter((r) => !kept.has(r.urn) && !done.has(r.name))];
        if (failures.length > 0) throw failures[0].reason;
        return steps;
    }

    /** Removes everything this deployer created, containers first, at once; safe to call more than once. */
    async destroy(): Promise<void> {
        const state = this.state.splice(0).reverse();
        for (const r of state.filter((x) => x.type === TYPES.container)) await dockerRun(["rm", "-f", "-v", r.inputs.name]);
        for (const r of state.filter((x) => x.type === TYPES.network)) await dockerRun(["network", "rm", r.inputs.name]);
        for (const r of state.filter((x) => x.type === TYPES.volume)) await dockerRun(["volume", "rm", "-f", r.inputs.name]);
    }

    private async step(old: RecordedResource | undefined, r: RecordedResource): Promise<Step["op"]> {
        const planned = stepFor(old, r);
        // A container in another's network namespace names it by Docker id, which a replacement
        // changes (the mocks' ids do not): the provider then sees a new network_mode, and replaces.
        const joined = /^container:(.+)$/.exec(r.inputs.networkMode ?? "")?.[1];
        const op = joined && this.renewed.has(joined) && (planned === "same" || planned === "update") ? "replace" : planned;
        if (r.type === TYPES.container && (op === "create" || op === "replace")) this.renewed.add(`${r.name}-id`);
        if (op === "create") await this.create(r);
        // The provider applies only the restart policy to the running container; the rest is state.
        if (op === "update" && !isDeepStrictEqual(old?.inputs.restart, r.inputs.restart)) {
            await docker(["update", "--restart", r.inputs.restart ?? "no", r.inputs.name]);
        }
        if (op === "replace" && old) {
            await this.remove(old);
            await this.create(r);
        }
        return op;
    }

    private async create(r: RecordedResource): Promise<void> {
        if (r.type === TYPES.image) return this.buildImage(r);
        if (r.type === TYPES.network) return this.createNetwork(r);
        if (r.type === TYPES.volume) return this.createVolume(r);
        return this.createContainer(r);
    }

    /** As the provider deletes: a container is stopped with destroyGraceSeconds (0: killed at once), then removed. */
    private async remove(r: RecordedResource): Promise<void> {
        if (r.type === TYPES.container) {
            const grace = String(r.inputs.destroyGraceSeconds ?? 0);
            await docker(["stop", "--time", grace, r.inputs.name], { timeoutMs: (Number(grace) + 30) * 1000 });
            await docker(["rm", "-f", "-v", r.inputs.name]);
        } else if (r.type === TYPES.network) await docker(["network", "rm", r.inputs.name]);
        else if (r.type === TYPES.volume) await docker(["volume", "rm", r.inputs.name]);
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
            if (ipam.ipRange) args.push("--ip-range", ipam.ipRange);
        }
        for (const [k, v] of Object.entries(labelsOf(r.name, n.labels))) args.push("--label", `${k}=${v}`);
        await docker([...args, n.name]);
    }

    async createVolume(r: RecordedResource): Promise<void> {
        assertUnderstood(r.name, TYPES.volume, r.inputs);
        const labels = Object.entries(labelsOf(r.name, r.inputs.labels)).flatMap(([k, v]) => ["--label", `${k}=${v}`]);
        await docker(["volume", "create", ...labels, r.inputs.name]);
    }

    async createContainer(r: RecordedResource): Promise<void> {
        const c = r.inputs;
        const body = containerCreateBody(r.name, c, (id) => {
            const name = this.containerNames.get(id);
            if (!name) throw new Error(`${r.name}: network mode names container ${id}, which this stack does not register`);
            return name;
        });
        const created = await dockerApi<Created>("POST", `/containers/create?name=${encodeURIComponent(c.name)}`, body);
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
 * in place and no network (unless `networkMode` says): the real daemon checks the exact files the stack would deliver.
 */
export async function runWithUploads(
    c: Inputs,
    command: readonly string[] | undefined,
    keepRunning: boolean,
    networkMode = "none",
): Promise<{ id: string; code?: number; logs: string }> {
    const created = await dockerApi<Created>("POST", "/containers/create", {
        Image: c.image,
        Cmd: command,
        Labels: labelsOf("check", c.labels),
        HostConfig: { NetworkMode: networkMode },
    });
    await upload("check", created.Id, c.uploads);
    await dockerApi("POST", `/containers/${created.Id}/start`);
    if (keepRunning) return { id: created.Id, logs: "" };
    const { StatusCode } = await dockerApi<{ StatusCode: number }>("POST", `/containers/${created.Id}/wait`);
    const logs = await dockerRun(["logs", created.Id]);
    await dockerRun(["rm", "-f", "-v", created.Id]);
    return { id: created.Id, code: StatusCode, logs: logs.stdout + logs.stderr };
}
