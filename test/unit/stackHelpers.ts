// Shared by the stack tests: runs defineStack under mocks with dev config overrides, and reads the records.
import assert from "node:assert/strict";
import { defineStack } from "../../components/stack";
import { RecordedResource, StackRun, TYPES, byType, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";

export type Outputs = ReturnType<typeof defineStack>;

const runs = new Map<string, Promise<StackRun<Outputs>>>();

/** The dev stack file with some `foobar:` keys replaced; one run per distinct config, shared by tests that only read it. */
export function runDev(overrides: Record<string, unknown> = {}, stack = "dev"): Promise<StackRun<Outputs>> {
    const key = JSON.stringify([overrides, stack]);
    let run = runs.get(key);
    if (!run) {
        run = withPlainStackTraces(() => runUnderMocks({ ...loadStackConfig("dev"), ...overrides }, defineStack, { stack }));
        runs.set(key, run);
    }
    return run;
}

/**
 * Every resource constructor captures `new Error().stack` for its source position; under ts-node
 * each capture is source-mapped (~10 ms), which makes one stack run ~300 ms. V8's own formatting
 * during the run brings it under 100 ms. Restored afterwards, so test failures stay source-mapped.
 */
export async function withPlainStackTraces<T>(fn: () => Promise<T>): Promise<T> {
    const error = Error as { prepareStackTrace?: unknown };
    const saved = error.prepareStackTrace;
    error.prepareStackTrace = undefined;
    try {
        return await fn();
    } finally {
        error.prepareStackTrace = saved;
    }
}

/** Resources per short type name (see TYPES), plus "component". */
export function countByType(resources: readonly RecordedResource[]): Record<string, number> {
    const short = new Map<string, string>(Object.entries(TYPES).map(([k, v]) => [v, k]));
    const counts: Record<string, number> = {};
    for (const r of resources) {
        const key = r.type === "foobar:index:FoobarInfra" ? "component" : (short.get(r.type) ?? r.type);
        counts[key] = (counts[key] ?? 0) + 1;
    }
    return counts;
}

export const containers = (run: StackRun<Outputs>) => byType(run.resources, TYPES.container);

export function container(run: StackRun<Outputs>, name: string): RecordedResource {
    const found = containers(run).find((c) => c.name === name);
    assert.ok(
        found,
        `no container ${name}; have ${containers(run)
            .map((c) => c.name)
            .join(", ")}`,
    );
    return found;
}

/** The content of the upload to `file` in a container. */
export function upload(c: RecordedResource, file: string): string {
    const found = (c.inputs.uploads as Array<{ file: string; content: string }>).find((u) => u.file === file);
    assert.ok(found, `${c.name} has no upload ${file}`);
    return found.content;
}

/** True when `path` arrived as a secret, itself or inside a secret parent ("uploads" covers "uploads[1].content"). */
export function isSecretAt(r: RecordedResource, path: string): boolean {
    return r.secretPaths.some((s) => path === s || path.startsWith(`${s}.`) || path.startsWith(`${s}[`));
}

/** Every string leaf of a value with its path, in the secretPaths notation. */
export function stringLeaves(value: unknown, at = ""): Array<[string, string]> {
    if (typeof value === "string") return [[at, value]];
    if (Array.isArray(value)) return value.flatMap((v, i) => stringLeaves(v, `${at}[${i}]`));
    if (value !== null && typeof value === "object") {
        return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, at ? `${at}.${k}` : k));
    }
    return [];
}

/** haproxy.cfg's backend lines of one run. */
export function haproxyLines(run: StackRun<Outputs>, haproxyName: string, prefix: string): string[] {
    return upload(container(run, haproxyName), "/etc/haproxy/haproxy.cfg")
        .split("\n")
        .filter((l) => l.startsWith(prefix));
}
