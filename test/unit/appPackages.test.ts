// The npm packages the app ships on both platforms (components/vm/appPackages.ts): prom-client and
// its dependencies, in the aws bundle under /opt/foobar-app/node_modules and in the app image, where
// dist/main.js's require finds them without any npm on the machine.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { APP_NPM_PACKAGES, packageFiles, packageTree } from "../../components/vm/appPackages";
import { APP_ROOT, BUNDLE_ROOTS, appBundle, installedFiles } from "../../components/vm/appBundle";

const REPO = path.join(__dirname, "..", "..");
const TREE = ["@opentelemetry/api", "bintrees", "prom-client", "tdigest"];
const read = (file: string) => fs.readFileSync(path.join(REPO, file), "utf8");

describe("app packages: prom-client and what it depends on", () => {
    it("is prom-client, a dependency of the package pinned to one version, with its dependencies, from node_modules", () => {
        assert.deepEqual(APP_NPM_PACKAGES, ["prom-client"]);
        assert.match(JSON.parse(read("package.json")).dependencies["prom-client"], /^\d+\.\d+\.\d+$/);
        const tree = packageTree();
        assert.deepEqual(
            tree.map((p) => p.name),
            TREE,
        );
        for (const p of tree) assert.equal(p.dir, path.join(REPO, "node_modules", p.name));
    });

    it("ships what node loads and the licences: JavaScript and package.json files, not types, docs or nested node_modules", () => {
        const files = packageFiles(path.join(REPO, "node_modules", "prom-client"));
        for (const file of ["package.json", "index.js", "lib/registry.js", "lib/metrics/processCpuTotal.js", "LICENSE"])
            assert.ok(files.includes(file), file);
        assert.ok(
            files.every((f) => /(^|\/)(package\.json|LICENSE|[^/]+\.js)$/.test(f)),
            files.join(" "),
        );
        assert.deepEqual(
            files,
            [...files].sort((a, b) => (a < b ? -1 : 1)),
        );
    });

    it("is in the aws bundle under /opt/foobar-app/node_modules, package by package, with the bytes of node_modules", () => {
        const { packages } = appBundle();
        const names = [...new Set(packages.map((f) => /^node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(f.source)?.[1]))];
        assert.deepEqual(names, TREE);
        for (const name of TREE)
            assert.ok(
                packages.some((f) => f.source === `node_modules/${name}/package.json`),
                name,
            );
        for (const f of packages) assert.equal(f.content, read(f.source), f.source);
        const installed = installedFiles().filter((f) => f.path.startsWith(`${APP_ROOT}/node_modules/`));
        assert.equal(installed.length, packages.length);
        assert.ok(installed.every((f) => f.mode === "0644" && BUNDLE_ROOTS.includes(`${APP_ROOT}/node_modules`)));
        assert.ok(installed.some((f) => f.path === "/opt/foobar-app/node_modules/prom-client/index.js"));
    });

    it("lets the app as installed on a VM load prom-client and serve its metrics with nothing but node", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-bundle-"));
        try {
            for (const f of installedFiles().filter((f) => f.path.startsWith(`${APP_ROOT}/`))) {
                fs.mkdirSync(path.dirname(path.join(root, f.path)), { recursive: true });
                fs.writeFileSync(path.join(root, f.path), f.content);
            }
            const script = [
                `const { createAppMetrics } = require(${JSON.stringify(path.join(root, APP_ROOT, "dist", "metrics.js"))});`,
                "const m = createAppMetrics(); m.countRead('replica');",
                "m.registry.metrics().then((t) => console.log(t.split('\\n').filter((l) => l.startsWith('foobar_app_reads_total')).join(' ')));",
            ].join("\n");
            // Nothing but the bundle: no NODE_PATH leading back to this repository's node_modules.
            const env = { ...process.env };
            delete env.NODE_PATH;
            const run = spawnSync(process.execPath, ["-e", script], { cwd: root, env, encoding: "utf8" });
            assert.equal(run.stderr, "");
            assert.equal(run.stdout, 'foobar_app_reads_total{source="replica"} 1 foobar_app_reads_total{source="primary"} 0\n');
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });

    it("are the packages the app image copies (Dockerfile) and its build context lets in (.dockerignore)", () => {
        const copied = [
            ...read("images/app/Dockerfile").matchAll(/^COPY node_modules\/(\S+)\/ \/opt\/foobar-app\/node_modules\/(\S+)\/$/gm),
        ];
        assert.deepEqual(
            copied.map((m) => m[1]),
            TREE,
        );
        assert.ok(copied.every((m) => m[1] === m[2]));
        assert.deepEqual(
            [...read(".dockerignore").matchAll(/^!node_modules\/(\S+)\/$/gm)].map((m) => m[1]),
            TREE,
        );
        assert.match(
            read("images/app/Dockerfile"),
            /^RUN node -e 'require\(require\.resolve\("prom-client", \{ paths: \["\/opt\/foobar-app\/dist"\] \}\)\)'$/m,
        );
    });

    it("refuses a package installed in two versions: node_modules/ on a VM holds one of each", () => {
        const root = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-packages-"));
        const pkg = (dir: string, name: string, dependencies: Record<string, string> = {}) => {
            fs.mkdirSync(path.join(root, dir), { recursive: true });
            fs.writeFileSync(path.join(root, dir, "package.json"), JSON.stringify({ name, dependencies }));
            fs.writeFileSync(path.join(root, dir, "index.js"), "");
        };
        try {
            pkg("node_modules/a", "a", { b: "1", c: "1" });
            pkg("node_modules/b", "b");
            pkg("node_modules/c", "c", { b: "2" });
            pkg("node_modules/c/node_modules/b", "b");
            assert.throws(() => packageTree(["a"], root), {
                message: `b is installed twice (${path.join(root, "node_modules/b")} and ${path.join(root, "node_modules/c/node_modules/b")}): ship one version`,
            });
            assert.deepEqual(
                packageTree(["b"], root).map((p) => p.name),
                ["b"],
            );
        } finally {
            fs.rmSync(root, { recursive: true, force: true });
        }
    });
});
