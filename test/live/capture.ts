// Captures what a stack registers, with real keys, certificates and passwords, for the live suite.
import { defineStack } from "../../components/stack";
import { RecordedResource, loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { dockerRun } from "./docker";

export type StackOutputs = Awaited<ReturnType<typeof unwrap<ReturnType<typeof defineStack>>>>;

export interface CapturedStack {
    readonly stack: string;
    readonly resources: RecordedResource[];
    readonly outputs: StackOutputs;
    /** The component name: every docker object carries the label foobar.stack=<this>. */
    readonly name: string;
}

/**
 * A stack file's config (dev by default), with `overrides` (full keys) laid over it. With
 * `previous` (an earlier capture's resources), the run sees them as the stack's state, as a later
 * `pulumi up` would: unchanged resources keep their outputs (keys, passwords, certificates).
 */
export async function captureStack(
    stack: string,
    overrides: Record<string, unknown> = {},
    stackFile = "dev",
    previous?: readonly RecordedResource[],
): Promise<CapturedStack> {
    const config = { ...loadStackConfig(stackFile), ...overrides };
    const run = await runUnderMocks(config, defineStack, { material: "real", stack, previous });
    return { stack, resources: run.resources, outputs: await unwrap(run.outputs), name: `foobar-${stack}` };
}

/** Removes what an earlier, interrupted run of the same stack may have left behind. */
export async function removeLeftovers(name: string): Promise<void> {
    const filter = `label=foobar.stack=${name}`;
    const ids = (await dockerRun(["ps", "-aq", "--filter", filter])).stdout.split(/\s+/).filter(Boolean);
    if (ids.length > 0) await dockerRun(["rm", "-f", "-v", ...ids]);
    const nets = (await dockerRun(["network", "ls", "-q", "--filter", filter])).stdout.split(/\s+/).filter(Boolean);
    if (nets.length > 0) await dockerRun(["network", "rm", ...nets]);
    const vols = (await dockerRun(["volume", "ls", "-q", "--filter", filter])).stdout.split(/\s+/).filter(Boolean);
    if (vols.length > 0) await dockerRun(["volume", "rm", "-f", ...vols]);
}
