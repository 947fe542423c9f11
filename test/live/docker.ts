// Thin access to the local Docker engine: the CLI for simple verbs, the Engine API (unix socket)
// where the CLI would change meaning (exec-form health checks, archive uploads).
import { execFile, spawn } from "child_process";
import * as fs from "fs";
import * as http from "http";
import * as os from "os";
import * as path from "path";

export const DOCKER_SOCKET = process.env.DOCKER_SOCKET ?? "/var/run/docker.sock";

export interface RunResult {
    readonly code: number;
    readonly stdout: string;
    readonly stderr: string;
}

/** Runs `docker ...`; never throws, the caller decides what a failure means. */
export function dockerRun(
    args: readonly string[],
    options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
    return new Promise((resolve) => {
        // No input: stdin is not even a pipe. With input: a docker that exits before reading it
        // (a failed exec, say) makes the write fail with EPIPE, which is not this call's failure:
        // the exit code below tells it.
        const child = spawn("docker", args, {
            env: options.env ?? process.env,
            stdio: [options.input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
        });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const timer = options.timeoutMs ? setTimeout(() => child.kill("SIGKILL"), options.timeoutMs) : undefined;
        child.stdout?.on("data", (d: Buffer) => out.push(d));
        child.stderr?.on("data", (d: Buffer) => err.push(d));
        child.on("close", (code) => {
            if (timer) clearTimeout(timer);
            resolve({ code: code ?? -1, stdout: Buffer.concat(out).toString(), stderr: Buffer.concat(err).toString() });
        });
        child.on("error", (e) => {
            if (timer) clearTimeout(timer);
            resolve({ code: -1, stdout: "", stderr: String(e) });
        });
        if (options.input !== undefined) {
            child.stdin?.on("error", () => undefined);
            child.stdin?.end(options.input);
        }
    });
}

/** Runs `docker ...` and throws with its stderr when it fails. */
export async function docker(
    args: readonly string[],
    options: { input?: Buffer | string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<string> {
    const r = await dockerRun(args, options);
    if (r.code !== 0) throw new Error(`docker ${args.slice(0, 3).join(" ")} ... failed (${r.code}): ${r.stderr.trim() || r.stdout.trim()}`);
    return r.stdout;
}

/** One Engine API call; JSON in, JSON (or nothing) out. T is what the caller expects back (not checked). */
export function dockerApi<T = unknown>(method: string, apiPath: string, body?: unknown, contentType = "application/json"): Promise<T> {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body));
    return new Promise((resolve, reject) => {
        const req = http.request(
            {
                socketPath: DOCKER_SOCKET,
                method,
                path: apiPath,
                headers: payload ? { "Content-Type": contentType, "Content-Length": payload.length } : {},
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString();
                    if ((res.statusCode ?? 500) >= 300) {
                        reject(new Error(`docker API ${method} ${apiPath}: ${res.statusCode} ${text.trim()}`));
                        return;
                    }
                    resolve((text ? JSON.parse(text) : undefined) as T);
                });
            },
        );
        req.on("error", reject);
        req.end(payload);
    });
}

/** One entry of an upload: a file (with content) or a directory (without). */
export interface TarEntry {
    readonly path: string;
    readonly mode: number;
    readonly content?: Buffer | string;
}

/** A tar of exact entries (root-owned, exact modes, Buffers as they are), made by the system's tar, for PUT /archive. */
export function tarEntries(entries: readonly TarEntry[]): Promise<Buffer> {
    // Written through a scratch dir so modes are exact. Only the listed entries go in (no
    // parents), so existing directories such as /etc or /root keep their owner and mode; missing
    // parents are created by the engine.
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-upload-"));
    const rel = entries.map((e) => {
        const relPath = e.path.replace(/^\/+/, "");
        const full = path.join(dir, relPath);
        fs.mkdirSync(e.content === undefined ? full : path.dirname(full), { recursive: true });
        if (e.content !== undefined) fs.writeFileSync(full, e.content);
        fs.chmodSync(full, e.mode);
        return relPath;
    });
    return new Promise((resolve, reject) => {
        execFile(
            "tar",
            ["-C", dir, "--owner=0", "--group=0", "--no-recursion", "-cf", "-", ...rel],
            { encoding: "buffer", maxBuffer: 64 << 20 },
            (err, stdout) => {
                fs.rmSync(dir, { recursive: true, force: true });
                if (err) reject(err);
                else resolve(stdout);
            },
        );
    });
}

export function sleep(ms: number): Promise<void> {
    return new Promise((r) => setTimeout(r, ms));
}
