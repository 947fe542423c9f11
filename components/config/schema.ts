// The config schema's vocabulary: every key of stack config is one field here, with its type,
// default and doc. From one declaration (coreSchema.ts and each platform's args.ts, put together
// in components/foobarSchema.ts) come the TypeScript types (config/args.ts, generated), the
// unknown-key check with its did-you-mean, every per-key check, and the README's config table.
import * as pulumi from "@pulumi/pulumi";
import { Problems } from "./problems";
import { ConfigSecret, SECRET_PLACEHOLDER } from "./secret";

interface FieldBase {
    /** What the key does, in one sentence (Markdown): the arg's JSDoc and its row in the README. */
    readonly doc: string;
    /** Must be given (inside a given parent); a missing one is a problem. */
    readonly required?: boolean;
}

export interface ChoiceField extends FieldBase {
    readonly type: "choice";
    readonly values: readonly string[];
    readonly default: string;
    /** The TypeScript name of the union of values, e.g. "LbAlgorithm". */
    readonly typeName: string;
}

/** What an integer's bounds and default depend on: its siblings and the whole config, resolved so far. */
export interface Resolving {
    readonly siblings: Readonly<Record<string, unknown>>;
    readonly root: Readonly<Record<string, unknown>>;
}

export interface IntegerField extends FieldBase {
    readonly type: "integer";
    readonly min: number;
    readonly max: number;
    readonly default?: number;
    /** Bounds or a default that follow other keys; `defaultDoc` then says how. */
    readonly derive?: (r: Resolving) => { readonly max?: number; readonly default?: number };
    readonly defaultDoc?: string;
}

export interface FlagField extends FieldBase {
    readonly type: "flag";
    readonly default: boolean;
}

export interface TextField extends FieldBase {
    readonly type: "text";
    readonly default?: string;
    readonly valid: (value: string) => boolean;
    /** The problem's fix when the value is not valid. */
    readonly fix: string;
    readonly defaultDoc?: string;
}

/**
 * Text held in secret config (a webhook URL, a password): never echoed in an error, wrapped as a
 * secret Output; through the component package it may be an output of another resource.
 */
export interface SecretField extends FieldBase {
    readonly type: "secret";
    readonly valid: (value: string) => boolean;
    /** The problem's fix when the value is not valid (or missing where required). */
    readonly fix: string;
}

/** A PEM held in secret config: never echoed in an error, wrapped as a secret Output. */
export interface PemField extends FieldBase {
    readonly type: "pem";
    readonly marker: RegExp;
    /** "certificate", "private key": named in the fix. */
    readonly what: string;
    readonly fix: string;
}

export interface TypeNames {
    /** The args interface, e.g. "LoadBalancerArgs". */
    readonly args: string;
    /** The resolved interface (every default applied), e.g. "ResolvedLoadBalancer". */
    readonly resolved: string;
}

export interface GroupField extends FieldBase {
    readonly type: "group";
    readonly names: TypeNames;
    readonly fields: Fields;
    /** Values under it may be secrets: none is ever echoed in an error. */
    readonly secret?: boolean;
    /** Absent stays absent (undefined) instead of resolving to its defaults. */
    readonly optional?: boolean;
}

/** An object whose keys depend on its `tag` key, e.g. tls.mode. */
export interface VariantsField extends FieldBase {
    readonly type: "variants";
    readonly names: TypeNames;
    readonly tag: string;
    /** The TypeScript name of the tag's values, e.g. "TlsMode". */
    readonly tagTypeName: string;
    readonly default: string;
    readonly variants: Readonly<Record<string, { readonly doc: string; readonly fields: Fields }>>;
    readonly secret?: boolean;
}

export interface ListField extends FieldBase {
    readonly type: "list";
    readonly item: GroupField;
    readonly min: number;
    readonly fix: string;
}

export type Field = ChoiceField | IntegerField | FlagField | TextField | SecretField | PemField | GroupField | VariantsField | ListField;
export type Fields = Readonly<Record<string, Field>>;

/** The fix for an output where a plain value is needed. */
export const OUTPUT_FIX =
    "must be a plain value known when the program starts, not an output of another resource nor a secret (only the secret keys may be: tls.certificate, tls.key, monitoring.alerts.webhookUrl, monitoring.alerts.email.password); pass the value itself.";

export const join = (parent: string, name: string): string => (parent === "" ? name : `${parent}.${name}`);

/** Resolves a group: unknown keys are problems (with a did-you-mean), then each field in order. */
export function resolveGroup(
    p: Problems,
    key: string,
    value: unknown,
    group: GroupField,
    root: Readonly<Record<string, unknown>>,
): unknown {
    if (group.optional && value === undefined) return undefined;
    const record = p.object(key, value, Object.keys(group.fields), { secret: group.secret }) ?? {};
    return resolveFields(p, key, record, group.fields, root);
}

function resolveFields(p: Problems, key: string, record: Record<string, unknown>, fields: Fields, root: Readonly<Record<string, unknown>>) {
    const out: Record<string, unknown> = {};
    // The root's own fields are its siblings; every other group sees the root as resolved so far.
    const context = key === "" ? out : root;
    for (const [name, field] of Object.entries(fields)) {
        out[name] = resolveField(p, join(key, name), record[name], field, { siblings: out, root: context });
    }
    return out;
}

function resolveField(p: Problems, key: string, given: unknown, field: Field, r: Resolving): unknown {
    // A secret from stack config is read like any value, and nothing under its key is ever shown.
    if (given instanceof ConfigSecret) p.markSecret(key);
    let value = given instanceof ConfigSecret ? given.value : given;
    // Through the component package (provider.ts) an input can arrive as an output (another
    // resource's, or a secret). Only a PEM may: every other key shapes the plan before anything exists.
    if (pulumi.Output.isInstance(value) && field.type !== "pem" && field.type !== "secret") {
        p.add(key, "[output]", OUTPUT_FIX);
        value = undefined;
    }
    switch (field.type) {
        case "choice":
            return p.oneOf(key, value, field.values, field.default);
        case "integer": {
            const derived = field.derive?.(r) ?? {};
            const fallback = derived.default ?? field.default;
            if (value === undefined && fallback === undefined) return required(p, key, field, undefined);
            return p.integer(key, value, field.min, derived.max ?? field.max, fallback ?? field.min);
        }
        case "flag":
            return p.boolean(key, value, field.default);
        case "text":
            if (value === undefined) return field.default ?? required(p, key, field, undefined);
            if (typeof value === "string" && field.valid(value)) return value;
            p.add(key, value, field.fix);
            return field.default;
        case "pem":
            return resolvePem(p, key, value, field);
        case "secret":
            return resolveSecret(p, key, value, field);
        case "group":
            return resolveGroup(p, key, value, field, r.root);
        case "variants":
            return resolveVariants(p, key, value, field, r.root);
        case "list":
            return resolveList(p, key, value, field);
        default: {
            const never: never = field;
            throw new Error(`unknown field type ${JSON.stringify(never)}`);
        }
    }
}

function required(p: Problems, key: string, field: TextField | IntegerField, value: unknown): undefined {
    if (field.required) p.add(key, value, field.type === "text" ? field.fix : `must be a whole number from ${field.min} to ${field.max}.`);
    return undefined;
}

function resolvePem(p: Problems, key: string, value: unknown, field: PemField): unknown {
    // An Output cannot be inspected before it resolves; its presence is all that can be checked now.
    if (pulumi.Output.isInstance(value)) return value;
    if (typeof value === "string" && field.marker.test(value)) return pulumi.secret(value);
    // Never echo a secret back: a wrong value is shown only by its shape.
    p.add(key, value === undefined ? undefined : SECRET_PLACEHOLDER, field.fix);
    return "";
}

function resolveSecret(p: Problems, key: string, value: unknown, field: SecretField): unknown {
    // Nothing under a secret key is ever shown, whether or not stack config held it as a secret.
    p.markSecret(key);
    if (value === undefined) {
        if (field.required) p.add(key, undefined, field.fix);
        return undefined;
    }
    if (pulumi.Output.isInstance(value)) return pulumi.secret(value);
    if (typeof value === "string" && field.valid(value)) return pulumi.secret(value);
    p.add(key, SECRET_PLACEHOLDER, field.fix);
    return undefined;
}

/** The tag picks the variant; a key that only another variant reads is a problem. */
function resolveVariants(p: Problems, key: string, value: unknown, field: VariantsField, root: Readonly<Record<string, unknown>>): unknown {
    const names = [field.tag, ...new Set(Object.values(field.variants).flatMap((v) => Object.keys(v.fields)))];
    const record = p.object(key, value, names, { secret: field.secret }) ?? {};
    const tagKey = join(key, field.tag);
    const tag = p.oneOf(tagKey, record[field.tag], Object.keys(field.variants), field.default);
    const own = field.variants[tag].fields;
    for (const [other, variant] of Object.entries(field.variants)) {
        for (const [name, f] of Object.entries(variant.fields)) {
            if (other === tag || name in own || record[name] === undefined) continue;
            // A key a variant requires (a certificate) suggests that variant; an optional one is a leftover.
            const switchTo = f.required ? ` or set ${tagKey} to "${other}"` : "";
            const shown = f.type === "pem" ? SECRET_PLACEHOLDER : record[name];
            p.add(join(key, name), shown, `is only read when ${tagKey} is "${other}"; remove it${switchTo}.`);
        }
    }
    return { [field.tag]: tag, ...resolveFields(p, key, record, own, root) };
}

function resolveList(p: Problems, key: string, value: unknown, field: ListField): unknown[] {
    const list = value ?? [];
    const itemValid = (item: unknown): boolean =>
        typeof item === "object" &&
        item !== null &&
        Object.entries(field.item.fields).every(([name, f]) => {
            const v = (item as Record<string, unknown>)[name];
            return f.type === "text" && typeof v === "string" && f.valid(v);
        });
    if (!Array.isArray(list) || list.length < field.min || !list.every(itemValid)) {
        p.add(key, value, field.fix);
        return [];
    }
    return list;
}
