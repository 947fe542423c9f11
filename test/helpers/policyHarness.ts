// Runs the policy pack's policies the way @pulumi/policy's analyzer server does, without the engine:
// resource policies on one resource's inputs, stack policies on every resource's outputs, with the
// config the engine would hand over (the schema's defaults, then the pack's config) and
// `notApplicable` as an outcome of its own. Recorded mock runs become the engine's resources.
import { spawn } from "child_process";
import * as path from "path";
import { gzipSync } from "zlib";
import type {
    PolicyConfigSchema,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import * as yaml from "js-yaml";
import { POLICIES } from "../../policy/policies";
import { Props, StackResource, TYPES, Violation } from "../../policy/resources";
import { SECRETS_MANIFEST_PATH } from "../../policy/userData";
import { RecordedResource } from "./pulumiMocks";

export type Policy = (typeof POLICIES)[number];

/** A policy's verdict on a resource or a stack. */
export type Outcome = { readonly violations: Violation[] } | { readonly notApplicable: string };

export const urnOf = (stack: string, type: string, name: string): string => `urn:pulumi:${stack}::foobar-infra::${type}::${name}`;

class NotApplicable extends Error {}

const OPTIONS: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

/** What the engine's analyzer hands a policy besides the resource: type checks, config, notApplicable. */
function common(type: string, props: Props, config: object) {
    const isType = (cls: unknown) => (cls as { __pulumiType?: string }).__pulumiType === type;
    return {
        isType,
        asType: ((cls: unknown) => (isType(cls) ? props : undefined)) as never,
        getConfig: (() => config) as never,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason ?? "Policy does not apply");
        },
    };
}

/** The policy's config as the engine applies it: each property's default, then what the pack's config sets. */
export function configFor(schema: PolicyConfigSchema | undefined, config: object = {}): object {
    const defaults = Object.entries(schema?.properties ?? {}).flatMap(([k, p]) => (p.default === undefined ? [] : [[k, p.default]]));
    return { ...Object.fromEntries(defaults), ...config };
}

async function outcome(run: () => Promise<void> | void, violations: Violation[]): Promise<Outcome> {
    try {
        await run();
        return { violations };
    } catch (err) {
        if (err instanceof NotApplicable) return { notApplicable: err.message };
        throw err;
    }
}

export interface ResourceInput {
    readonly type: string;
    readonly name: string;
    readonly props: Props;
    /** The stack the URN names; default "staging". */
    readonly stack?: string;
}

export async function runResourcePolicy(policy: ResourceValidationPolicy, r: ResourceInput, config?: object): Promise<Outcome> {
    const violations: Violation[] = [];
    const args: ResourceValidationArgs = {
        type: r.type,
        props: r.props,
        urn: urnOf(r.stack ?? "staging", r.type, r.name),
        name: r.name,
        opts: OPTIONS,
        stackTags: new Map(),
        ...common(r.type, r.props, configFor(policy.configSchema, config)),
    };
    const validations = policy.validateResource === undefined ? [] : [policy.validateResource].flat();
    return outcome(async () => {
        for (const validate of validations) await validate(args, (message) => violations.push({ message }));
    }, violations);
}

export interface StackInput {
    readonly type: string;
    readonly name: string;
    readonly props: Props;
    /** Property -> names of the resources its value came from. */
    readonly dependsOn?: Readonly<Record<string, readonly string[]>>;
}

/** The engine's resources for a stack policy: URNs, and property dependencies resolved to resources. */
export function stackResources(stack: string, inputs: readonly StackInput[]): PolicyResource[] {
    const resources = inputs.map((r): PolicyResource => ({
        type: r.type,
        name: r.name,
        urn: urnOf(stack, r.type, r.name),
        props: r.props,
        opts: OPTIONS,
        dependencies: [],
        propertyDependencies: {},
        ...common(r.type, r.props, {}),
    }));
    inputs.forEach((r, i) => {
        for (const [prop, names] of Object.entries(r.dependsOn ?? {}))
            resources[i].propertyDependencies[prop] = names.map((n) => {
                const found = resources.find((d) => d.name === n);
                if (!found) throw new Error(`${r.name}.${prop} depends on ${n}, which is not in the stack`);
                return found;
            });
        resources[i].dependencies = [...new Set(Object.values(resources[i].propertyDependencies).flat())];
    });
    return resources;
}

export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: readonly StackResource[],
    config?: object,
): Promise<Outcome> {
    const violations: Violation[] = [];
    const args = {
        resources: resources as PolicyResource[],
        stackTags: new Map<string, string>(),
        ...common("", {}, configFor(policy.configSchema, config)),
    };
    return outcome(() => policy.validateStack(args, (message, urn) => violations.push({ message, urn })), violations);
}

/** A mock run's resources as the engine would show a stack policy: outputs, with the mocks' ids. */
export const recordedStack = (stack: string, recorded: readonly RecordedResource[]): PolicyResource[] =>
    stackResources(
        stack,
        recorded.map((r) => ({ type: r.type, name: r.name, props: { id: `${r.name}-id`, ...r.state } })),
    );

/**
 * Every violation of one policy on a recorded run, each as "<resource name>: <message>": resource
 * policies see each resource's inputs, stack policies the outputs of all.
 */
export async function violationsOn(policy: Policy, stack: string, recorded: readonly RecordedResource[]): Promise<string[]> {
    const named = (o: Outcome, name: (v: Violation) => string) =>
        "violations" in o ? o.violations.map((v) => `${name(v)}: ${v.message}`) : [];
    if ("validateStack" in policy)
        return named(await runStackPolicy(policy, recordedStack(stack, recorded)), (v) => (v.urn ?? "").split("::").pop() ?? "");
    const outcomes = await Promise.all(
        recorded.map((r) => runResourcePolicy(policy, { type: r.type, name: r.name, props: r.inputs, stack })),
    );
    return outcomes.flatMap((o, i) => named(o, () => recorded[i].name));
}

/** A cloud-config as the program writes it: a secrets manifest listing `parameters` (key -> name), then `files`. */
export function cloudConfig(parameters: Record<string, string>, files: ReadonlyArray<{ path: string; content: string }> = []): string {
    const manifest = { path: SECRETS_MANIFEST_PATH, content: JSON.stringify({ region: "eu-west-1", parameters, files: [] }) };
    return `#cloud-config\n${yaml.dump({ write_files: [manifest, ...files] }, { lineWidth: -1 })}`;
}

/** User data as the program passes it: gzip, then base64. */
export const gzipBase64 = (text: string): string => gzipSync(Buffer.from(text)).toString("base64");

/**
 * Serves policy/ as `pulumi preview --policy-pack policy` does (the SDK's run-policy-pack, in the
 * pack's directory, TypeScript type-checked with the SDK's defaults); resolves with the port the
 * pack prints for the engine, then stops it.
 */
export function servePack(): Promise<string> {
    const root = path.join(__dirname, "..", "..");
    const runner = path.join(root, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    const child = spawn(process.execPath, [runner, "127.0.0.1:1", "."], { cwd: path.join(root, "policy"), stdio: "pipe" });
    let stderr = "";
    child.stderr.on("data", (d) => (stderr += d));
    return new Promise<string>((resolve, reject) => {
        child.stdout.once("data", (d) => resolve(String(d).trim()));
        child.once("exit", (code) => reject(new Error(`the pack exited (${code}) before serving: ${stderr}`)));
    }).finally(() => child.kill());
}

// Fixtures: a small AWS stack as the engine shows it, ids and AWS names made up.

export const sg = (group: string): StackInput => ({ type: TYPES.securityGroup, name: `s-${group}`, props: { id: `sg-${group}` } });
export const ingress = (name: string, group: string, peer: object, from: number, to = from, protocol = "tcp"): StackInput => ({
    type: TYPES.ingressRule,
    name,
    props: { securityGroupId: `sg-${group}`, ipProtocol: protocol, fromPort: from, toPort: to, ...peer },
});
export const OPEN = { cidrIpv4: "0.0.0.0/0" };
export const vpc: StackInput = { type: TYPES.vpc, name: "s-vpc", props: { id: "vpc-1" } };
export const flowLog = (props: object, dependsOn?: Record<string, string[]>): StackInput => ({
    type: TYPES.flowLog,
    name: "s-flow",
    props,
    dependsOn,
});

export const ARN = (key: string) => `arn:aws:ssm:eu-west-1:123456789012:parameter/foobar/staging/${key}`;
const parameter = (key: string): StackInput => ({
    type: TYPES.parameter,
    name: `s-${key}`,
    props: { name: `/foobar/staging/${key}`, arn: ARN(key) },
});
/** A trust policy: `service` may assume the role. */
export const trusting = (service: string): string =>
    JSON.stringify({ Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });
/** A server's role (AWS names: a random suffix), its instance profile and its instance, whose user data lists `keys`. */
const server = (n: string, keys: readonly string[]): StackInput[] => [
    {
        type: TYPES.role,
        name: `s-${n}`,
        props: { id: `s-${n}-0a1b`, name: `s-${n}-0a1b`, assumeRolePolicy: trusting("ec2.amazonaws.com") },
    },
    { type: TYPES.instanceProfile, name: `s-${n}`, props: { id: `s-${n}-9f8e`, name: `s-${n}-9f8e`, role: `s-${n}-0a1b` } },
    {
        type: TYPES.instance,
        name: `s-${n}`,
        props: {
            iamInstanceProfile: `s-${n}-9f8e`,
            userDataBase64: gzipBase64(cloudConfig(Object.fromEntries(keys.map((k) => [k, `/foobar/staging/${k}`])))),
        },
    },
];
export const inline = (role: string, name: string, statement: object): StackInput => ({
    type: TYPES.rolePolicy,
    name,
    props: { role, policy: JSON.stringify({ Version: "2012-10-17", Statement: [statement] }) },
});
export const reads = (n: string, resource: string | string[], action: string | string[] = ["ssm:GetParameter"]) =>
    inline(`s-${n}-0a1b`, `s-${n}-parameters`, { Effect: "Allow", Action: action, Resource: resource });
export const attach = (arn: string, role = "s-server-1-0a1b", name = "s-server-1-attached"): StackInput => ({
    type: TYPES.rolePolicyAttachment,
    name,
    props: { role, policyArn: arn },
});
const SESSION_MANAGER = { Effect: "Allow", Action: ["ssm:UpdateInstanceInformation", "ssmmessages:OpenDataChannel"], Resource: "*" };
export const SSM_BASE: readonly StackInput[] = [
    ...["db-app-password", "tls-private-key"].map(parameter),
    ...server("server-1", ["db-app-password"]),
    ...server("server-3", ["db-app-password", "tls-private-key"]),
    inline("s-server-1-0a1b", "s-server-1-session-manager", SESSION_MANAGER),
    reads("server-3", [ARN("db-app-password"), ARN("tls-private-key")]),
];
