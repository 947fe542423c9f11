// The npm packages the app loads that Debian does not ship (its node-mysql is Debian's): prom-client
// and every package it depends on, read from node_modules as `npm ci` installed them at the versions
// package-lock.json pins. The app bundle (appBundle.ts) carries them to a VM; the app image copies
// the same packages (images/app/Dockerfile, checked against this list by test/unit/appPackages.test.ts).
import * as fs from "fs";
import * as path from "path";
import { PACKAGE_ROOT } from "../packageRoot";

/** What the app requires beyond Debian's packages: each is shipped with what it depends on. */
export const APP_NPM_PACKAGES: readonly string[] = ["prom-client"];

export interface NpmPackage {
    /** e.g. "@opentelemetry/api": where it goes under node_modules/, where the app's require finds it. */
    readonly name: string;
    /** Where it is installed here. */
    readonly dir: string;
}

/** Byte order, not the locale's: the bundle's key is a hash of its bytes, the same on every machine. */
const ordinal = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

function manifest(dir: string): { name?: string; dependencies?: Record<string, string> } {
    return JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8"));
}

/**
 * The directory of package `name` as node would load it from `from`: resolved like a require (its
 * entry point, since a package's "exports" may hide its package.json), then up to its package.json.
 */
function packageDir(name: string, from: string): string {
    const entry = require.resolve(name, { paths: [from] });
    for (let dir = path.dirname(entry); path.dirname(dir) !== dir; dir = path.dirname(dir)) {
        if (fs.existsSync(path.join(dir, "package.json")) && manifest(dir).name === name) return dir;
    }
    throw new Error(`${name}: no package.json naming it above ${entry}`);
}

/**
 * `roots` and everything they depend on (their "dependencies", transitively), by name. They go side
 * by side into one node_modules/, so a package found in two places (two versions) is an error.
 */
export function packageTree(roots: readonly string[] = APP_NPM_PACKAGES, from: string = PACKAGE_ROOT): NpmPackage[] {
    const found = new Map<string, string>();
    const visit = (name: string, requiredFrom: string): void => {
        const dir = packageDir(name, requiredFrom);
        const known = found.get(name);
        if (known !== undefined && known !== dir) throw new Error(`${name} is installed twice (${known} and ${dir}): ship one version`);
        if (known !== undefined) return;
        found.set(name, dir);
        for (const dependency of Object.keys(manifest(dir).dependencies ?? {})) visit(dependency, dir);
    };
    for (const root of roots) visit(root, from);
    return [...found].map(([name, dir]) => ({ name, dir })).sort((a, b) => ordinal(a.name, b.name));
}

/** What node loads (JavaScript, package.json files) and the licences that must travel with it. */
const isShipped = (file: string): boolean => file === "package.json" || file.endsWith(".js") || /^licen[cs]e/i.test(file);

/** A package's shipped files, relative to its directory, in byte order; none of its own node_modules/. */
export function packageFiles(dir: string): string[] {
    const walk = (relative: string): string[] =>
        fs.readdirSync(path.join(dir, relative), { withFileTypes: true }).flatMap((e) => {
            const file = path.posix.join(relative, e.name);
            if (e.isDirectory()) return e.name === "node_modules" ? [] : walk(file);
            return e.isFile() && isShipped(e.name) ? [file] : [];
        });
    return walk("").sort(ordinal);
}
