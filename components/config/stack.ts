// Reads the `foobar:` namespace of stack config into untyped args for validateArgs.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE } from "./problems";
import { Field, GroupField } from "./schema";

/** Field types whose values stack config holds as JSON (objects and lists). */
const STRUCTURED = new Set<Field["type"]>(["group", "variants", "list"]);

/**
 * Every `foobar:` key of the stack config, unknown ones included so that validateArgs can name
 * them with a did-you-mean (a typo in a key would otherwise be silently ignored). Structured keys
 * arrive as JSON text and are parsed here; scalars stay strings.
 */
export function readStackConfig(schema: GroupField): Record<string, unknown> {
    const structured = new Set(Object.keys(schema.fields).filter((key) => STRUCTURED.has(schema.fields[key].type)));
    const config = new pulumi.Config(CONFIG_NAMESPACE);
    const raw: Record<string, unknown> = {};
    for (const fullKey of Object.keys(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        if (namespace !== CONFIG_NAMESPACE || key === undefined) continue;
        const text = config.get(key);
        raw[key] = structured.has(key) && text !== undefined ? parseJsonOr(text) : text;
    }
    return raw;
}

function parseJsonOr(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        // Left as text: validateArgs then reports "must be an object" with the key and value.
        return text;
    }
}
