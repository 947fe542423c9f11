// The examples (examples/yaml, examples/python) use the component package as the engine would:
// their arguments go through the provider's construct under the mocks and build a whole site,
// every output they read exists, and both point at this repository's package.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as yaml from "js-yaml";
import { componentProvider } from "../../components/componentPackage";
import { FOOBAR_INFRA_TYPE } from "../../components/foobarInfra";
import { OUTPUT_NAMES } from "../../components/outputs";
import { runUnderMocks } from "../helpers/pulumiMocks";
import { withPlainStackTraces } from "./stackHelpers";

const EXAMPLES = path.join(__dirname, "..", "..", "examples");
const read = (file: string) => fs.readFileSync(path.join(EXAMPLES, file), "utf8");

interface YamlProgram {
    readonly packages: Record<string, string>;
    readonly resources: Record<string, { readonly type: string; readonly properties: Record<string, unknown> }>;
    readonly outputs: Record<string, string>;
}

/** "web_servers" -> "webServers", at every level of a value. */
function camelKeys(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(camelKeys);
    if (value === null || typeof value !== "object") return value;
    return Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase()), camelKeys(v)]),
    );
}

/** Builds the component through the provider, as the engine does for a YAML or Python program. */
async function constructed(name: string, inputs: Record<string, unknown>) {
    const run = await withPlainStackTraces(() =>
        runUnderMocks({}, () =>
            componentProvider()
                .construct(name, FOOBAR_INFRA_TYPE, inputs, {})
                .then((r) => r.state),
        ),
    );
    assert.ok(run.resources.filter((r) => r.type === "docker:index/container:Container").length >= 6, "no whole site");
    return run;
}

/** The package each example's Pulumi.yaml adds is this repository: its plugin manifest is there. */
function assertPackageIsThisRepository(example: string, packages: Record<string, string>): void {
    assert.deepEqual(Object.keys(packages), ["foobar"], example);
    assert.ok(
        fs.existsSync(path.join(EXAMPLES, example, packages.foobar, "PulumiPlugin.yaml")),
        `${example}: ${packages.foobar} is not the package`,
    );
}

describe("examples", function () {
    this.timeout(60_000);

    it("yaml: FoobarInfra's properties build the site through the provider, and every output it reads exists", async () => {
        const program = yaml.load(read("yaml/Pulumi.yaml")) as YamlProgram;
        assertPackageIsThisRepository("yaml", program.packages);
        const [[name, site]] = Object.entries(program.resources);
        assert.equal(site.type, FOOBAR_INFRA_TYPE);
        await constructed(name, site.properties);
        for (const [output, expression] of Object.entries(program.outputs)) {
            const match = /^\$\{(\w+)\.(\w+)\}$/.exec(expression);
            assert.ok(match && match[1] === name && (OUTPUT_NAMES as readonly string[]).includes(match[2]), `${output}: ${expression}`);
        }
    });

    it("python: ARGS (snake_case, as the generated SDK takes them) build the site, and every output it reads exists", async () => {
        const program = read("python/__main__.py");
        assertPackageIsThisRepository("python", (yaml.load(read("python/Pulumi.yaml")) as YamlProgram).packages);
        const literal = /^ARGS = (\{[\s\S]*?^\})$/m.exec(program)?.[1];
        assert.ok(literal, "no ARGS = {...} in __main__.py");
        // The dict is written in JSON's subset of Python (no True/False/None), comments aside.
        const json = literal.replace(/^\s*#.*$/gm, "").replace(/,(\s*[}\]])/g, "$1");
        const args = camelKeys(JSON.parse(json)) as Record<string, unknown>;
        assert.match(program, /^site = foobar\.FoobarInfra\("(foobar-python)", \*\*ARGS\)$/m);
        await constructed("foobar-python", args);
        const used = [...program.matchAll(/site\.(\w+)/g)].map((m) => Object.keys(camelKeys({ [m[1]]: 0 }) as object)[0]);
        assert.ok(used.length >= 5, `reads ${used.length} outputs`);
        for (const output of used) assert.ok((OUTPUT_NAMES as readonly string[]).includes(output), `site.${output}: no such output`);
    });
});
