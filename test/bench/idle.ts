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
function containerCpuMs(where: { file: string; unit: "ns" | "usec" }): number {
    const text = fs.readFileSync(where.file, "utf8");
    if (where.unit === "ns") return Number(text.trim()) / 1e6;
    const usec = /^usage_usec (\d+)$/m.exec(text);
    if (!usec) throw new Error(`${where.file}: no usage_usec`);
    return Number(usec[1]) / 1000;
}

/** Full ids of the running containers carrying label foobar.stack=<stack>. */
export async function stackContainerIds(stack: string): Promise<string[]> {
    const r = await dockerRun(["ps", "-q", "--no-trunc", "--filter", `label=foobar.stack=${stack}`]);
    return r.stdout.split(/\s+/).filter(Boolean);
}

export interface CpuSample {
    readonly seconds: number;
    /** The whole machine's busy CPU, in % of one core (100 = one core fully busy). */
    readonly machinePct: number;
    /** The containers together, in % of one core; undefined when none was sampled. */
    readonly containersPct?: number;
    readonly containers: number;
    /** Where the containers' figures were read (the first container's file), for the report. */
    readonly source?: string;
}

/** Samples for `seconds`, doing nothing else meanwhile (the bench's own process stays asleep). */
export async function sampleCpu(seconds: number, containerIds: readonly string[] = []): Promise<CpuSample> {
    const files = containerIds.map((id) => {
        const where = cgroupUsageFile(id);
        if (!where) throw new Error(`no cgroup CPU accounting found for container ${id.slice(0, 12)}`);
        return where;
    });
    const readContainers = () => files.reduce((sum, f) => sum + containerCpuMs(f), 0);
    const c0 = readContainers();
    const m0 = machineJiffies();
    const t0 = process.hrtime.bigint();
    await sleep(seconds * 1000);
    const c1 = readContainers();
    const m1 = machineJiffies();
    const wallMs = Number(process.hrtime.bigint() - t0) / 1e6;
    return {
        seconds: wallMs / 1000,
        machinePct: ((m1.busy - m0.busy) / (m1.total - m0.total)) * os.cpus().length * 100,
        containersPct: files.length > 0 ? ((c1 - c0) / wallMs) * 100 : undefined,
        containers: files.length,
        source: files[0]?.file.replace(/[0-9a-f]{64}/, "<id>"),
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
            `Machine: busy time of all cores from /proc/stat over the same window, in % of one core (200% = both cores of two): ` +
                `${pct(rest.machinePct)} with the stack, ${pct(reference.machinePct)} over ${reference.seconds.toFixed(1)} s before it was deployed. ` +
                "The difference includes what the stack costs outside its containers (dockerd, containerd, runc for each health check).",
            "Other work on the machine (other stacks, builds) counts in the machine figures: the lead runs the recorded bench alone.",
        ],
    };
}
