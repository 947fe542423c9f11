// What a rule across keys works with, once every key has been read on its own.
import { Problems } from "./problems";
import { ResolvedArgs } from "./resolved";
import { reveal } from "./secret";

export interface CheckContext {
    readonly p: Problems;
    /** Every key resolved, defaults applied (a wrong value holds its default; `p.has(key)` tells). */
    readonly args: ResolvedArgs;
    /** What the stack file set at a dotted key ("docker.httpPort"), secrets revealed; undefined when unset. */
    raw(key: string): unknown;
    /** Now, for certificate validity. */
    readonly now: Date;
    /** A warning that does not stop the deployment (a certificate that expires soon). */
    warn(message: string): void;
}

export type Check = (c: CheckContext) => void;

/** The value at a dotted key of untyped args, with any secret wrapper taken off on the way. */
export function valueAt(args: unknown, key: string): unknown {
    return key.split(".").reduce<unknown>((v, k) => {
        const inner = reveal(v);
        return typeof inner === "object" && inner !== null ? reveal((inner as Record<string, unknown>)[k]) : undefined;
    }, args);
}
