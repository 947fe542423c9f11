// User data: decoding it (plain, base64, gzip), the parameters its secrets manifest lists, and what in
// it looks like a secret. User data is readable by anyone who may describe the instance, and from
// the instance's metadata service: it must hold placeholders, never values.
import { gunzipSync } from "zlib";
import * as yaml from "js-yaml";
import { Props } from "./resources";

/** Where the program's boot helper reads which SSM parameters to fetch (components/vm/cloudInit.ts). */
export const SECRETS_MANIFEST_PATH = "/etc/foobar/secrets.json";
/** What the program writes instead of a secret (components/vm/cloudInit.ts). */
const PLACEHOLDER = /^@@FOOBAR_SECRET:[A-Za-z0-9_.-]+@@$/;

/** The user data as text: `userDataBase64` (gunzipped if gzip) first, else `userData`; none: undefined. */
export function userDataText(props: Props): string | undefined {
    if (typeof props.userDataBase64 === "string") {
        const bytes = Buffer.from(props.userDataBase64, "base64");
        return (bytes[0] === 0x1f && bytes[1] === 0x8b ? gunzipSync(bytes) : bytes).toString("utf8");
    }
    return typeof props.userData === "string" ? props.userData : undefined;
}

interface WriteFile {
    readonly path?: unknown;
    readonly content?: unknown;
    readonly encoding?: unknown;
}

/** The SSM parameter names a cloud-config's secrets manifest lists: what the instance fetches at boot. */
export function manifestParameters(text: string | undefined): string[] {
    if (text === undefined || !text.startsWith("#cloud-config")) return [];
    const config = yaml.load(text) as { write_files?: WriteFile[] } | null;
    const file = (config?.write_files ?? []).find((f) => f.path === SECRETS_MANIFEST_PATH);
    if (!file || typeof file.content !== "string") return [];
    const content =
        file.encoding === "b64" || file.encoding === "base64" ? Buffer.from(file.content, "base64").toString("utf8") : file.content;
    const parameters = (JSON.parse(content) as { parameters?: Record<string, unknown> }).parameters ?? {};
    return Object.values(parameters).filter((v): v is string => typeof v === "string");
}

export interface Finding {
    /** 1-based line of the decoded user data. */
    readonly line: number;
    /** What was found, never the value itself. */
    readonly what: string;
}

/** Formats that are secrets whatever surrounds them. */
const FORMATS: ReadonlyArray<{ pattern: RegExp; what: (m: RegExpExecArray) => string }> = [
    { pattern: /-----BEGIN ((?:[A-Z0-9]+ )*)PRIVATE KEY-----/g, what: (m) => `a private key (-----BEGIN ${m[1]}PRIVATE KEY-----)` },
    { pattern: /\b(?:AKIA|ASIA)[A-Z0-9]{16}\b/g, what: () => "an AWS access key id" },
];

/** `<name ending in password, secret, token, api key or access key> = value` (or `:`), in config files and env files. */
const ASSIGNMENT =
    /(?<![\w.@-])([A-Za-z0-9_.-]*?(?:password|passwd|secret|token|api[_-]?key|access[_-]?key))["']?[ \t]*[:=][ \t]*("[^"\n]*"|'[^'\n]*'|[^\s,;]+)/gi;
/** SQL: `IDENTIFIED BY '...'` (or `IDENTIFIED WITH <plugin> BY|AS '...'`). */
const SQL_PASSWORD = /\bIDENTIFIED[ \t]+(?:WITH[ \t]+\S+[ \t]+)?(?:BY|AS)[ \t]+("[^"\n]*"|'[^'\n]*')/gi;

/**
 * Whether an assigned value looks like a secret rather than a reference to one: not empty, not a
 * placeholder, path, variable or template, not code; then any quoted value of 6+ characters, and an
 * unquoted one with a digit or symbol in it (a bare identifier is a variable in code).
 */
export function looksSecret(raw: string): boolean {
    const quoted = /^(["']).*\1$/.test(raw);
    const value = quoted ? raw.slice(1, -1) : raw;
    if (value.length < 6 || PLACEHOLDER.test(value)) return false;
    if (/^[/$%<{~]/.test(value) || /[()]/.test(value)) return false;
    return quoted || /[^A-Za-z_.]/.test(value);
}

const lineAt = (text: string, index: number): number => text.slice(0, index).split("\n").length;

/** Everything secret-looking in user data text, in order. */
export function secretsIn(text: string): Finding[] {
    const found: Array<Finding & { index: number }> = [];
    for (const { pattern, what } of FORMATS)
        for (const m of text.matchAll(pattern)) found.push({ index: m.index, line: lineAt(text, m.index), what: what(m) });
    for (const m of text.matchAll(ASSIGNMENT))
        if (looksSecret(m[2])) found.push({ index: m.index, line: lineAt(text, m.index), what: `a value for "${m[1]}"` });
    for (const m of text.matchAll(SQL_PASSWORD))
        if (looksSecret(m[1])) found.push({ index: m.index, line: lineAt(text, m.index), what: "a password after IDENTIFIED" });
    return found.sort((a, b) => a.index - b.index).map(({ line, what }) => ({ line, what }));
}

/** Violations of an instance's inputs: one per secret-looking thing in its user data. */
export function checkUserData(props: Props): string[] {
    const text = userDataText(props);
    if (text === undefined) return [];
    return secretsIn(text).map(
        (f) => `user data line ${f.line} holds ${f.what}: deliver secrets through SSM parameters (placeholders in user data), never in it`,
    );
}
