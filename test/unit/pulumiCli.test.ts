// The Pulumi CLI of `npm run up`, `down` and `preview` (scripts/pulumi-cli.sh), through
// `bash scripts/preview.sh`: the one the npm package `pulumi` fetches, else a `pulumi` of PATH with
// a warning, else one error naming every fix. Fakes stand for the npm wrapper
// (FOOBAR_PULUMI_NPM_BIN), the CLI and docker, on a PATH that holds nothing else but the few tools
// the scripts use, so no real pulumi can answer.
import assert from "node:assert/strict";
import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";

const ROOT = path.join(__dirname, "..", "..");
const PREVIEW = path.join(ROOT, "scripts", "preview.sh");
/** The version the npm package pins: the CLI it fetches. */
const VERSION: string = JSON.parse(fs.readFileSync(path.join(ROOT, "node_modules", "pulumi", "package.json"), "utf8")).version;
/** The commands the scripts run besides bash's builtins and docker. */
const TOOLS = ["basename", "dirname", "mkdir", "node", "realpath"];

function which(tool: string): string {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter)) {
        const file = path.join(dir, tool);
        if (dir !== "" && fs.existsSync(file) && fs.statSync(file).isFile()) return file;
    }
    throw new Error(`${tool} is not on PATH`);
}

/** An executable /bin/sh script. */
function script(file: string, body: string): string {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
}

/** Fails as node_modules/pulumi/run.js does when its first-use download fails. */
const FAILING_WRAPPER = `echo "Downloading pulumi v${VERSION}..." >&2\necho "pulumi: fetch failed" >&2\nexit 1`;
/** Records its arguments, one call a line, and answers `version` with `version`. */
const recorder = (log: string, version: string) => `echo "$*" >> '${log}'\n[ "$1" = version ] && echo ${version}\nexit 0`;

describe("the Pulumi CLI of the npm scripts (scripts/pulumi-cli.sh)", () => {
    let tmp: string;
    let home: string;
    let tools: string;
    let npmBin: string;
    const log = () => path.join(tmp, "calls.log");
    const calls = () => fs.readFileSync(log(), "utf8").split("\n").slice(0, -1);

    beforeEach(() => {
        tmp = fs.mkdtempSync(path.join(os.tmpdir(), "foobar-pulumi-cli-"));
        home = path.join(tmp, "home");
        fs.mkdirSync(home);
        tools = path.join(tmp, "tools");
        fs.mkdirSync(tools);
        for (const tool of TOOLS) fs.symlinkSync(which(tool), path.join(tools, tool));
        script(path.join(tools, "docker"), "exit 0");
        // As `npm ci` lays it out: node_modules/.bin/pulumi links to the package's run.js.
        npmBin = path.join(tmp, "node_modules", ".bin", "pulumi");
        fs.mkdirSync(path.dirname(npmBin), { recursive: true });
        fs.symlinkSync(path.join("..", "pulumi", "run.js"), npmBin);
    });
    afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

    /** `bash scripts/preview.sh ...args` with only these directories on PATH (`npm run` puts node_modules/.bin first). */
    function preview(pathDirs: string[], ...args: string[]) {
        const env = {
            PATH: [path.dirname(npmBin), ...pathDirs].join(path.delimiter),
            HOME: home,
            PULUMI_BACKEND_URL: `file://${tmp}/state`,
            FOOBAR_PULUMI_NPM_BIN: npmBin,
        };
        const r = spawnSync(which("bash"), [PREVIEW, ...args], { cwd: tmp, env, encoding: "utf8" });
        return { status: r.status, stdout: r.stdout, stderr: r.stderr };
    }

    const fetching = () =>
        `preview: fetching the Pulumi CLI v${VERSION} from get.pulumi.com into ${home}/.pulumi/versions/${VERSION} (first use)\n`;

    it("dies with one message naming the version, the source, the cache, the wrapper's error and the fixes", () => {
        script(path.join(tmp, "node_modules", "pulumi", "run.js"), FAILING_WRAPPER);
        // A parent directory's node_modules/.bin (also on `npm run`'s PATH) holds another copy of the wrapper: no fallback either.
        const outer = script(path.join(tmp, "parent", "node_modules", "pulumi", "run.js"), FAILING_WRAPPER);
        fs.mkdirSync(path.join(tmp, "parent", "node_modules", ".bin"));
        fs.symlinkSync(outer, path.join(tmp, "parent", "node_modules", ".bin", "pulumi"));
        const r = preview([path.join(tmp, "parent", "node_modules", ".bin"), tools]);
        assert.equal(r.status, 1);
        assert.equal(r.stdout, "");
        assert.equal(
            r.stderr,
            fetching() +
                `preview: ERROR: the Pulumi CLI v${VERSION} is missing. It comes with the npm package pulumi (${npmBin}), ` +
                `which fetches it from https://get.pulumi.com on first use and caches it as ${home}/.pulumi/versions/${VERSION}/bin/pulumi; ` +
                "that download failed:\n" +
                "    pulumi: fetch failed\n" +
                "and no other pulumi is on PATH. Fix one of:\n" +
                "  - give this machine network access to get.pulumi.com (HTTPS), then run this again;\n" +
                "  - install the Pulumi CLI yourself (https://www.pulumi.com/docs/install/) and put it on PATH;\n" +
                `  - set PULUMI_HOME to a directory holding versions/${VERSION}/bin/pulumi (e.g. a copy of ~/.pulumi from a machine that has it).\n`,
        );
    });

    it("falls back to a pulumi of PATH when the download fails, warning of the version mismatch", () => {
        script(path.join(tmp, "node_modules", "pulumi", "run.js"), FAILING_WRAPPER);
        const installed = script(path.join(tmp, "installed", "pulumi"), recorder(log(), "v3.100.0"));
        const r = preview([tools, path.dirname(installed)]);
        assert.equal(r.status, 0, r.stderr);
        assert.equal(
            r.stderr,
            fetching() +
                `preview: WARNING: the download of the Pulumi CLI v${VERSION} failed (pulumi: fetch failed); ` +
                `using ${installed} from PATH instead (v3.100.0, a version mismatch: package.json pins v${VERSION})\n`,
        );
        assert.equal(r.stdout, `preview: state backend: file://${tmp}/state\n`);
        assert.deepEqual(calls(), ["version", "stack select dev", "preview --stack dev"]);
    });

    it("runs `pulumi preview --stack dev` and the extra arguments with the npm package's CLI once it is there", () => {
        script(path.join(tmp, "node_modules", "pulumi", "run.js"), recorder(log(), `v${VERSION}`));
        script(path.join(home, ".pulumi", "versions", VERSION, "bin", "pulumi"), "exit 0");
        const installed = script(path.join(tmp, "installed", "pulumi"), "echo 'not this one' >&2\nexit 1");
        const r = preview([tools, path.dirname(installed)], "--diff");
        assert.equal(r.status, 0, r.stderr);
        assert.equal(r.stderr, "");
        assert.deepEqual(calls(), ["version", "stack select dev", "preview --stack dev --diff"]);
    });

    it("needs a Docker engine (the provider connects in a preview too), and says so before anything else", () => {
        script(path.join(tmp, "node_modules", "pulumi", "run.js"), recorder(log(), `v${VERSION}`));
        fs.rmSync(path.join(tools, "docker"));
        const r = preview([tools]);
        assert.equal(r.status, 1);
        assert.equal(r.stderr, "preview: ERROR: the docker CLI is not installed (e.g. 'apt-get install docker.io')\n");
        assert.equal(fs.existsSync(log()), false);
    });
});
