// The component package as the Pulumi engine and npm use it, for real: the provider process that
// `pulumi package add` / `pulumi install` starts (node + @pulumi/pulumi's run-plugin, ts-node
// registered with the options of the *program's* directory) boots and answers GetSchema over gRPC
// with the schema the analyzer reads; the compiled npm library (dist/, package.json exports)
// registers exactly what the sources register; `npm pack` ships what both need.
import assert from "node:assert/strict";
import { ChildProcess, execFileSync, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import { componentProvider } from "../../components/componentPackage";
import { FoobarInfra } from "../../components/foobarInfra";
import { FoobarInfraArgs } from "../../components/config/args";
import { RecordedResource, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";

const ROOT = path.join(__dirname, "..", "..");
/* eslint-disable @typescript-eslint/no-require-imports -- the SDK's generated gRPC stubs have no typings to import */
const providerRpc = require("@pulumi/pulumi/proto/provider_grpc_pb.js");
const providerProto = require("@pulumi/pulumi/proto/provider_pb.js");
/* eslint-enable @typescript-eslint/no-require-imports */

/** The tsconfig.json of `pulumi new typescript`: what a TypeScript consumer's directory holds. */
const CONSUMER_TSCONFIG = {
    compilerOptions: {
        strict: true,
        outDir: "bin",
        target: "es2020",
        module: "commonjs",
        moduleResolution: "node",
        sourceMap: true,
        experimentalDecorators: true,
        pretty: true,
        noFallthroughCasesInSwitch: true,
        noImplicitReturns: true,
        forceConsistentCasingInFileNames: true,
    },
    files: ["index.ts"],
};

/** Starts the provider as the nodejs language host's RunPlugin does; resolves with its gRPC port. */
function startPlugin(cwd: string): Promise<{ port: number; child: ChildProcess; stderr: () => string }> {
    const runPlugin = path.join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-plugin");
    const child = spawn(process.execPath, [runPlugin, ROOT], { cwd, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    return new Promise((resolve, reject) => {
        child.stdout.on("data", (d: Buffer) => {
            out += d.toString();
            const port = /^(\d+)\s*$/m.exec(out)?.[1];
            if (port) resolve({ port: Number(port), child, stderr: () => err });
        });
        child.on("exit", (code) => reject(new Error(`the provider exited (${code}) before it listened:\n${out}\n${err}`)));
    });
}

function getSchema(port: number): Promise<string> {
    const client = new providerRpc.ResourceProviderClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
    const request = new providerProto.GetSchemaRequest();
    request.setVersion(0);
    return new Promise((resolve, reject) =>
        client.getSchema(request, (err: Error | null, response: { getSchema(): string }) => {
            client.close();
            if (err) reject(err);
            else resolve(response.getSchema());
        }),
    );
}

/** Types, names and inputs, in a stable order, with the random values named (they differ per run). */
function registered(resources: readonly RecordedResource[]): string[] {
    const random = resources
        .filter((r) => r.type.startsWith("random:"))
        .flatMap((r) => Object.values(r.state).filter((v): v is string => typeof v === "string" && v.length >= 16));
    const named = (text: string) => random.reduce((t, v, i) => t.split(v).join(`<random ${i}>`), text);
    return resources.map((r) => named(`${r.type} ${r.name} ${JSON.stringify(r.inputs)}`)).sort();
}

describe("component package, for real", function () {
    this.timeout(180_000);

    before(() => {
        // What `npm install` (prepare) builds: the compiled modules the provider and the library run.
        execFileSync("npm", ["run", "-s", "build"], { cwd: ROOT, stdio: "inherit" });
    });

    for (const [consumer, tsconfig] of [
        ["a YAML or Python program (no tsconfig.json)", undefined],
        ["a TypeScript program (pulumi new's tsconfig.json)", CONSUMER_TSCONFIG],
    ] as const) {
        it(`the provider boots from ${consumer} and serves the analyzer's schema over gRPC`, async () => {
            const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-consumer-"));
            if (tsconfig) fs.writeFileSync(path.join(cwd, "tsconfig.json"), JSON.stringify(tsconfig));
            const started = Date.now();
            const plugin = await startPlugin(cwd);
            const listening = (Date.now() - started) / 1000;
            try {
                const served = JSON.parse(await getSchema(plugin.port));
                const expected = JSON.parse(await componentProvider().getSchema());
                assert.deepEqual(served, expected);
                assert.deepEqual(Object.keys(served.resources), ["foobar:index:FoobarInfra"]);
                console.log(
                    `      provider listening after ${listening.toFixed(1)} s; its schema: ${Object.keys(served.types).length} types`,
                );
            } finally {
                plugin.child.kill("SIGKILL");
                fs.rmSync(cwd, { recursive: true, force: true });
            }
        });
    }

    it('the npm library (dist/lib.js, as `import { FoobarInfra } from "foobar-infra"` loads it) registers what the sources register', async () => {
        const manifest = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8"));
        const entry = path.join(ROOT, manifest.exports["."].default);
        assert.ok(fs.existsSync(path.join(ROOT, manifest.exports["."].types)), "no type declarations");
        // eslint-disable-next-line @typescript-eslint/no-require-imports -- the compiled library, as a consumer loads it
        const library = require(entry) as { FoobarInfra: typeof FoobarInfra };
        assert.notEqual(library.FoobarInfra, FoobarInfra, "the library must be the compiled module, not the source");
        const config = loadStackConfig("dev");
        const args = Object.fromEntries(Object.entries(config).map(([k, v]) => [k.replace(/^foobar:/, ""), v])) as FoobarInfraArgs;
        const viaLibrary = await runUnderMocks({}, () => new library.FoobarInfra("foobar-dev", args).url);
        const viaSources = await runUnderMocks({}, () => new FoobarInfra("foobar-dev", args).url);
        assert.ok(viaSources.resources.length > 20);
        assert.deepEqual(registered(viaLibrary.resources), registered(viaSources.resources));
    });

    it("npm pack ships what the library and the provider read at run time, and no tests", () => {
        const [pack] = JSON.parse(
            execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8" }),
        );
        const files = new Set((pack.files as Array<{ path: string }>).map((f) => f.path));
        const needed = [
            "package.json",
            "PulumiPlugin.yaml",
            "provider.ts",
            "dist/lib.js",
            "dist/lib.d.ts",
            "dist/components/componentPackage.js",
            "tsconfig.json",
            ".dockerignore",
            "scripts/ensure-base-image.sh",
            "images/base/Dockerfile",
            "images/app/Dockerfile",
            "app/src/main.ts",
            "app/public/style.css",
            "components/vm/files/foobar-data-volume.sh",
            "components/platforms/aws/files/foobar-secrets.py",
        ];
        for (const file of needed) assert.ok(files.has(file), `npm pack leaves out ${file}`);
        for (const file of files)
            assert.doesNotMatch(file, /^(test|\.github|examples|policy)\/|^Pulumi\.\w+\.yaml$/, `npm pack ships ${file}`);
    });
});
