// Reads the `foobar:` namespace of stack config into untyped args for validateArgs, with its
// secrecy intact, and finds foobar keys set in the wrong namespace.
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_NAMESPACE, ConfigProblem } from "./problems";
import { Field, GroupField } from "./schema";
import { ConfigSecret, SECRET_PLACEHOLDER } from "./secret";

/** Field types whose values stack config holds as JSON (objects and lists). */
const STRUCTURED = new Set<Field["type"]>(["group", "variants", "list"]);

/**
 * Whether Pulumi holds a config key as a secret. The SDK exports this test at runtime but not in
 * its typings; test/unit/stackConfig.test.ts pins it to `setAllConfig(config, secretKeys)`.
 */
const isConfigSecret = (fullKey: string): boolean =>
    (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret(fullKey);

export interface StackConfig {
    /** Every `foobar:` key, unknown ones included (validateArgs names them with a did-you-mean); secrets wrapped in ConfigSecret. */
    readonly args: Record<string, unknown>;
    /** Keys of the schema set in another namespace (the project's, by `pulumi config set webServers 5`). */
    readonly misplaced: readonly ConfigProblem[];
}

/**
 * Structured keys arrive as JSON text and are parsed here; scalars stay strings. Values are read
 * with `pulumi.runtime.getConfig`, which leaves secrecy to us: a secret key's value is wrapped
 * so that no error can ever show it.
 */
export function readStackConfig(schema: GroupField): StackConfig {
    const structured = new Set(Object.keys(schema.fields).filter((key) => STRUCTURED.has(schema.fields[key].type)));
    const args: Record<string, unknown> = {};
    const misplaced: ConfigProblem[] = [];
    for (const [fullKey, text] of Object.entries(pulumi.runtime.allConfig())) {
        const [namespace, key] = fullKey.split(":", 2);
        if (key === undefined) continue;
        if (namespace === CONFIG_NAMESPACE) {
            const value = structured.has(key) ? parseJsonOr(text) : text;
            args[key] = isConfigSecret(fullKey) ? new ConfigSecret(value) : value;
        } else if (namespace === pulumi.getProject() && key.split(".")[0] in schema.fields) {
            const secret = isConfigSecret(fullKey) ? " --secret" : "";
            misplaced.push({
                key: fullKey,
                value: secret ? SECRET_PLACEHOLDER : text,
                fix: `is a foobar key set in the project's namespace, where nothing reads it; move it: \`pulumi config rm ${key} && pulumi config set${secret} --path ${CONFIG_NAMESPACE}:${key} <value>\`.`,
            });
        }
    }
    return { args, misplaced };
}

function parseJsonOr(text: string): unknown {
    try {
        return JSON.parse(text);
    } catch {
        // Left as text: validateArgs then reports "must be an object" with the key and value.
        return text;
    }
}
