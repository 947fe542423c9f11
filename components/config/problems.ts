// Collects configuration problems so that one error can list all of them at once.
import { closest, distance } from "fastest-levenshtein";
import { ConfigSecret, SECRET_PLACEHOLDER, soundsSecret } from "./secret";

export const CONFIG_NAMESPACE = "foobar";
export { SECRET_PLACEHOLDER };

export interface ConfigProblem {
    /** The stack config key, e.g. "foobar:lb.algorithm". */
    readonly key: string;
    /** What was received, shown as JSON. */
    readonly value: unknown;
    /** What is allowed and how to fix it. */
    readonly fix: string;
}

export class ConfigError extends Error {
    constructor(readonly problems: readonly ConfigProblem[]) {
        super(formatProblems(problems));
        this.name = "ConfigError";
    }
}

export function formatProblems(problems: readonly ConfigProblem[]): string {
    const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`;
    const lines = problems.map((p) => `  - ${p.key}: got ${show(p.value)}; ${p.fix}`);
    return [`Invalid foobar-infra configuration (${count}); nothing was created:`, ...lines].join("\n");
}

/** Whether a value holds a secret anywhere inside (a ConfigSecret, or a Pulumi Output, which may be one). */
function holdsSecret(value: unknown): boolean {
    if (value instanceof ConfigSecret) return true;
    if (typeof value !== "object" || value === null) return false;
    if ("__pulumiOutput" in value) return true;
    return Object.values(value).some(holdsSecret);
}

function show(value: unknown): string {
    if (value === undefined) return "nothing";
    const json = JSON.stringify(value);
    return json.length > 80 ? `${json.slice(0, 77)}...` : json;
}

/**
 * "did you mean" for a misspelt name: a near spelling, or a known name the given one contains
 * ("privateKey" for "key"); nothing when no guess is likely.
 */
export function didYouMean(given: string, known: readonly string[]): string {
    if (known.length === 0) return "";
    const lower = given.toLowerCase();
    const best = closest(given, [...known]);
    const near = distance(lower, best.toLowerCase()) <= Math.max(2, Math.floor(best.length / 3));
    const contained = known.filter((k) => lower.includes(k.toLowerCase())).sort((a, b) => b.length - a.length)[0];
    const guess = near ? best : contained;
    return guess === undefined ? "" : ` Did you mean "${guess}"?`;
}

export class Problems {
    private readonly found: ConfigProblem[] = [];
    /** Keys whose values arrived as secrets: nothing under them is ever shown. */
    private readonly secretKeys = new Set<string>();

    /**
     * `key` is relative to the namespace; a full key ("foobar-infra:webServers") is kept as it is.
     * The value is shown only when nothing says it may be secret: its key's name, a secret key
     * above it, or a secret inside it.
     */
    add(key: string, value: unknown, fix: string): void {
        const secret = this.isSecret(key) || holdsSecret(value);
        const full = key.includes(":") ? key : `${CONFIG_NAMESPACE}:${key}`;
        this.found.push({ key: full, value: secret && value !== undefined ? SECRET_PLACEHOLDER : value, fix });
    }

    /** From now on, nothing at or under `key` is shown. */
    markSecret(key: string): void {
        this.secretKeys.add(key);
    }

    private isSecret(key: string): boolean {
        return soundsSecret(key) || [...this.secretKeys].some((s) => key === s || key.startsWith(`${s}.`));
    }

    /** Whether a key already has a problem: a rule across keys skips a value that is already wrong. */
    has(key: string): boolean {
        return this.found.some((p) => p.key === `${CONFIG_NAMESPACE}:${key}`);
    }

    throwIfAny(): void {
        if (this.found.length > 0) throw new ConfigError(this.found);
    }

    /**
     * A value that must be a plain object (or absent); returns it, or undefined after a problem.
     * Unknown keys are problems too. key "" is the root of the namespace. With `secret`, values are
     * never echoed: a misplaced private key must not end up in an error message or a CI log.
     */
    object(key: string, value: unknown, known: readonly string[], options: { secret?: boolean } = {}): Record<string, unknown> | undefined {
        // A secret group (tls) may hold a key under any name: its unknown keys' values are never shown.
        const shown = (v: unknown) => (options.secret && v !== undefined ? SECRET_PLACEHOLDER : v);
        if (value === undefined) return {};
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.add(key, shown(value), `must be an object with keys ${known.join(", ")}.`);
            return undefined;
        }
        const record = value as Record<string, unknown>;
        for (const name of Object.keys(record)) {
            if (!known.includes(name)) {
                const where = key === "" ? "" : ` of ${key}`;
                this.add(
                    key === "" ? name : `${key}.${name}`,
                    shown(record[name]),
                    `unknown key; known keys${where} are ${known.join(", ")}.${didYouMean(name, known)}`,
                );
            }
        }
        return record;
    }

    oneOf<T extends string>(key: string, value: unknown, allowed: readonly T[], fallback: T): T {
        if (value === undefined) return fallback;
        if (typeof value === "string" && (allowed as readonly string[]).includes(value)) return value as T;
        const hint = typeof value === "string" ? didYouMean(value, allowed) : "";
        this.add(key, value, `must be one of ${allowed.map((a) => `"${a}"`).join(", ")}.${hint}`);
        return fallback;
    }

    boolean(key: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        // Stack config delivers scalars as strings ("true").
        if (value === true || value === "true") return true;
        if (value === false || value === "false") return false;
        this.add(key, value, "must be true or false.");
        return fallback;
    }

    integer(key: string, value: unknown, min: number, max: number, fallback: number): number {
        if (value === undefined) return fallback;
        // Stack config delivers scalars as strings ("2"); accept those when they are whole numbers.
        const n = typeof value === "string" && /^-?\d+$/.test(value.trim()) ? Number(value) : value;
        if (typeof n === "number" && Number.isInteger(n) && n >= min && n <= max) return n;
        this.add(key, value, `must be a whole number from ${min} to ${max}.`);
        return fallback;
    }
}
