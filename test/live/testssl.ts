// Runs testssl.sh (Debian's package: the command is `testssl`) against a site on loopback and
// reads its flat JSON findings.
import { spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

/** One entry of testssl's flat JSON output (--jsonfile). */
export interface TestsslFinding {
    readonly id: string;
    readonly severity: string;
    readonly finding: string;
}

export interface TestsslRun {
    readonly findings: readonly TestsslFinding[];
    readonly seconds: number;
    /** testssl's exit status: how many checks could not complete (findings are rated in the JSON). */
    readonly exitCode: number;
    readonly output: string;
}

/**
 * The checks that matter, without the client simulation (most of a full run's 10 minutes):
 * protocols, ciphers per protocol, server defaults (the certificate), HTTP headers, vulnerabilities.
 */
export const TESTSSL_CHECKS = ["--protocols", "--cipher-per-proto", "--server-defaults", "--headers", "--vulnerable"] as const;

/** Ratings that fail the scan unless the finding is accepted by id. */
export const FAILING_SEVERITIES = ["MEDIUM", "HIGH", "CRITICAL", "FATAL"];
/** Not a rating of the server: a check testssl could not complete. */
export const SCANNER_WARNING = "WARN";

/**
 * Scans https://<domain>:<port>/ at `address` without any DNS lookup, trusting `caPem` (the
 * stack's own CA). Fails if testssl is missing, runs past `timeoutMs` or ends before its summary.
 */
export async function runTestssl(
    site: { domain: string; address: string; port: number; caPem: string },
    timeoutMs: number,
): Promise<TestsslRun> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-testssl-"));
    try {
        const ca = path.join(dir, "ca.pem");
        const json = path.join(dir, "findings.json");
        fs.writeFileSync(ca, site.caPem);
        const args = [
            "--quiet",
            "--color",
            "0",
            // Continue past warnings instead of asking; each one still lands in the JSON as WARN.
            "--warnings",
            "off",
            "--nodns",
            "none",
            "--ip",
            site.address,
            "--add-ca",
            ca,
            "--connect-timeout",
            "5",
            "--openssl-timeout",
            "10",
            "--jsonfile",
            json,
            ...TESTSSL_CHECKS,
            `https://${site.domain}:${site.port}/`,
        ];
        const started = Date.now();
        const { code, output } = await run("testssl", args, timeoutMs);
        const seconds = Math.round((Date.now() - started) / 100) / 10;
        const findings = fs.existsSync(json)
            ? (JSON.parse(fs.readFileSync(json, "utf8")) as TestsslFinding[]).map(({ id, severity, finding }) => ({
                  id,
                  severity,
                  finding,
              }))
            : [];
        // scanTime is its last entry: without it the scan stopped early.
        if (!findings.some((f) => f.id === "scanTime")) throw new Error(`testssl stopped (exit ${code}) after ${seconds} s:\n${output}`);
        return { findings, seconds, exitCode: code, output };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function run(command: string, args: readonly string[], timeoutMs: number): Promise<{ code: number; output: string }> {
    return new Promise((resolve, reject) => {
        // Its own process group, so a timeout ends the openssl processes it started too.
        const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"], detached: true });
        const chunks: Buffer[] = [];
        child.stdout.on("data", (d: Buffer) => chunks.push(d));
        child.stderr.on("data", (d: Buffer) => chunks.push(d));
        const timer = setTimeout(() => {
            if (child.pid !== undefined) process.kill(-child.pid, "SIGKILL");
            reject(new Error(`${command} ran past ${timeoutMs} ms:\n${Buffer.concat(chunks).toString()}`));
        }, timeoutMs);
        child.on("error", (e) => {
            clearTimeout(timer);
            reject(new Error(`${command} did not start (${e.message}); install Debian's testssl.sh package`));
        });
        child.on("close", (code) => {
            clearTimeout(timer);
            resolve({ code: code ?? -1, output: Buffer.concat(chunks).toString() });
        });
    });
}
