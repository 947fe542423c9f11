// The config schema is the one declaration of the keys: the generated TypeScript types and the
// README's config table must be what it derives today (UPDATE_GOLDEN=1 rewrites them), and the
// unknown-key check and its did-you-mean follow it.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import * as prettier from "prettier";
import { renderConfigTable, renderTypes } from "../../components/config/derived";
import { Field, GroupField } from "../../components/config/schema";
import { FOOBAR_SCHEMA, SCHEMA_SOURCES, validateArgs } from "../../components/foobarSchema";
import { errorOf, one } from "./configErrors";

const ROOT = path.join(__dirname, "..", "..");
const README = path.join(ROOT, "README.md");
const TABLE_START = "<!-- config table: generated from the schema by `UPDATE_GOLDEN=1 npm test` -->";
const TABLE_END = "<!-- end of config table -->";

/** Writes `file` first with UPDATE_GOLDEN=1, then compares. */
function assertCurrent(file: string, expected: string, actual: string): void {
    if (process.env.UPDATE_GOLDEN === "1" && actual !== expected) {
        fs.writeFileSync(file, expected);
        actual = expected;
    }
    assert.equal(actual, expected, `${path.relative(ROOT, file)} is stale: change the schema, then run UPDATE_GOLDEN=1 npm test`);
}

/** Every key path of a group, as stack config spells it. */
function keysOf(field: Field, at = ""): string[] {
    const join = (name: string) => (at === "" ? name : `${at}.${name}`);
    if (field.type === "group") return Object.entries(field.fields).flatMap(([n, f]) => keysOf(f, join(n)));
    if (field.type === "variants") {
        const names = new Set(Object.values(field.variants).flatMap((v) => Object.keys(v.fields)));
        return [join(field.tag), ...[...names].map(join)];
    }
    return [at];
}

describe("config schema", () => {
    for (const side of ["args", "resolved"] as const) {
        it(`generates components/config/${side}.ts`, async () => {
            const file = path.join(ROOT, "components", "config", `${side}.ts`);
            const options = JSON.parse(fs.readFileSync(path.join(ROOT, ".prettierrc.json"), "utf8"));
            const expected = await prettier.format(renderTypes(FOOBAR_SCHEMA, side, SCHEMA_SOURCES), { ...options, parser: "typescript" });
            assertCurrent(file, expected, fs.readFileSync(file, "utf8"));
        });
    }

    it("generates the README's config table, one row per key", () => {
        const readme = fs.readFileSync(README, "utf8");
        const [before, rest] = readme.split(TABLE_START);
        assert.ok(rest?.includes(TABLE_END), `README.md has no "${TABLE_START}" ... "${TABLE_END}" section`);
        const [, after] = rest.split(TABLE_END);
        const table = renderConfigTable(FOOBAR_SCHEMA);
        assertCurrent(README, `${before}${TABLE_START}\n${table}${TABLE_END}${after}`, readme);
        const rows = table.split("\n").filter((l) => l.startsWith("| `"));
        assert.deepEqual(
            rows.map((r) => r.split("`")[1]),
            keysOf(FOOBAR_SCHEMA),
        );
    });

    it("documents every key in a sentence, and gives every choice, number and flag a default", () => {
        const walk = (field: Field, key: string): void => {
            assert.match(field.doc, /^[A-Z`(].*[.)]$/, `${key}: doc "${field.doc}" is not a sentence`);
            if (field.type === "choice") assert.ok(field.values.includes(field.default), key);
            if (field.type === "integer" && !field.required) assert.ok(field.default !== undefined || field.derive, key);
            if (field.type === "group") for (const [n, f] of Object.entries(field.fields)) walk(f, `${key}.${n}`);
            if (field.type === "variants") {
                for (const v of Object.values(field.variants)) for (const [n, f] of Object.entries(v.fields)) walk(f, `${key}.${n}`);
            }
        };
        walk(FOOBAR_SCHEMA, "foobar");
    });

    it("derives the unknown-key check and its did-you-mean from the schema, at every level", () => {
        const groups: Array<[string, GroupField]> = [["", FOOBAR_SCHEMA]];
        for (const [at, group] of groups) {
            for (const [name, f] of Object.entries(group.fields)) {
                if (f.type === "group") groups.push([at === "" ? name : `${at}.${name}`, f]);
            }
        }
        for (const [at, group] of groups.filter(([, g]) => !g.optional)) {
            const known = Object.keys(group.fields);
            const typo = `${known[0]}x`;
            const nested = at.split(".").reduceRight<unknown>((inner, k) => (k === "" ? inner : { [k]: inner }), { [typo]: 1 });
            // A platform's section is read on that platform only, aws.rds with a managed database only.
            const args = at.startsWith("aws")
                ? { platform: "aws", ...(at === "aws.rds" ? { database: { mode: "managed" } } : {}), ...(nested as object) }
                : nested;
            const where = at === "" ? "" : ` of ${at}`;
            assert.equal(
                errorOf(args).message,
                one(
                    `  - foobar:${at === "" ? "" : `${at}.`}${typo}: got 1; unknown key; known keys${where} are ${known.join(", ")}. Did you mean "${known[0]}"?`,
                ),
                at,
            );
        }
        assert.deepEqual(Object.keys(validateArgs({})), Object.keys(FOOBAR_SCHEMA.fields));
    });
});
