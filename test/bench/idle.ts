// CPU at rest: the stack's containers together (their cgroups' cpuacct, health-check execs
// included: they run in the container's cgroup) and the whole machine's busy time from /proc/stat,
// which also shows what the checks cost dockerd, containerd and runc outside any container.
import * as fs from "fs";
import * as os from "os";
import { dockerRun, sleep } from "../live/docker";
import { Row, ratio } from "./rows";

/** Busy and total jiffies of all CPUs together (first line of /proc/stat). */
export function machineJiffies(): { busy: number; total: number } {
    const fields = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already in user)
    const total = fields.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: total - fields[3] - fields[4], total };
}

/** Where a container's CPU time lives: cgroup v1 (cgroupfs or systemd driver) or v2; the first that exists. */
export function cgroupUsageFile(id: string): { file: string; unit: "ns" | "usec" } | undefined {
    const v1 = [
        `/sys/fs/cgroup/cpuacct/docker/${id}/cpuacct.usage`,
        `/sys/fs/cgroup/cpu,cpuacct/docker/${id}/cpuacct.usage`,
        `/sys/fs/cgroup/cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`,
        `/sys/fs/cgroup/cpu,cpuacct/system.slice/docker-${id}.scope/cpuacct.usage`,
    ];
    const v2 = [`/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`, `/sys/fs/cgroup/docker/${id}/cpu.stat`];
    const found1 = v1.find((f) => fs.existsSync(f));
    if (found1) return { file: found1, unit: "ns" };
    const found2 = v2.find((f) => fs.existsSync(f));
    return found2 ? { file: found2, unit: "usec" } : undefined;
}

/** A container's CPU time so far, in ms. */
export function containerCpuMs(where: { file: string; unit: "ns" | "usec" }): number {
    const text = fs.readFileSync(where.file, "utf8");
    if (where.unit === "ns") return Number(text.trim()) / 1e6;
    const usec = /^usage_usec (\d+)$/m.exec(text);
    if (!usec) throw new Error(`${where.file}: no usage_usec`);
    return Number(usec[1]) / 1000;
}

/** The running containers of the stack, each with its foobar.service label ("app", "nginx", ...; "" when unlabelled). */
export async function stackContainersByService(stack: string): Promise<Array<{ id: string; service: string }>> {
    const r = await dockerRun([
        "ps",
        "--no-trunc",
        "--format",
        '{{.ID}}\t{{.Label "foobar.service"}}',
        "--filter",
        `label=foobar.stack=${stack}`,
    ]);
    return r.stdout
        .split("\n")
        .filter(Boolean)
        .map((line) => {
            const [id, service] = line.split("\t");
            return { id, service: service ?? "" };
        });
}

export interface CpuDuring<T> {
    readonly result: T;
    readonly wallMs: number;
    /** CPU time each container used in the window, in ms, by container id. */
    readonly containerMs: ReadonlyMap<string, number>;
    /** The whole machine's busy CPU over the window, in % of one core (100 = one core fully busy). */
    readonly machinePct: number;
    /** The whole machine's busy CPU over the window, in core-ms. */
    readonly machineBusyMs: number;
}

/** Runs `run` and reads the containers' cgroup CPU time and the machine's busy time right before and right after it. */
export async function cpuDuring<T>(containerIds: readonly string[], run: () => Promise<T>): Promise<CpuDuring<T>> {
    const files = containerIds.map((id) => {
        const where = cgroupUsageFile(id);
        if (!where) throw new Error(`no cgroup CPU accounting found for container ${id.slice(0, 12)}`);
        return [id, where] as const;
    });
    const read = () => new Map(files.map(([id, f]) => [id, containerCpuMs(f)]));
    const c0 = read();
    const m0 = machineJiffies();
    const t0 = process.hrtime.bigint();
    const result = await run();
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    const m1 = machineJiffies();
    const c1 = read();
    const machinePct = ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length * 100;
    return {
        result,
        wallMs,
        containerMs: new Map([...c1].map(([id, ms]) => [id, ms - (c0.get(id) ?? ms)])),
        machinePct,
        machineBusyMs: (machinePct / 100) * wallMs,
    };
}

export interface CpuSample {
    readonly seconds: number;
    /** The whole machine's busy CPU, in % of one core (100 = one core fully busy). */
    readonly machinePct: number;
    /** The containers together, in % of one core; undefined when none was sampled. */
    readonly containersPct?: number;
    readonly containers: number;
    /** The containers' share by foobar.service label, in % of one core. */
    readonly byService?: ReadonlyMap<string, number>;
    /** Where the containers' figures were read (the first container's file), for the report. */
    readonly source?: string;
}

/** Samples for `seconds`, doing nothing else meanwhile (the bench's own process stays asleep). */
export async function sampleCpu(seconds: number, containers: ReadonlyArray<{ id: string; service: string }> = []): Promise<CpuSample> {
    const sample = await cpuDuring(
        containers.map((c) => c.id),
        () => sleep(seconds * 1000),
    );
    const byService = new Map<string, number>();
    for (const c of containers) {
        const pctOfCore = ((sample.containerMs.get(c.id) ?? 0) / sample.wallMs) * 100;
        byService.set(c.service || "other", (byService.get(c.service || "other") ?? 0) + pctOfCore);
    }
    const total = [...byService.values()].reduce((a, b) => a + b, 0);
    return {
        seconds: sample.wallMs / 1000,
        machinePct: sample.machinePct,
        containersPct: containers.length > 0 ? total : undefined,
        containers: containers.length,
        byService,
        source: containers.length > 0 ? cgroupUsageFile(containers[0].id)?.file.replace(/[0-9a-f]{64}/, "<id>") : undefined,
    };
}

const TARGET_PCT = 5;
const pct = (n: number | undefined): string => (n === undefined ? "-" : `${n.toFixed(1)}%`);

/** Target 1, from the machine's sample before the stack was deployed and the sample of the deployed stack at rest. */
export function idleRow(reference: CpuSample, rest: CpuSample, settledSeconds: number): Row {
    const delta = rest.machinePct - reference.machinePct;
    return {
        id: "1",
        what: `Idle stack: CPU of all its containers together over ${rest.seconds.toFixed(0)} s`,
        target: `containers <= ${TARGET_PCT}% of one core`,
        measured: `containers ${pct(rest.containersPct)} of one core; machine busy ${pct(rest.machinePct)}`,
        reference: `machine busy with no stack deployed: ${pct(reference.machinePct)}`,
        ratio: `machine ${delta >= 0 ? "+" : ""}${delta.toFixed(1)} points (${ratio(rest.machinePct, reference.machinePct, 1)})`,
        met: rest.containersPct === undefined ? undefined : rest.containersPct <= TARGET_PCT,
        details: [
            `Containers: ${rest.containers} of the stack, cgroup CPU time (${rest.source}), health-check execs included; ` +
                `sampled ${rest.seconds.toFixed(1)} s, ${settledSeconds.toFixed(0)} s after the stack served and replicated ` +
                "(the program's evaluation under the mocks, row 7a, ran in that time, then the bench slept).",
            `By service, in % of one core: ${[...(rest.byService ?? new Map<string, number>())]
                .sort((a, b) => b[1] - a[1])
                .map(([service, p]) => `${service} ${p.toFixed(2)}`)
                .join(", ")}.`,
            `Machine: busy time of all cores from /proc/stat over the same window, in % of one core (200% = both cores of two): ` +
                `${pct(rest.machinePct)} with the stack, ${pct(reference.machinePct)} over ${reference.seconds.toFixed(1)} s before it was deployed. ` +
                "The difference includes what the stack costs outside its containers (dockerd, containerd, runc for each health check).",
            "Other work on the machine (other stacks, builds) counts in the machine figures: the lead runs the recorded bench alone.",
        ],
    };
}
