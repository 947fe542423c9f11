// The program behind index.ts: read the stack config, build the component, return its outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stack";
import { FoobarInfraArgs } from "./config/args";
import { FoobarInfra } from "./foobarInfra";
import { FOOBAR_SCHEMA, validateArgs } from "./foobarSchema";
import { FoobarOutputs, outputsOf } from "./outputs";

export function defineStack(): FoobarOutputs {
    const config = readStackConfig(FOOBAR_SCHEMA);
    // Every problem of the stack config at once, keys in the wrong namespace included, before the
    // component exists (it validates its args again itself, as it must when used from a program).
    validateArgs(config.args, { earlier: config.misplaced, warn: () => undefined });
    // Checked: stack config is untyped JSON until here; secrets keep their wrapper for the component's own check.
    const infra = new FoobarInfra(`foobar-${pulumi.getStack()}`, config.args as FoobarInfraArgs);
    return outputsOf(infra);
}
