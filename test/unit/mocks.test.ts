// The mocks themselves: a resource type they do not model must fail the run, never pass quietly.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { runUnderMocks } from "../helpers/pulumiMocks";

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
});
