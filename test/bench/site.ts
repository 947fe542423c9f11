// Benchmarks that print numbers (no pass/fail on speed): program evaluation under the mocks,
// then wrk against the deployed dev stack over loopback, and each container's memory.
// Run: npm run bench   (needs a Docker engine and wrk)
import * as path from "path";
import { defineStack } from "../../components/stack";
import { loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { captureStack, removeLeftovers } from "../live/capture";
import { DockerDeployer } from "../live/deployer";
import { docker, dockerRun } from "../live/docker";
import { siteOf, waitServing } from "../live/probes";
import { spawnSync } from "child_process";

const ROOT = path.join(__dirname, "..", "..");
const DURATION = process.env.BENCH_SECONDS ?? "10";
const CONNECTIONS = process.env.BENCH_CONNECTIONS ?? "32";

async function evaluationMs(): Promise<number[]> {
    const times: number[] = [];
    for (let i = 0; i < 5; i++) {
        const started = process.hrtime.bigint();
        await runUnderMocks(loadStackConfig("dev"), defineStack);
        times.push(Number(process.hrtime.bigint() - started) / 1e6);
    }
    return times.sort((a, b) => a - b);
}

/** wrk's own summary lines, reduced to the numbers that matter. */
function wrk(url: string, host: string): Record<string, string> {
    const r = spawnSync("wrk", ["-t2", `-c${CONNECTIONS}`, `-d${DURATION}s`, "--latency", "-H", `Host: ${host}`, url], {
        encoding: "utf8",
    });
    if (r.status !== 0) throw new Error(`wrk failed: ${r.stderr}`);
    const out = r.stdout;
    const pick = (re: RegExp) => re.exec(out)?.[1] ?? "-";
    return {
        "req/s": pick(/Requests\/sec:\s+([\d.]+)/),
        p50: pick(/\s50%\s+(\S+)/),
        p99: pick(/\s99%\s+(\S+)/),
        requests: pick(/(\d+) requests in/),
        "non-2xx/3xx": pick(/Non-2xx or 3xx responses:\s+(\d+)/) === "-" ? "0" : pick(/Non-2xx or 3xx responses:\s+(\d+)/),
        "socket errors": pick(/Socket errors:\s+(.*)/) === "-" ? "none" : pick(/Socket errors:\s+(.*)/),
    };
}

async function main(): Promise<void> {
    spawnSync("bash", [path.join(ROOT, "scripts", "ensure-base-image.sh")], { stdio: "inherit" });
    const evals = await evaluationMs();
    console.log(
        `program evaluation under mocks (dev stack, 5 runs): min ${evals[0].toFixed(0)} ms, median ${evals[2].toFixed(0)} ms, max ${evals[4].toFixed(0)} ms`,
    );

    const captured = await captureStack("bench");
    await removeLeftovers(captured.name);
    const deployer = new DockerDeployer(ROOT);
    try {
        await deployer.deploy(captured.resources);
        const site = siteOf(captured);
        await waitServing(site, ["server-1", "server-2"]);
        const base = `https://${site.address}:${site.httpsPort}`;
        const host = `${site.domain}:${site.httpsPort}`;
        const rows: Array<[string, Record<string, string>]> = [
            ["GET / (visit: write on primary, read on replica)", wrk(`${base}/`, host)],
            ["GET /static/style.css (nginx)", wrk(`${base}/static/style.css`, host)],
        ];
        console.log(`\nwrk over loopback, ${CONNECTIONS} connections, 2 threads, ${DURATION} s each:`);
        console.table(Object.fromEntries(rows));
        const stats = await docker([
            "stats",
            "--no-stream",
            "--format",
            "{{.Name}}\t{{.MemUsage}}\t{{.CPUPerc}}",
            ...(await containerNames(captured.name)),
        ]);
        console.log(`\ncontainer memory and CPU right after the load:\n${stats}`);
    } finally {
        await deployer.destroy();
        await removeLeftovers(captured.name);
    }
}

async function containerNames(stack: string): Promise<string[]> {
    return (await dockerRun(["ps", "--format", "{{.Names}}", "--filter", `label=foobar.stack=${stack}`])).stdout
        .split(/\s+/)
        .filter(Boolean)
        .sort();
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
