// The whole config schema, the platform-agnostic keys and each platform's section, and
// validateArgs, which checks every key at once before any resource exists.
import * as pulumi from "@pulumi/pulumi";
import { Check, valueAt } from "./config/check";
import { CORE_FIELDS, checkCore } from "./config/coreSchema";
import { Problems } from "./config/problems";
import { ResolvedArgs } from "./config/resolved";
import { GroupField, resolveGroup } from "./config/schema";
import { AWS_SCHEMA, checkAws } from "./platforms/aws/args";
import { DOCKER_SCHEMA, checkDocker } from "./platforms/docker/args";

type PlatformName = ResolvedArgs["platform"];

/** Each platform's section of stack config, named after it (`docker.*`, `aws.*`), and its rules. */
const PLATFORM_SETTINGS: Record<PlatformName, { readonly schema: GroupField; readonly check: Check }> = {
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

export interface ValidateOptions {
    /** Now, for certificate validity. @default the current time */
    readonly now?: Date;
    /** Where warnings go. @default pulumi.log.warn */
    readonly warn?: (message: string) => void;
    /** Problems found before the args (the stack config reader's), listed first. */
    readonly earlier?: ReadonlyArray<{ readonly key: string; readonly value: unknown; readonly fix: string }>;
}

/**
 * Checks every argument and applies the defaults. Throws one ConfigError that lists, for each
 * problem, the stack config key, the value received (never a secret) and the fix: each key on
 * its own, in schema order, then the rules across keys. `args` is untyped on purpose: stack
 * config is only JSON until it has passed here.
 */
export function validateArgs(args: unknown, options: ValidateOptions = {}): ResolvedArgs {
    const p = new Problems();
    for (const e of options.earlier ?? []) p.add(e.key, e.value, e.fix);
    // The schema and config/resolved.ts are one declaration (test/unit/configSchema.test.ts), so
    // the resolved value has that type.
    const resolved = resolveGroup(p, "", args, FOOBAR_SCHEMA, {}) as ResolvedArgs;
    const context = {
        p,
        args: resolved,
        raw: (key: string) => valueAt(args, key),
        now: options.now ?? new Date(),
        warn: options.warn ?? ((message: string) => void pulumi.log.warn(message)),
    };
    checkCore(context);
    for (const [name, settings] of Object.entries(PLATFORM_SETTINGS)) {
        // Another platform's keys would be ignored silently: a typo in `platform`, or a leftover.
        if (name !== resolved.platform && context.raw(name) !== undefined) {
            // The value as given: a secret stays masked.
            const given = typeof args === "object" && args !== null ? (args as Record<string, unknown>)[name] : undefined;
            p.add(name, given, `is only read on platform "${name}"; remove it, or set platform to "${name}".`);
        }
        settings.check(context);
    }
    p.throwIfAny();
    return resolved;
}
