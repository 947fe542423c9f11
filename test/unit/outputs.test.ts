// The outputs are declared once (components/outputs.ts): index.ts itself, run under the mocks,
// exports exactly those, and the README's outputs table lists exactly those, in that order.
import assert from "node:assert/strict";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { OUTPUT_NAMES } from "../../components/outputs";
import { loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { withPlainStackTraces } from "./stackHelpers";

const ROOT = path.join(__dirname, "..", "..");
const load = createRequire(__filename);

/** The program as `pulumi up` runs it: index.ts, loaded afresh so it registers under this run's mocks. */
function program(): Record<string, unknown> {
    const file = load.resolve(path.join(ROOT, "index.ts"));
    delete load.cache[file];
    return load(file);
}

/** The first column of the README's "## Outputs" table. */
function readmeOutputs(): string[] {
    const readme = fs.readFileSync(path.join(ROOT, "README.md"), "utf8");
    const section = readme.split("\n## Outputs\n")[1]?.split("\n## ")[0] ?? "";
    return [...section.matchAll(/^\| `([A-Za-z]+)` \|/gm)].map((m) => m[1]);
}

describe("outputs, declared once", () => {
    for (const stack of ["dev", "staging", "prod"]) {
        it(`index.ts exports every output of the component, each resolved (${stack})`, async () => {
            const run = await withPlainStackTraces(() => runUnderMocks(loadStackConfig(stack), program, { stack }));
            assert.deepEqual(Object.keys(run.outputs), [...OUTPUT_NAMES]);
            const values = await unwrap(run.outputs);
            for (const name of OUTPUT_NAMES) assert.notEqual(values[name], undefined, `${name} does not resolve`);
            assert.match(String(values.url), /^https:\/\/www\.foobar\.com(:\d+)?\/$/);
        });
    }

    it("the README's outputs table lists exactly the outputs, in order", () => {
        assert.deepEqual(readmeOutputs(), [...OUTPUT_NAMES]);
    });
});
