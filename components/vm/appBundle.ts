// The application code base as files, for platforms that install it on a plain VM (aws): the app
// transpiled to JavaScript (as images/app/transpile.js does in the image: CommonJS, ES2020, no
// type check, which `npm test` does), without comments; the npm packages it loads that Debian does
// not ship (appPackages.ts: prom-client and its dependencies); and the static assets nginx serves.
// Read once from the repository. `installedFiles` lays them out where the VM's units look for them.
import * as fs from "fs";
import * as path from "path";
import * as ts from "typescript";
import { PACKAGE_ROOT } from "../packageRoot";
import { STATIC_ROOT } from "../render/nginx";
import { packageFiles, packageTree } from "./appPackages";

export const APP_ROOT = "/opt/foobar-app";
export const STATIC_SOURCE = "app/public";

export interface BundleFile {
    /**
     * Path relative to the repository root, e.g. "app/src/main.ts"; a package's file is named as npm
     * installs it there, e.g. "node_modules/prom-client/index.js", wherever it was found.
     */
    readonly source: string;
    readonly content: string;
}

function read(source: string): BundleFile {
    return { source, content: fs.readFileSync(path.join(PACKAGE_ROOT, source), "utf8") };
}

function filesUnder(dir: string, keep: (name: string) => boolean): BundleFile[] {
    const found = fs.readdirSync(path.join(PACKAGE_ROOT, dir), { withFileTypes: true }).flatMap((e): BundleFile[] => {
        const source = path.join(dir, e.name);
        if (e.isDirectory()) return filesUnder(source, keep);
        return keep(e.name) ? [read(source)] : [];
    });
    return found.sort((a, b) => a.source.localeCompare(b.source));
}

/** source "app/src/main.ts" -> { source: "app/dist/main.js", content: JavaScript }. */
function transpile(file: BundleFile): BundleFile {
    const out = ts.transpileModule(file.content, {
        fileName: file.source,
        reportDiagnostics: true,
        compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2020, esModuleInterop: false, removeComments: true },
    });
    if (out.diagnostics && out.diagnostics.length > 0) {
        throw new Error(`${file.source}: ${ts.flattenDiagnosticMessageText(out.diagnostics[0].messageText, "\n")}`);
    }
    return { source: file.source.replace(/^app\/src\//, "app/dist/").replace(/\.ts$/, ".js"), content: out.outputText };
}

/** Every package of appPackages.ts, its files in order, packages by name: the same bytes on every machine. */
function npmPackages(): BundleFile[] {
    return packageTree().flatMap(({ name, dir }) =>
        packageFiles(dir).map((file) => ({
            source: path.posix.join("node_modules", name, file),
            content: fs.readFileSync(path.join(dir, file), "utf8"),
        })),
    );
}

export interface AppBundle {
    readonly app: readonly BundleFile[];
    /** Under "node_modules/": beside app/dist/ on the VM, where the app's require("prom-client") looks. */
    readonly packages: readonly BundleFile[];
    readonly statics: readonly BundleFile[];
}

let cached: AppBundle | undefined;

export function appBundle(): AppBundle {
    cached ??= {
        app: filesUnder("app/src", (n) => n.endsWith(".ts")).map(transpile),
        packages: npmPackages(),
        statics: filesUnder(STATIC_SOURCE, () => true),
    };
    return cached;
}

/** The directories the bundle installs into: the app's JavaScript, its npm packages and nginx's static root. */
export const BUNDLE_ROOTS: readonly string[] = [path.posix.join(APP_ROOT, "dist"), path.posix.join(APP_ROOT, "node_modules"), STATIC_ROOT];

/** One file of the bundle where it goes on a VM: root-owned, world-readable, as write_files made them. */
export interface InstalledFile {
    readonly path: string;
    readonly content: string;
    readonly mode: "0644";
}

/**
 * Every file of the bundle at its path on a VM: app/dist/x.js and node_modules/p/y.js under APP_ROOT,
 * app/public/z under STATIC_ROOT.
 */
export function installedFiles(bundle = appBundle()): InstalledFile[] {
    return [
        ...bundle.app.map((f) => ({ path: path.posix.join(APP_ROOT, f.source.replace(/^app\//, "")), content: f.content })),
        ...bundle.packages.map((f) => ({ path: path.posix.join(APP_ROOT, f.source), content: f.content })),
        ...bundle.statics.map((f) => ({ path: path.posix.join(STATIC_ROOT, path.basename(f.source)), content: f.content })),
    ].map((f) => ({ ...f, mode: "0644" as const }));
}
