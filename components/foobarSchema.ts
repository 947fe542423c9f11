// The whole config schema, the platform-agnostic keys and each platform's section, and
// validateArgs, which checks every key at once before any resource exists.
import { ResolvedArgs } from "./config/resolved";
import { CORE_FIELDS, checkCore } from "./config/coreSchema";
import { Problems } from "./config/problems";
import { GroupField, resolveGroup } from "./config/schema";
import { AWS_SCHEMA, checkAws } from "./platforms/aws/args";
import { DOCKER_SCHEMA, checkDocker } from "./platforms/docker/args";

/** A rule across keys; `given(key)` tells whether the stack file set a key at all. */
type Check = (p: Problems, args: ResolvedArgs, given: (key: string) => boolean) => void;

/** Each platform's section of stack config, named after it (`docker.*`, `aws.*`), and its rules. */
const PLATFORM_SETTINGS: Record<ResolvedArgs["platform"], { readonly schema: GroupField; readonly check: Check }> = {
    docker: { schema: DOCKER_SCHEMA, check: checkDocker },
    aws: { schema: AWS_SCHEMA, check: checkAws },
};

export const FOOBAR_SCHEMA: GroupField = {
    type: "group",
    names: { args: "FoobarInfraArgs", resolved: "ResolvedArgs" },
    doc: "The arguments of FoobarInfra: stack config's `foobar:` namespace.",
    fields: { ...CORE_FIELDS, ...Object.fromEntries(Object.entries(PLATFORM_SETTINGS).map(([name, p]) => [name, p.schema])) },
};

/** Where FOOBAR_SCHEMA is declared, as the generated types name it. */
export const SCHEMA_SOURCES = "components/config/coreSchema.ts, components/platforms/*/args.ts";

/** The value at a dotted key of untyped args, e.g. "docker.httpPort". */
function valueAt(args: unknown, key: string): unknown {
    return key
        .split(".")
        .reduce<unknown>((v, k) => (typeof v === "object" && v !== null ? (v as Record<string, unknown>)[k] : undefined), args);
}

/**
 * Checks every argument and applies the defaults. Throws one ConfigError that lists, for each
 * problem, the stack config key, the value received and the fix: first each key on its own, in
 * schema order, then the rules across keys. `args` is untyped on purpose: stack config is only
 * JSON until it has passed here.
 */
export function validateArgs(args: unknown): ResolvedArgs {
    const p = new Problems();
    // The schema and config/args.ts are one declaration (test/unit/configSchema.test.ts), so the
    // resolved value has that type.
    const resolved = resolveGroup(p, "", args, FOOBAR_SCHEMA, {}) as ResolvedArgs;
    const given = (key: string) => valueAt(args, key) !== undefined;
    checkCore(p, resolved);
    // Every platform's section is checked, whichever platform is chosen: a stack file may carry both.
    for (const settings of Object.values(PLATFORM_SETTINGS)) settings.check(p, resolved, given);
    p.throwIfAny();
    return resolved;
}
