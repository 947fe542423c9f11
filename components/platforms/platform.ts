// The one interface every platform implements: foobarInfra.ts validates, builds the topology and
// hands it to the platform the config names; the platform maps it onto resources.
import * as pulumi from "@pulumi/pulumi";
import { CertifiedAddresses, Credentials } from "../credentials";
import { FoobarOutputs } from "../outputs";
import { Topology } from "../topology";

export interface DeployContext {
    /** The component's name: every child is named `${name}-...` and parented to `parent`. */
    readonly name: string;
    readonly topology: Topology;
    /** Makes the stack's secrets (passwords, TLS), with certificates for the addresses clients use. */
    readonly credentials: (addresses: CertifiedAddresses) => Credentials;
    readonly parent: pulumi.Resource;
}

/** What a deployment reports: every stack output but the diagram, which is the topology's own. */
export type Deployment = Omit<FoobarOutputs, "diagram">;

export interface Platform {
    /** Checks what stack config cannot, before anything is registered; throws a ConfigError. */
    preflight(): void;
    deploy(context: DeployContext): Deployment;
}

/** The value a platform put in a map under `key`; a missing one is a bug in the platform, named. */
export function mustGet<K, V>(map: ReadonlyMap<K, V>, key: K, what: string): V {
    const value = map.get(key);
    if (value === undefined) throw new Error(`no ${what} ${String(key)}`);
    return value;
}
