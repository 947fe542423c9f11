// The layers of components/ (README, "Layout"): the platform-agnostic core imports nothing from a
// platform, the pure layers import no Pulumi at all, a platform imports no other platform, and
// every file stays small.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";

const COMPONENTS = path.join(__dirname, "..", "..", "components");

function filesUnder(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
        const full = path.join(dir, e.name);
        return e.isDirectory() ? filesUnder(full) : e.name.endsWith(".ts") ? [full] : [];
    });
}

/** Each file (relative to components/) with what it imports, resolved relative to components/ or as a package name. */
const IMPORTS = filesUnder(COMPONENTS).map((file) => {
    const text = fs.readFileSync(file, "utf8");
    const specifiers = [...text.matchAll(/^import [^;]*? from "([^"]+)";/gms)].map((m) => m[1]);
    const resolved = specifiers.map((s) => (s.startsWith(".") ? path.relative(COMPONENTS, path.resolve(path.dirname(file), s)) : s));
    return { file: path.relative(COMPONENTS, file), imports: resolved, lines: text.split("\n").length - 1 };
});

const isCore = (file: string) => !file.startsWith("platforms/") && !["foobarInfra.ts", "foobarSchema.ts", "stack.ts"].includes(file);

describe("layers of components/", () => {
    it("reads the imports of every file", () => {
        assert.ok(IMPORTS.length > 40);
        assert.ok(IMPORTS.find((f) => f.file === "foobarInfra.ts")?.imports.includes("platforms/aws"));
    });

    it("keeps the platform-agnostic core free of any platform", () => {
        for (const { file, imports } of IMPORTS.filter((f) => isCore(f.file))) {
            assert.deepEqual(
                imports.filter((i) => i.startsWith("platforms/")),
                [],
                file,
            );
        }
    });

    it("keeps topology, renderers, service wiring and VM boot pure: no Pulumi", () => {
        for (const { file, imports } of IMPORTS.filter((f) => /^(topology|render|services|vm)\//.test(f.file))) {
            assert.deepEqual(
                imports.filter((i) => i.startsWith("@pulumi/")),
                [],
                file,
            );
        }
    });

    it("keeps each platform to itself", () => {
        for (const { file, imports } of IMPORTS.filter((f) => f.file.startsWith("platforms/"))) {
            const own = file.split("/")[1];
            const others = imports.filter(
                (i) => i.startsWith("platforms/") && !i.startsWith(`platforms/${own}`) && i !== "platforms/platform",
            );
            assert.deepEqual(others, [], file);
        }
    });

    it("keeps every file at 250 lines or fewer (but the types generated from the schema)", () => {
        // config/args.ts and resolved.ts are written by config/derived.ts, one declaration per key:
        // their length is the schema's, which the schema's own files keep small.
        const generated = new Set(["config/args.ts", "config/resolved.ts"]);
        const long = IMPORTS.filter((f) => f.lines > 250 && !generated.has(f.file)).map((f) => `${f.file}: ${f.lines}`);
        assert.deepEqual(long, []);
    });
});
