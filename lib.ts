// The npm library (package.json `exports`, compiled to dist/ by `npm run build`):
// `import { FoobarInfra } from "foobar-infra"` in a TypeScript Pulumi program.
export * from "./components/config/args";
export { FOOBAR_INFRA_TYPE, FoobarInfra } from "./components/foobarInfra";
export type { FoobarOutputs, ServerSummary, ServiceSummary } from "./components/outputs";
export { ConfigError } from "./components/config/problems";
