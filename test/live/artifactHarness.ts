// The app bundle's part of the boot rehearsal harness: a small bundle in the S3 stand-in, the very
// config and command a web server's user data carries for it (components/platforms/aws/artifacts.ts),
// and what the boot helper must make of it: every file under its roots, owned by root, mode 0644,
// directories 0755; and when the object is missing, altered, or reaches outside its roots, a loud
// failure (exit 1, naming the object) that writes nothing.
import * as assert from "node:assert/strict";
import { ARTIFACT_CONFIG_PATH, appArtifact, artifactDelivery } from "../../components/platforms/aws/artifacts";
import { InstalledFile } from "../../components/vm/appBundle";
import { FAKE_ACCESS_KEY_ID, Instance } from "./instances";
import { SsmStandin } from "./ssmStandin";

export const BUCKET = "foobar-harness-artifacts-0a1b2c3";
const HELPER = "/usr/local/sbin/foobar-secrets";
const file = (path: string, content: string): InstalledFile => ({ path, content, mode: "0644" });
/** A nested directory, non-ASCII text and CRLF line ends: each must arrive byte for byte. */
const FILES = [
    file("/opt/foobar-app/dist/main.js", 'require("./lib/util");\nconsole.log("h\u00e9llo \u2713");\r\n'),
    file("/opt/foobar-app/dist/lib/util.js", "module.exports = {};\n"),
    file("/srv/foobar/static/style.css", "body { color: #222; }\n"),
];
export const ARTIFACT = appArtifact(FILES);
const delivery = artifactDelivery("eu-west-1", BUCKET, ARTIFACT);

/** What the program puts in a web server's user data for the bundle: its config file and the command. */
export const artifactBoot = {
    file: { path: delivery.files[0].path, content: delivery.files[0].content, permissions: "0644" },
    command: delivery.commands[0],
};

const statOf = async (instance: Instance, path: string) => (await instance.exec(["stat", "-c", "%U:%G %a", path])).trim();

/** The boot fetched the bundle once, from `address`, and unpacked it exactly. */
export async function assertUnpacked(instance: Instance, standin: SsmStandin, address: string): Promise<void> {
    assert.deepEqual(artifactBoot.command, [HELPER, "--artifact", ARTIFACT_CONFIG_PATH]);
    for (const f of FILES) {
        assert.equal(await instance.exec(["cat", f.path]), f.content, f.path);
        assert.equal(await statOf(instance, f.path), "root:root 644", f.path);
    }
    for (const dir of ["/opt/foobar-app/dist", "/opt/foobar-app/dist/lib", "/srv/foobar/static"])
        assert.equal(await statOf(instance, dir), "root:root 755", dir);
    // Atomic writes: nothing else is left under the roots.
    const found = await instance.exec(["find", "/opt/foobar-app", "/srv/foobar", "-type", "f"]);
    assert.deepEqual(found.split("\n").filter(Boolean).sort(), FILES.map((f) => f.path).sort());
    const log = await instance.exec(["cat", "/var/log/cloud-init-output.log"]);
    const where = `s3://${BUCKET}/${ARTIFACT.key}`;
    assert.ok(
        log.includes(
            `foobar-secrets: bundle ${where}, sha256 verified: 3 file(s) under /opt/foobar-app/dist, /opt/foobar-app/node_modules, /srv/foobar/static`,
        ),
        log.slice(-2000),
    );
    assert.deepEqual(
        standin.objectRequests.filter((r) => r.sourceAddress === address),
        [
            {
                operation: "GetObject",
                bucket: BUCKET,
                key: ARTIFACT.key,
                sourceAddress: address,
                accessKeyId: FAKE_ACCESS_KEY_ID,
                status: 200,
            },
        ],
    );
}

/** Runs the helper on a config naming `key` with `sha256`, whose files may land under /opt/foobar-fail only. */
async function fetchWith(instance: Instance, key: string, sha256: string) {
    const config = { region: "eu-west-1", bucket: BUCKET, key, sha256, roots: ["/opt/foobar-fail"] };
    await instance.exec(["sh", "-c", 'printf %s "$1" > /etc/foobar/artifact-fail.json', "sh", JSON.stringify(config)]);
    const r = await instance.run([HELPER, "--artifact", "/etc/foobar/artifact-fail.json"]);
    assert.equal(r.code, 1, r.stdout + r.stderr);
    // Nothing was written, anywhere it could have gone.
    assert.equal((await instance.run(["ls", "/opt/foobar-fail", "/etc/evil.conf"])).stdout, "");
    return r.stderr;
}

/** Each way the fetch can go wrong fails the step, says which object and why, and writes nothing. */
export async function artifactFailures(instance: Instance, standin: SsmStandin): Promise<void> {
    const at = (key: string) => `s3://${BUCKET}/${key}`;
    const error = (message: string) => new RegExp(`^foobar-secrets: error: ${message.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&")}$`, "m");
    const ok = appArtifact([file("/opt/foobar-fail/main.js", "ok\n")]);

    // No such object (a role without access gets AccessDenied the same way): retried, then a failure naming it.
    const missing = `app/${"0".repeat(64)}.json`;
    let stderr = await fetchWith(instance, missing, ok.sha256);
    assert.match(stderr, error(`cannot get the bundle ${at(missing)}: NoSuchKey`));
    assert.equal(stderr.match(/attempt \d of 4/g)?.length, 4, stderr);
    assert.equal(standin.objectRequests.filter((r) => r.key === missing && r.status === 404).length, 4);

    // Bytes that are not the ones the user data names.
    standin.putObject(BUCKET, "app/tampered.json", ok.content.replace("ok", "ko"));
    stderr = await fetchWith(instance, "app/tampered.json", ok.sha256);
    const tampered = appArtifact([file("/opt/foobar-fail/main.js", "ko\n")]).sha256;
    assert.match(stderr, error(`the bundle ${at("app/tampered.json")} has sha256 ${tampered}, not ${ok.sha256} as the user data says`));

    // A file outside the roots, however its path is spelt: the whole bundle is refused.
    for (const bad of ["/etc/evil.conf", "/opt/foobar-fail/../../etc/evil.conf"]) {
        const outside = appArtifact([file("/opt/foobar-fail/main.js", "ok\n"), file(bad, "evil\n")]);
        standin.putObject(BUCKET, outside.key, outside.content);
        stderr = await fetchWith(instance, outside.key, outside.sha256);
        assert.match(
            stderr,
            error(`the bundle ${at(outside.key)}: bad file entry '${bad}' (needs a path under /opt/foobar-fail, an octal mode, content)`),
        );
    }
}
