// What the config schema derives besides validation: the TypeScript types of the args (written to
// config/args.ts) and the README's table of keys. Pure: schema in, text out.
// test/unit/configSchema.test.ts fails while either is stale; `UPDATE_GOLDEN=1 npm test` rewrites both.
import { Field, Fields, GroupField, VariantsField, join } from "./schema";

const docComment = (indent: string, doc: string, defaultText?: string): string[] => [
    `${indent}/** ${doc}${defaultText === undefined ? "" : ` @default ${defaultText}`} */`,
];

/** A field's default: its value, or the words for how it is derived; neither when there is none. */
function defaultOf(field: Field): { readonly value?: string | number | boolean; readonly words?: string } {
    switch (field.type) {
        case "integer":
        case "text":
            return field.defaultDoc !== undefined ? { words: field.defaultDoc } : { value: field.default };
        case "choice":
        case "flag":
            return { value: field.default };
        default:
            return {};
    }
}

/** The default as JSDoc's `@default` shows it: the value as code, or the words. */
function defaultText(field: Field): string | undefined {
    const { value, words } = defaultOf(field);
    return words ?? (value === undefined ? undefined : JSON.stringify(value));
}

type Side = "args" | "resolved";

/** Every named type a field needs, in the order they appear. */
function collect(field: Field, found: Map<string, Field>): void {
    if (field.type === "choice") found.set(field.typeName, field);
    if (field.type === "group" || field.type === "variants") {
        found.set(field.names.args, field);
        const all = field.type === "group" ? [field.fields] : Object.values(field.variants).map((v) => v.fields);
        for (const fields of all) for (const f of Object.values(fields)) collect(f, found);
    }
    if (field.type === "list") collect(field.item, found);
}

function typeOf(field: Field, side: Side): string {
    switch (field.type) {
        case "choice":
            return field.typeName;
        case "integer":
            return "number";
        case "flag":
            return "boolean";
        case "text":
            return "string";
        case "pem":
            return "pulumi.Input<string>";
        case "group":
        case "variants":
            return field.names[side];
        case "list":
            return `readonly ${field.item.names[side]}[]`;
        default: {
            const never: never = field;
            throw new Error(`unknown field type ${JSON.stringify(never)}`);
        }
    }
}

/** Args: everything optional but what a present parent requires. Resolved: optional only where nothing fills it in. */
function optional(field: Field, side: Side): boolean {
    if (side === "args") return !field.required;
    if (field.type === "group") return field.optional === true;
    if (field.type === "text") return !field.required && field.default === undefined;
    if (field.type === "integer") return !field.required && field.default === undefined && field.derive === undefined;
    return false;
}

/** Args carry the docs (what a user hovers over); the resolved types are for the code and point back. */
function members(fields: Fields, side: Side, indent: string): string[] {
    return Object.entries(fields).flatMap(([name, f]) => [
        ...(side === "args" ? docComment(indent, f.doc, defaultText(f)) : []),
        `${indent}readonly ${name}${optional(f, side) ? "?" : ""}: ${typeOf(f, side)};`,
    ]);
}

function declaration(field: Field, side: Side): string[] {
    switch (field.type) {
        case "choice":
            return side === "args" ? [`export type ${field.typeName} = ${field.values.map((v) => JSON.stringify(v)).join(" | ")};`] : [];
        case "group":
            if (side === "resolved" && field.names.resolved === field.names.args) return [];
            return [...headerDoc(field, side), `export interface ${field.names[side]} {`, ...members(field.fields, side, "    "), "}"];
        case "variants":
            return variantsDeclaration(field, side);
        default:
            return [];
    }
}

function variantsDeclaration(field: VariantsField, side: Side): string[] {
    const arms = Object.entries(field.variants).flatMap(([tag, v]) => {
        // The default variant may leave its tag out of the args.
        const tagOptional = side === "args" && tag === field.default ? "?" : "";
        return [
            "    | {",
            ...(side === "args" ? docComment("          ", v.doc) : []),
            `          readonly ${field.tag}${tagOptional}: ${JSON.stringify(tag)};`,
            ...members(v.fields, side, "          "),
            "      }",
        ];
    });
    return [...headerDoc(field, side), `export type ${field.names[side]} =`, ...arms.slice(0, -1), `${arms[arms.length - 1]};`];
}

const headerDoc = (field: GroupField | VariantsField, side: Side): string[] =>
    docComment("", side === "args" ? field.doc : `${field.names.args} with every default applied.`);

/**
 * The TypeScript types of stack config: "args" (config/args.ts, what FoobarInfra takes, with JSDoc
 * and `@default` from the schema) or "resolved" (config/resolved.ts, every default applied).
 */
export function renderTypes(root: GroupField, side: Side, source: string): string {
    const named = new Map<string, Field>([[root.names.args, root]]);
    for (const f of Object.values(root.fields)) collect(f, named);
    const blocks = [...named.values()].map((f) => declaration(f, side)).filter((b) => b.length > 0);
    // The resolved types reuse the args' unions of values and the types both sides share.
    const shared = [...named.entries()].filter(([, f]) => f.type === "choice" || (f.type === "group" && f.names.args === f.names.resolved));
    const imports =
        side === "args"
            ? ['import type * as pulumi from "@pulumi/pulumi";']
            : [
                  'import type * as pulumi from "@pulumi/pulumi";',
                  `import type { ${shared.map(([name]) => name).join(", ")} } from "./args";`,
              ];
    return [
        `// Generated from the config schema (${source}):`,
        "// do not edit. Change the schema, then run `UPDATE_GOLDEN=1 npm test` to rewrite this file.",
        ...imports,
        "",
        blocks.map((b) => b.join("\n")).join("\n\n"),
        "",
    ].join("\n");
}

/** The README's table: one row per key, with its default and what it does. */
export function renderConfigTable(root: GroupField): string {
    const rows: string[] = [];
    const cell = (text: string) => text.replace(/\|/g, "\\|");
    const row = (key: string, field: Field, prefix = "") => {
        const { value, words } = defaultOf(field);
        const shown = words ?? (value === undefined ? "–" : `\`${value}\``);
        rows.push(`| \`${key}\` | ${cell(shown)} | ${cell(prefix + field.doc)} |`);
    };
    const walk = (key: string, field: Field, prefix = "") => {
        if (field.type === "group") {
            for (const [name, f] of Object.entries(field.fields)) walk(join(key, name), f, prefix);
        } else if (field.type === "variants") {
            const tag: Field = {
                type: "choice",
                typeName: "",
                values: Object.keys(field.variants),
                default: field.default,
                doc: field.doc,
            };
            row(join(key, field.tag), tag);
            for (const [name, v] of Object.entries(field.variants)) {
                for (const [fieldName, f] of Object.entries(v.fields)) walk(join(key, fieldName), f, `${name} only: `);
            }
        } else {
            row(key, field, prefix);
        }
    };
    walk("", root);
    return ["| key | default | meaning |", "|---|---|---|", ...rows, ""].join("\n");
}
