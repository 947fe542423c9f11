// docs/benchmarks.md: the machine, the date, one table row per target of issue 9 with its
// reference and ratio, the details under it, and the containers' memory and CPU after the load.
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { dockerRun } from "../live/docker";
import { Row } from "./rows";

const ROOT = path.join(__dirname, "..", "..");
export const REPORT = path.join(ROOT, "docs", "benchmarks.md");

export interface Machine {
    readonly cores: number;
    readonly cpuModel: string;
    readonly memoryGiB: number;
    readonly kernel: string;
    readonly docker: string;
    readonly commit: string;
}

export async function machine(): Promise<Machine> {
    const git = (args: string[]) => spawnSync("git", args, { cwd: ROOT, encoding: "utf8" }).stdout?.trim() ?? "";
    const dirty = git(["status", "--porcelain"]) !== "";
    const docker = await dockerRun(["version", "--format", "{{.Server.Version}}"]);
    return {
        cores: os.cpus().length,
        cpuModel: os.cpus()[0]?.model.trim() ?? "?",
        memoryGiB: os.totalmem() / 2 ** 30,
        kernel: `${os.type()} ${os.release()}`,
        docker: docker.code === 0 ? docker.stdout.trim() : "unknown",
        commit: `${git(["rev-parse", "--short", "HEAD"]) || "unknown"}${dirty ? " with uncommitted changes" : ""}`,
    };
}

/** `docker stats --no-stream` of the stack's containers, as markdown table rows. */
export async function containerStats(stack: string): Promise<string[]> {
    const names = (await dockerRun(["ps", "--format", "{{.Names}}", "--filter", `label=foobar.stack=${stack}`])).stdout
        .split(/\s+/)
        .filter(Boolean)
        .sort();
    if (names.length === 0) return [];
    const r = await dockerRun(["stats", "--no-stream", "--format", "{{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}", ...names]);
    return (
        r.stdout
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split("\t"))
            // MemUsage is "used / limit"; the limit (no limit set: the machine's memory) says nothing here.
            .map(([name, memory, cpu]) => `| ${name} | ${memory.split(" / ")[0]} | ${cpu} |`)
            .sort()
    );
}

const cell = (s: string): string => s.replace(/\|/g, "\\|").replace(/\n/g, " ");
const verdict = (met: boolean | undefined): string => (met === undefined ? "not measured" : met ? "**met**" : "**missed**");

export interface ReportInput {
    readonly rows: readonly Row[];
    readonly machine: Machine;
    readonly date: Date;
    readonly benchSeconds: number;
    /** Each part of the bench and the seconds it took, in order. */
    readonly phases: ReadonlyArray<readonly [string, number]>;
    readonly stats: readonly string[];
}

/**
 * What limits each target when it is missed, as measured on this machine class (2 cores): the
 * figures behind each statement are in the row's details of the same report.
 */
const LIMITS: Readonly<Record<string, string>> = {
    "1": "the exporters' scrapes (every monitoring.scrapeIntervalSeconds) and the databases' background work: see the share by service in the details.",
    "2": "the two cores: wrk, HAProxy (TLS, two threads) and nginx share them, so the HTTPS path's extra work (TLS records, a second hop) comes straight out of the throughput and the tail; the same build has measured 0.31x to 0.45x in different runs, and the plain nginx's own p99 varies as much.",
    "3": "CPU: the CPU per request and the ceiling it implies on this machine are in the details; the database is no longer the limit (the app alone serves about 3x more).",
    "4": "HAProxy's checks (`lb.healthCheck`) and `timeout server`: see the details.",
    "5": "the replicas' apply rate on this machine: see the details.",
    "7a": "the program's evaluation under the mocks on this machine: see the details.",
    "7b": "a cold clone on two cores: loading TypeScript, ESLint and ts-node costs most of it, and the unit tests evaluate the stacks under the mocks (under 1 s each) many times over.",
    "7c": "test:live on an empty engine: the image builds, the first health check 30 s after each rolling step's start (Docker 20.10 has no start_interval), the rehearsal's cloud-init installs, and the four stacks it deploys (dev, ap, daytwo, tlsscan).",
};

export function renderReport(o: ReportInput): string {
    const m = o.machine;
    const out = [
        "# Benchmarks",
        "",
        "Written by `npm run bench` (test/bench/site.ts); do not edit by hand. Issue 9's targets, each measured against its",
        "own reference in the same run (or a recorded figure, said so), with the bench stack (the dev stack's config on ports",
        "48080/48443/49090 and 10.84.0.0/16) deployed from what the program registers. Load comes from the host over loopback",
        "and the stack's own bridge networks. Run it with `npm run bench` (a Docker engine, wrk and openssl on the host; about",
        "4 minutes on 2 cores); it fails only when it cannot run, never on a figure. Other work on the machine shows in every",
        "figure: record it on an otherwise idle machine.",
        "",
        `- Date: ${o.date.toISOString().replace(/\.\d+Z$/, "Z")}`,
        `- Machine: ${m.cores} cores (${m.cpuModel}), ${m.memoryGiB.toFixed(1)} GiB memory, ${m.kernel}, Docker ${m.docker}`,
        `- Commit: ${m.commit}`,
        `- The bench took ${o.benchSeconds.toFixed(0)} s: ${o.phases.map(([p, t]) => `${p} ${t.toFixed(0)} s`).join(", ")}.`,
        "",
        "| # | what | target | measured | reference (same run) | ratio | result |",
        "|---|---|---|---|---|---|---|",
        ...o.rows.map((r) => `| ${[r.id, r.what, r.target, r.measured, r.reference, r.ratio, verdict(r.met)].map(cell).join(" | ")} |`),
        "",
    ];
    const missed = o.rows.filter((r) => r.met === false);
    if (missed.length > 0) {
        out.push("## What limits the missed targets", "", ...missed.map((r) => `- **${r.id}**: ${LIMITS[r.id] ?? "see the details."}`), "");
    }
    out.push("## Details", "");
    for (const r of o.rows) {
        out.push(`### ${r.id}. ${r.what}`, "", ...r.details.map((d) => `- ${d}`), "");
    }
    out.push("## Containers after the load", "", "`docker stats --no-stream`, once every measurement had run:", "");
    if (o.stats.length === 0) out.push("Not measured in this run: the stack was not running.", "");
    else out.push("| container | memory | CPU |", "|---|---|---|", ...o.stats, "");
    return out.join("\n");
}

export function writeReport(text: string): void {
    fs.mkdirSync(path.dirname(REPORT), { recursive: true });
    fs.writeFileSync(REPORT, text);
}
