// The readiness gate of a web server's instance: "running" is not "serving" (cloud-init takes
// minutes), so each web instance's boot, once its local services pass their health checks, writes
// its own instance id to an SSM parameter of its own (foobar-secrets --ready), and an
// InstanceReadiness resource waits, when created and whenever the instance id changes (a
// replacement), until that parameter holds the new instance's id. The next web server's instance
// depends on it: a change to every web server replaces them one at a time. A pair of load balancers
// behind the NLB (lb.count 2) is gated the same way, the second waiting for the first.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** How long a new instance may take from launch to serving (packages, the data volume, health checks). */
export const READINESS_TIMEOUT_MINUTES = 20;
const POLL_INTERVAL_MS = 10_000;
/** What the parameter holds until an instance writes its id (Pulumi ignores changes to the value). */
export const READINESS_PLACEHOLDER = "pending";

/** The SSM parameter a server's instance writes its id to once it serves. */
export const readinessParameterName = (stack: string, server: string): string => `/foobar/${stack}/ready/${server}`;

/** The part of an SSM client the wait uses: @aws-sdk/client-ssm's SSM, or a fake. */
export interface ReadinessSsm {
    getParameter(input: { Name: string }): Promise<{ Parameter?: { Value?: string } }>;
}

export interface ReadinessWait {
    readonly parameterName: string;
    readonly instanceId: string;
    readonly timeoutMs: number;
    readonly intervalMs: number;
    /** Names the server in errors, e.g. "server-1". */
    readonly label: string;
}

export interface Clock {
    now(): number;
    sleep(ms: number): Promise<void>;
}

const REAL_CLOCK: Clock = { now: () => Date.now(), sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)) };

/**
 * Polls the parameter until it holds `instanceId`. A missing parameter, throttling and network
 * errors are waited out; any other refusal (say, AccessDenied) fails at once. Throws on timeout,
 * saying what the parameter held and where to look.
 */
export async function waitForReadiness(
    ssm: ReadinessSsm,
    wait: ReadinessWait,
    clock: Clock = REAL_CLOCK,
): Promise<{ polls: number; waitedMs: number }> {
    const started = clock.now();
    let polls = 0;
    for (;;) {
        polls++;
        let last: string;
        try {
            const value = (await ssm.getParameter({ Name: wait.parameterName })).Parameter?.Value;
            if (value === wait.instanceId) return { polls, waitedMs: clock.now() - started };
            last = JSON.stringify(value ?? null);
        } catch (err) {
            const e = err as { name?: string; message?: string; $metadata?: { httpStatusCode?: number } };
            const status = e.$metadata?.httpStatusCode ?? 0;
            const transient = e.name === "ParameterNotFound" || /Throttl/.test(e.name ?? "") || status === 0 || status >= 500;
            if (!transient) throw new Error(`${wait.label}: cannot read ${wait.parameterName}: ${e.name}: ${e.message}`, { cause: err });
            last = `(${e.name ?? "error"}: ${e.message})`;
        }
        if (clock.now() - started + wait.intervalMs > wait.timeoutMs) {
            throw new Error(
                `${wait.label}: instance ${wait.instanceId} did not report ready within ${Math.round(wait.timeoutMs / 60_000)} min: ` +
                    `${wait.parameterName} holds ${last}. Its boot writes its instance id there once its services pass their health checks; ` +
                    `see /var/log/cloud-init-output.log on it (aws ec2 get-console-output --instance-id ${wait.instanceId}).`,
            );
        }
        await clock.sleep(wait.intervalMs);
    }
}

export interface ReadinessInputs {
    readonly server: string;
    readonly parameterName: string;
    readonly instanceId: string;
    readonly region: string;
    /** The aws:profile config, when the stack sets one. */
    readonly profile?: string;
    readonly timeoutMinutes: number;
}

/**
 * The dynamic provider: serialized into the state, so it stays small (the SDK is required inside
 * the methods, not captured). Waits on create; a new instance id (or parameter) is a replacement,
 * hence a create, hence a wait; anything else is recorded without waiting.
 */
export const readinessProvider: pulumi.dynamic.ResourceProvider<ReadinessInputs, ReadinessInputs> = {
    async create(inputs) {
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded where the provider runs, not serialized with it
        const { SSM } = require("@aws-sdk/client-ssm") as typeof import("@aws-sdk/client-ssm");
        const ssm = new SSM({ region: inputs.region, ...(inputs.profile ? { profile: inputs.profile } : {}) });
        try {
            await waitForReadiness(ssm, {
                parameterName: inputs.parameterName,
                instanceId: inputs.instanceId,
                timeoutMs: inputs.timeoutMinutes * 60_000,
                intervalMs: POLL_INTERVAL_MS,
                label: inputs.server,
            });
        } finally {
            ssm.destroy();
        }
        return { id: `${inputs.parameterName}#${inputs.instanceId}`, outs: inputs };
    },
    async diff(_id, olds, news) {
        const replaces = (["instanceId", "parameterName"] as const).filter((k) => olds[k] !== news[k]);
        const changes =
            replaces.length > 0 || (["region", "profile", "timeoutMinutes", "server"] as const).some((k) => olds[k] !== news[k]);
        return { changes, replaces };
    },
    async update(_id, _olds, news) {
        return { outs: news };
    },
};

export interface InstanceReadinessArgs {
    readonly server: string;
    readonly parameterName: pulumi.Input<string>;
    readonly instanceId: pulumi.Input<string>;
    readonly region: string;
    readonly profile?: string;
}

/** Created once the instance serves; replaced (and waited for again) with the instance. */
export class InstanceReadiness extends pulumi.dynamic.Resource {
    constructor(name: string, args: InstanceReadinessArgs, opts: pulumi.CustomResourceOptions) {
        super(readinessProvider, name, { ...args, timeoutMinutes: READINESS_TIMEOUT_MINUTES }, opts, "foobar", "InstanceReadiness");
    }
}

/** The parameter a web server's instance writes its id to; Pulumi creates it and never resets it. */
export function createReadinessParameter(
    name: string,
    stack: string,
    server: string,
    tags: Record<string, string>,
    parent: pulumi.Resource,
): aws.ssm.Parameter {
    return new aws.ssm.Parameter(
        `${name}-ready-${server}`,
        {
            name: readinessParameterName(stack, server),
            type: "String",
            value: READINESS_PLACEHOLDER,
            description: `The id of ${server}'s instance once it serves (foobar-infra readiness gate)`,
            tags,
        },
        // The instance writes the value: an `up` must not put the placeholder back.
        { parent, ignoreChanges: ["value"] },
    );
}
