// The foobar-infra policy pack: `pulumi preview --policy-pack policy` (and `pulumi up`) from the
// project's root. Constructing the PolicyPack serves the policies to the engine over gRPC, so only
// this file does it; the unit tests import policies.ts and the checks instead.
import { PolicyPack } from "@pulumi/policy";
import { POLICIES } from "./policies";

new PolicyPack("foobar-infra", {
    description: "The security review's rules for foobar-infra on AWS (issue 7, item 12); every policy is mandatory.",
    enforcementLevel: "mandatory",
    policies: POLICIES,
});
