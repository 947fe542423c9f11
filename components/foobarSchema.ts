// The whole config schema, the platform-agnostic keys and each platform's section, and
// validateArgs, which checks every key at once before any resource exists.
import { ResolvedArgs } from "./config/resolved";
import { CORE_FIELDS, checkCore } from "./config/coreSchema";
import { Problems } from "./config/problems";
import { GroupField, resolveGroup } from "./config/schema";
import { AWS_SCHEMA, checkAws } from "./platforms/aws/args";
import { DOCKER_SCHEMA, checkDocker } from "./platforms/docker/args";

/** One section of stack config per platform, named after it: `docker.*`, `aws.*`. */
const PLATFORM_SECTIONS: Record<ResolvedArgs["platform"], GroupField> = { docker: DOCKER_SCHEMA, aws: AWS_SCHEMA };

export const FOOBAR_SCHEMA: GroupField = {
    type: "group",
    names: { args: "FoobarInfraArgs", resolved: "ResolvedArgs" },
    doc: "The arguments of FoobarInfra: stack config's `foobar:` namespace.",
    fields: { ...CORE_FIELDS, ...PLATFORM_SECTIONS },
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
    checkDocker(p, resolved, given);
    checkAws(p, resolved, given);
    p.throwIfAny();
    return resolved;
}
