// The component package's provider, package.json's `main`: the Pulumi engine runs it (PulumiPlugin.yaml)
// for a program in any language that added this package (`pulumi package add`), and Pulumi's schema
// analyzer starts here and follows the imports to FoobarInfra's TypeScript.
//
// It runs the compiled modules (dist/, built by `npm install`'s prepare script), not the sources:
// the engine starts a plugin under ts-node with the options of the *program's* working directory
// (ts-node's defaults, or the consumer's own tsconfig.json), which need not compile this package.
// Only this file is compiled that way.
import { componentProviderHost } from "@pulumi/pulumi/provider/experimental";
import * as fs from "fs";
import * as path from "path";
import type * as componentPackage from "./components/componentPackage";

const compiled = path.join(__dirname, "dist", "components", "componentPackage.js");
if (!fs.existsSync(compiled)) {
    console.error(`foobar: ${compiled} is missing: run \`npm install\` (or \`npm run build\`) in ${__dirname}`);
    process.exit(1);
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled module, typed by its source
const { providerOptions } = require(compiled) as typeof componentPackage;

componentProviderHost(providerOptions()).catch((err: unknown) => {
    console.error(err);
    process.exit(1);
});
