// Entry point of the foobar-infra Pulumi program: one FoobarInfra per stack, configured by the
// `foobar:` namespace of Pulumi.<stack>.yaml (see README.md for every key). Every output of the
// component (components/outputs.ts) is a stack output.
import { defineStack } from "./components/stack";

export = defineStack();
