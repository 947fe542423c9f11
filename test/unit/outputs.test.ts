// The outputs are declared once (components/outputs.ts, documented on the FoobarInfra class):
// index.ts itself, run under the mocks, exports exactly those, and the README's outputs table is
// the package schema's list of them, with each one's type and description (UPDATE_GOLDEN=1 rewrites it).
import assert from "node:assert/strict";
import * as fs from "fs";
import { createRequire } from "module";
import * as path from "path";
import { FOOBAR_INFRA_TYPE } from "../../components/foobarInfra";
import { OUTPUT_NAMES } from "../../components/outputs";
import { loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { PackageSchema, PropertySpec, packageSchema } from "./packageSchema";
import { withPlainStackTraces } from "./stackHelpers";

const ROOT = path.join(__dirname, "..", "..");
const load = createRequire(__filename);

/** The program as `pulumi up` runs it: index.ts, loaded afresh so it registers under this run's mocks. */
function program(): Record<string, unknown> {
    const file = load.resolve(path.join(ROOT, "index.ts"));
    delete load.cache[file];
    return load(file);
}

const README = path.join(ROOT, "README.md");
const TABLE_START = "<!-- outputs table: generated from the package schema by `UPDATE_GOLDEN=1 npm test` -->";
const TABLE_END = "<!-- end of outputs table -->";

/** A schema type as the table shows it: string, string[], ServerSummary[]. */
const typeName = (p: PropertySpec): string =>
    p.type === "array" ? `${typeName(p.items ?? {})}[]` : (p.type ?? p.$ref?.split(":").pop() ?? "?");

/** The README's outputs table: each output of the package schema, in order, with its type and description. */
function renderOutputsTable(schema: PackageSchema): string {
    const outputs = schema.resources[FOOBAR_INFRA_TYPE].properties;
    const rows = Object.entries(outputs).map(([name, p]) => {
        const description = (p.description ?? "").replace(/\s+/g, " ").replace(/\|/g, "\\|");
        return `| \`${name}\` | ${typeName(p)} | ${description} |`;
    });
    return ["| output | type | what it is |", "|---|---|---|", ...rows, ""].join("\n");
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

    it("the README's outputs table is the package schema's outputs, in order, typed and described", async () => {
        const schema = await packageSchema();
        assert.deepEqual(Object.keys(schema.resources[FOOBAR_INFRA_TYPE].properties), [...OUTPUT_NAMES]);
        const readme = fs.readFileSync(README, "utf8");
        const [before, rest] = readme.split(TABLE_START);
        assert.ok(rest?.includes(TABLE_END), `README.md has no "${TABLE_START}" ... "${TABLE_END}" section`);
        const [, after] = rest.split(TABLE_END);
        const expected = `${before}${TABLE_START}\n${renderOutputsTable(schema)}${TABLE_END}${after}`;
        if (process.env.UPDATE_GOLDEN === "1" && readme !== expected) fs.writeFileSync(README, expected);
        else assert.equal(readme, expected, "README.md's outputs table is stale: run UPDATE_GOLDEN=1 npm test");
    }).timeout(60_000);
});
