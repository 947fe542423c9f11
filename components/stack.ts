// The program behind index.ts: read the stack config, build the component, return its outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stack";
import { FoobarInfraArgs } from "./config/args";
import { FoobarInfra } from "./foobarInfra";
import { FOOBAR_SCHEMA } from "./foobarSchema";
import { FoobarOutputs, outputsOf } from "./outputs";

export function defineStack(): FoobarOutputs {
    // Stack config is untyped JSON; FoobarInfra's validateArgs checks every key before use.
    const infra = new FoobarInfra(`foobar-${pulumi.getStack()}`, readStackConfig(FOOBAR_SCHEMA) as FoobarInfraArgs);
    return outputsOf(infra);
}
