// The mocks themselves: a resource type they do not model, or an error in an apply, must fail the
// run, never pass quietly or hang; and a second run against the first's state keeps what the
// engine keeps.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../helpers/pulumiMocks";

class RandomId extends pulumi.CustomResource {
    constructor(name: string, keepers: pulumi.Input<string>) {
        super("random:index/randomId:RandomId", name, { byteLength: 8, keepers: { k: keepers } });
    }
}

class Unmodelled extends pulumi.CustomResource {
    constructor(name: string) {
        super("example:index/unmodelled:Unmodelled", name, {});
    }
}

describe("pulumi mocks", () => {
    it("fail the run on a resource type they do not model (the SDK alone would only log it)", async () => {
        await assert.rejects(
            runUnderMocks({}, () => ({ id: new Unmodelled("x").id })),
            /mock: resource type example:index\/unmodelled:Unmodelled \(x\) is not modelled/,
        );
    });

    it("fail the run on an error thrown in an apply (the registrations waiting on it never come)", async () => {
        await assert.rejects(
            runUnderMocks({}, () => {
                const value = pulumi.output("x").apply((): string => {
                    throw new Error("boom in an apply");
                });
                return { id: new RandomId("r", value).id };
            }),
            /boom in an apply/,
        );
    });

    it("keep outputs for unchanged inputs, make new ones for changed inputs, and keep a Stash's first value", async () => {
        const program = (keeper: string, stashed: string) => () => ({
            random: new RandomId("r", keeper).id,
            stash: new pulumi.Stash("s", { input: stashed }).output,
        });
        const first = await runUnderMocks({}, program("a", "ami-1"));
        const hex = (run: typeof first) => run.resources.find((r) => r.name === "r")?.state.hex;
        const stash = (run: typeof first) => run.resources.find((r) => r.name === "s")?.state.output;
        const same = await runUnderMocks({}, program("a", "ami-2"), { previous: first.resources });
        const changed = await runUnderMocks({}, program("b", "ami-2"), { previous: first.resources });
        const fresh = await runUnderMocks({}, program("a", "ami-2"));
        assert.equal(hex(same), hex(first));
        assert.notEqual(hex(changed), hex(first));
        assert.deepEqual([stash(first), stash(same), stash(fresh)], ["ami-1", "ami-1", "ami-2"]);
    });
});
