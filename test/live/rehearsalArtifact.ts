// The bundles in the boot rehearsal: the stack's bundle objects (as the program registered them)
// served by the S3 stand-in, and what the servers made of them: each web server fetched exactly the
// app's object, which its role may read, once, installed every file of it byte for byte, runs the
// app from it and serves its static assets; each server with Prometheus fetched the alert rules'
// object once and installed it. Their user data holds none of it.
import * as assert from "node:assert/strict";
import { createHash } from "crypto";
import { gunzipSync } from "zlib";
import { RecordedResource } from "../helpers/pulumiMocks";
import { FAKE_ACCESS_KEY_ID, Instance } from "./instances";
import { Site, getHttps } from "./probes";
import { SsmStandin } from "./ssmStandin";

const OBJECT = "aws:s3/bucketObjectv2:BucketObjectv2";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";
const INSTANCE = "aws:ec2/instance:Instance";

/** The stack's objects as the stand-in serves them: "<bucket>/<key>" -> the content the program uploads. */
export function bundleObjects(resources: readonly RecordedResource[]): Record<string, string> {
    const objects = resources.filter((r) => r.type === OBJECT);
    assert.deepEqual(
        objects.map((o) => String(o.inputs.key).split("/")[0]).sort(),
        ["app", "monitoring"],
        "the app's and the rules' objects",
    );
    return Object.fromEntries(objects.map((o) => [`${o.inputs.bucket}/${o.inputs.key}`, o.inputs.content as string]));
}

/** Checks the web servers' bundle against the object; returns one line of figures for the log. */
export async function checkBundle(
    resources: readonly RecordedResource[],
    standin: SsmStandin,
    instances: ReadonlyMap<string, Instance>,
    site: Site,
): Promise<string> {
    const objectOf = (bundle: string) =>
        resources.find((r) => r.type === OBJECT && String(r.inputs.key).startsWith(`${bundle}/`)) as RecordedResource;
    const object = objectOf("app");
    const rules = objectOf("monitoring");
    const content = object.inputs.content as string;
    const files = (JSON.parse(content) as { files: Array<{ path: string; mode: string; content: string }> }).files;
    const servers = resources.filter((r) => r.type === INSTANCE);
    const web = servers.filter((r) => r.inputs.tags["foobar:role"] === "web");
    const balancers = servers.filter((r) => r.inputs.tags["foobar:role"] !== "web");
    // Each web server fetched the app's object once, each load balancer (with Prometheus) the rules',
    // signed with the seam's credentials.
    const fetch = (r: RecordedResource, o: RecordedResource) => [
        "GetObject",
        o.inputs.bucket,
        o.inputs.key,
        r.inputs.privateIp,
        FAKE_ACCESS_KEY_ID,
        200,
    ];
    assert.deepEqual(
        standin.objectRequests.map((r) => [r.operation, r.bucket, r.key, r.sourceAddress, r.accessKeyId, r.status]).sort(),
        [...web.map((r) => fetch(r, object)), ...balancers.map((r) => fetch(r, rules))].sort(),
    );
    // The rules arrived byte for byte where Prometheus loads them, root's, 0644.
    const [ruleFile] = (JSON.parse(rules.inputs.content as string) as { files: Array<{ path: string; content: string }> }).files;
    for (const r of balancers) {
        const instance = instances.get(r.inputs.tags["foobar:server"]) as Instance;
        assert.equal(await instance.exec(["cat", ruleFile.path]), ruleFile.content, instance.name);
        assert.equal((await instance.exec(["stat", "-c", "%U:%G %a", ruleFile.path])).trim(), "root:root 644", instance.name);
        const userData = gunzipSync(Buffer.from(r.inputs.userDataBase64, "base64")).toString();
        assert.ok(userData.includes(rules.inputs.key) && !userData.includes(ruleFile.content.slice(0, 200)), instance.name);
    }
    for (const r of web) {
        const instance = instances.get(r.inputs.tags["foobar:server"]) as Instance;
        const name = instance.name;
        // ...the very object its role may read.
        const policy = resources.find((p) => p.type === ROLE_POLICY && p.name === `${r.name}-artifact`) as RecordedResource;
        assert.deepEqual(JSON.parse(policy.inputs.policy).Statement[0].Resource, [
            `arn:aws:s3:::${object.inputs.bucket}/${object.inputs.key}`,
        ]);
        // Installed byte for byte, root's, 0644; the app runs from it.
        const sums = await instance.exec(["sha256sum", ...files.map((f) => f.path)]);
        const want = files.map((f) => `${createHash("sha256").update(f.content).digest("hex")}  ${f.path}`);
        assert.deepEqual(sums.trim().split("\n"), want, name);
        const owners = await instance.exec(["stat", "-c", "%U:%G %a", ...files.map((f) => f.path)]);
        assert.deepEqual(
            owners.trim().split("\n"),
            files.map(() => "root:root 644"),
            name,
        );
        const pid = (await instance.exec(["systemctl", "show", "-p", "MainPID", "--value", "foobar-app"])).trim();
        assert.match(await instance.exec(["cat", `/proc/${pid}/cmdline`]), /^\/usr\/bin\/node\0\/opt\/foobar-app\/dist\/main\.js\0$/, name);
        const log = await instance.exec(["cat", "/var/log/cloud-init-output.log"]);
        assert.match(
            log,
            /^foobar-secrets: bundle s3:\/\/\S+, sha256 verified: \d+ file\(s\) under \/opt\/foobar-app\/dist, \/opt\/foobar-app\/node_modules, \/srv\/foobar\/static$/m,
            name,
        );
        // The user data names the object and holds none of its files.
        const userData = gunzipSync(Buffer.from(r.inputs.userDataBase64, "base64")).toString();
        assert.ok(userData.includes(object.inputs.key) && !files.some((f) => userData.includes(f.content.slice(0, 200))), name);
    }
    // The static assets nginx serves come from the bundle, on every web server.
    const css = files.find((f) => f.path === "/srv/foobar/static/style.css") as { content: string };
    const servedBy = new Set<string>();
    for (let i = 0; i < 2 * web.length; i++) {
        const reply = await getHttps(site, "/static/style.css");
        assert.deepEqual([reply.status, reply.body], [200, css.content]);
        servedBy.add(String(reply.headers["x-web-server"]));
    }
    assert.deepEqual([...servedBy].sort(), web.map((r) => r.inputs.tags["foobar:server"]).sort());
    const sizes = servers.map((r) => `${r.inputs.tags["foobar:server"]} ${Buffer.from(r.inputs.userDataBase64, "base64").length}`);
    return `app bundle ${object.inputs.key}: ${files.length} files, ${Buffer.byteLength(content)} bytes, fetched once by each of ${web.length} web servers; user data (gzipped bytes): ${sizes.join(", ")}`;
}
