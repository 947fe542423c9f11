// What the config schema derives besides validation: the TypeScript types of the args (written to
// config/args.ts) and the README's table of keys. Pure: schema in, text out.
// test/unit/configSchema.test.ts fails while either is stale; `UPDATE_GOLDEN=1 npm test` rewrites both.
// The args are also the component package's inputs (provider.ts): Pulumi's schema analyzer reads
// them from the TypeScript source and knows no union of objects, no union type alias and no
// readonly array, so the args side is written in the forms it knows (see declaration()).
import { ChoiceField, Field, Fields, GroupField, VariantsField, join } from "./schema";

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

/** Every named type a field needs, in the order they appear, with the key that first uses it. */
function collect(field: Field, key: string, found: Map<string, { readonly field: Field; readonly key: string }>): void {
    const add = (name: string) => found.has(name) || found.set(name, { field, key });
    if (field.type === "choice") add(field.typeName);
    if (field.type === "group" || field.type === "variants") {
        add(field.names.args);
        const all = field.type === "group" ? [field.fields] : Object.values(field.variants).map((v) => v.fields);
        for (const fields of all) for (const [name, f] of Object.entries(fields)) collect(f, join(key, name), found);
    }
    if (field.type === "list") collect(field.item, `${key}[]`, found);
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
        case "secret":
            return side === "args" ? "pulumi.Input<string>" : "pulumi.Output<string>";
        case "group":
        case "variants":
            return field.names[side];
        case "list":
            // ReadonlyArray is not an array to the schema analyzer.
            return `${side === "resolved" ? "readonly " : ""}${field.item.names[side]}[]`;
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
    if (field.type === "secret") return !field.required;
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

function declaration(field: Field, side: Side, key: string): string[] {
    switch (field.type) {
        case "choice":
            return side === "args" ? choiceDeclaration(field, key) : [];
        case "group":
            if (side === "resolved" && field.names.resolved === field.names.args) return [];
            return [...headerDoc(field, side), `export interface ${field.names[side]} {`, ...members(field.fields, side, "    "), "}"];
        case "variants":
            return variantsDeclaration(field, side, key);
        default:
            return [];
    }
}

/** A value as the name of its enum member: "active-passive" -> "ActivePassive". */
const memberName = (value: string): string =>
    value
        .split(/[^A-Za-z0-9]+/)
        .filter((word) => word !== "")
        .map((word) => word[0].toUpperCase() + word.slice(1))
        .join("");

/**
 * A choice is an `as const` object and the union of its values: a plain string literal still
 * type-checks (`mode: "active-passive"`), and the schema analyzer makes an enum of it (it reads
 * the object for the members; a bare union type alias it refuses).
 */
function choiceDeclaration(field: ChoiceField, key: string): string[] {
    return [
        ...docComment("", `The values of \`${key}\`.`),
        `export const ${field.typeName} = {`,
        ...field.values.map((v) => `    ${memberName(v)}: ${JSON.stringify(v)},`),
        "} as const;",
        `export type ${field.typeName} = (typeof ${field.typeName})[keyof typeof ${field.typeName}];`,
    ];
}

/** The tag of a variants field, as a choice of its variants' names. */
export const tagChoice = (field: VariantsField): ChoiceField => ({
    type: "choice",
    typeName: field.tagTypeName,
    values: Object.keys(field.variants),
    default: field.default,
    doc: field.doc,
});

function variantsDeclaration(field: VariantsField, side: Side, key: string): string[] {
    return side === "args" ? flatVariantsDeclaration(field, key) : resolvedUnionDeclaration(field);
}
/**
 * The args of a variants field as one interface of optional keys, each saying which variant reads
 * it: the schema analyzer has no union of objects. validateArgs still requires what the chosen
 * variant needs and refuses what only another one reads.
 */
function flatVariantsDeclaration(field: VariantsField, key: string): string[] {
    const tag = tagChoice(field);
    const tagDoc = [field.doc, ...Object.entries(field.variants).map(([name, v]) => `\`${name}\`: ${v.doc}`)].join(" ");
    const seen = new Set<string>();
    const variantMembers = Object.entries(field.variants).flatMap(([name, v]) =>
        Object.entries(v.fields)
            .filter(([key]) => !seen.has(key) && seen.add(key))
            .flatMap(([key, f]) => [
                ...docComment("    ", `With \`${field.tag}: ${name}\`${f.required ? " (required)" : ""}: ${f.doc}`, defaultText(f)),
                `    readonly ${key}?: ${typeOf(f, "args")};`,
            ]),
    );
    return [
        ...choiceDeclaration(tag, join(key, field.tag)),
        "",
        ...headerDoc(field, "args"),
        `export interface ${field.names.args} {`,
        ...docComment("    ", tagDoc, defaultText(tag)),
        `    readonly ${field.tag}?: ${tag.typeName};`,
        ...variantMembers,
        "}",
    ];
}

/** The resolved value of a variants field: a union by its tag, which the code narrows with a switch. */
function resolvedUnionDeclaration(field: VariantsField): string[] {
    const arms = Object.entries(field.variants).flatMap(([tag, v]) => [
        "    | {",
        `          readonly ${field.tag}: ${JSON.stringify(tag)};`,
        ...members(v.fields, "resolved", "          "),
        "      }",
    ]);
    return [...headerDoc(field, "resolved"), `export type ${field.names.resolved} =`, ...arms.slice(0, -1), `${arms[arms.length - 1]};`];
}

const headerDoc = (field: GroupField | VariantsField, side: Side): string[] =>
    docComment("", side === "args" ? field.doc : `${field.names.args} with every default applied.`);

/**
 * The TypeScript types of stack config: "args" (config/args.ts, what FoobarInfra takes, with JSDoc
 * and `@default` from the schema) or "resolved" (config/resolved.ts, every default applied).
 */
export function renderTypes(root: GroupField, side: Side, source: string): string {
    const named = new Map<string, { readonly field: Field; readonly key: string }>([[root.names.args, { field: root, key: "" }]]);
    for (const [name, f] of Object.entries(root.fields)) collect(f, name, named);
    const blocks = [...named.values()].map(({ field, key }) => declaration(field, side, key)).filter((b) => b.length > 0);
    // The resolved types reuse the args' unions of values and the types both sides share.
    const shared = [...named.entries()].filter(
        ([, { field: f }]) => f.type === "choice" || (f.type === "group" && f.names.args === f.names.resolved),
    );
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
            row(join(key, field.tag), tagChoice(field));
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
