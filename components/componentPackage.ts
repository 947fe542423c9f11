// FoobarInfra as a component package that any Pulumi language can use (`pulumi package add`):
// the options of its provider. provider.ts hosts it, `npm run schema` prints its schema, and
// test/unit/componentPackage.test.ts checks the schema and the provider's construct.
import { ComponentProvider, ComponentProviderOptions } from "@pulumi/pulumi/provider/experimental";
import { FoobarInfra } from "./foobarInfra";
import { PACKAGE_ROOT } from "./packageRoot";

/** The package's name, the first part of the type token: foobar:index:FoobarInfra. */
export const PACKAGE_NAME = "foobar";

/**
 * The schema is read from the TypeScript sources under PACKAGE_ROOT (its tsconfig.json and
 * package.json's entry point, provider.ts): FoobarInfra's `args` interface and its outputs.
 */
export const providerOptions = (): ComponentProviderOptions => ({ name: PACKAGE_NAME, components: [FoobarInfra], dirname: PACKAGE_ROOT });

export const componentProvider = (): ComponentProvider => new ComponentProvider(providerOptions());
