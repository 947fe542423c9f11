// The app bundle as an artifact in S3 (components/platforms/aws/artifacts.ts): a private bucket per
// stack, one object named by its content's hash, each web server's boot fetching it, and user data
// that no longer carries the app's JavaScript, with room to spare under EC2's 16 KiB. Prometheus's
// alert rules come the same way, as a second object (the monitoring bundle) that each server running
// Prometheus (the load balancers) fetches just before Prometheus starts.
import assert from "node:assert/strict";
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { appArtifact, artifactDelivery, monitoringArtifact, tlsOnlyPolicy } from "../../components/platforms/aws/artifacts";
import { PROMETHEUS_RULES_PATH } from "../../components/render/prometheus";
import { BUNDLE_ROOTS, appBundle, installedFiles } from "../../components/vm/appBundle";
import { bootSteps } from "../../components/vm/boot";
import { USER_DATA_LIMIT } from "../../components/vm/cloudInit";
import { RecordedResource, StackRun, byType, findResource } from "../helpers/pulumiMocks";
import { AWS_TYPES, instances, runStack, userData, wiring, writtenFile } from "./awsHelpers";
import { Outputs } from "./stackHelpers";

const REPO = path.join(__dirname, "..", "..");
const STACKS = ["staging", "prod"] as const;
const ARTIFACT = "/etc/foobar/artifact.json";
const FETCH = ["/usr/local/sbin/foobar-secrets", "--artifact", ARTIFACT];
const isWeb = (i: RecordedResource) => i.inputs.tags["foobar:role"] === "web";
/** The only directory the monitoring bundle may write under: its one file is Prometheus's alert rules. */
const RULES_DIR = "/etc/prometheus/rules";

describe("aws app bundle: the artifact", () => {
    it("is every transpiled app file, npm package file and static asset at its path on the VM, mode 0644, named by the SHA-256 of its bytes", () => {
        const artifact = appArtifact();
        const { files } = JSON.parse(artifact.content) as { files: Array<{ path: string; mode: string; content: string }> };
        const bundle = appBundle();
        assert.deepEqual(
            files.map((f) => f.path),
            [
                ...bundle.app.map((f) => `/opt/foobar-app/dist/${path.basename(f.source)}`),
                ...bundle.packages.map((f) => `/opt/foobar-app/${f.source}`),
                "/srv/foobar/static/favicon.svg",
                "/srv/foobar/static/style.css",
            ],
        );
        assert.ok(files.some((f) => f.path === "/opt/foobar-app/dist/main.js"));
        assert.ok(files.every((f) => f.mode === "0644" && BUNDLE_ROOTS.some((root) => f.path.startsWith(`${root}/`))));
        for (const name of ["favicon.svg", "style.css"])
            assert.equal(files.find((f) => f.path.endsWith(name))?.content, fs.readFileSync(path.join(REPO, "app/public", name), "utf8"));
        assert.equal(artifact.sha256, createHash("sha256").update(artifact.content).digest("hex"));
        assert.equal(artifact.key, `app/${artifact.sha256}.json`);
    });

    it("is content-addressed: the same files give the same key; a changed file, a new key", () => {
        const files = installedFiles();
        assert.deepEqual(appArtifact(files), appArtifact([...files]));
        const changed = files.map((f, i) => (i === 0 ? { ...f, content: `${f.content}\n` } : f));
        assert.notEqual(appArtifact(changed).key, appArtifact(files).key);
        // ...and so a new user data for each web server (userDataReplaceOnChange replaces them, one at a time).
        const config = (files: typeof changed) => artifactDelivery("eu-west-1", "b", appArtifact(files)).files[0].content;
        assert.notEqual(config(changed), config(files));
    });

    it("monitoring: Prometheus's alert rules alone, mode 0644, under /etc/prometheus/rules only, named by the SHA-256 of its bytes", () => {
        assert.equal(PROMETHEUS_RULES_PATH, `${RULES_DIR}/foobar-alerts.yml`);
        const rules = "groups: []\n";
        const artifact = monitoringArtifact(rules);
        assert.deepEqual(JSON.parse(artifact.content), { files: [{ path: PROMETHEUS_RULES_PATH, content: rules, mode: "0644" }] });
        assert.equal(artifact.sha256, createHash("sha256").update(artifact.content).digest("hex"));
        assert.deepEqual([artifact.key, artifact.roots], [`monitoring/${artifact.sha256}.json`, [RULES_DIR]]);
        // Content-addressed as the app's: other rules, another key; the boot may write under its own roots only.
        assert.notEqual(monitoringArtifact(`${rules}# changed\n`).key, artifact.key);
        assert.deepEqual(JSON.parse(artifactDelivery("eu-west-1", "b", artifact).files[0].content).roots, [RULES_DIR]);
        assert.deepEqual(JSON.parse(artifactDelivery("eu-west-1", "b", appArtifact()).files[0].content).roots, BUNDLE_ROOTS);
    });

    it("is delivered just before the first service that reads it, and to no VM without one", () => {
        const delivery = { files: [{ path: ARTIFACT, content: "{}\n" }], commands: [FETCH] };
        const web = bootSteps(
            [
                { kind: "nginx", files: [] },
                { kind: "mariadb", files: [] },
                { kind: "app", files: [] },
            ],
            delivery,
        );
        assert.deepEqual(web.commands.slice(0, 3), [["systemctl", "restart", "mariadb"], FETCH, ["systemctl", "daemon-reload"]]);
        assert.deepEqual(
            web.files.map((f) => f.path),
            [ARTIFACT, "/etc/foobar/app.env", "/etc/systemd/system/foobar-app.service"],
        );
        const lb = bootSteps([{ kind: "haproxy", files: [] }], delivery);
        assert.deepEqual([lb.files, lb.commands], [[], [["systemctl", "restart", "haproxy"]]]);
        // The monitoring bundle's reader is Prometheus: after HAProxy and Alertmanager, just before it.
        const monitor = bootSteps(
            [
                { kind: "prometheus", files: [] },
                { kind: "haproxy", files: [] },
                { kind: "alertmanager", files: [] },
            ],
            delivery,
        );
        assert.deepEqual(monitor.commands, [
            ["systemctl", "restart", "haproxy"],
            ["systemctl", "restart", "prometheus-alertmanager"],
            FETCH,
            ["systemctl", "restart", "prometheus"],
        ]);
    });
});

for (const stack of STACKS) {
    describe(`aws app bundle: ${stack}`, () => {
        const P = `foobar-${stack}`;
        let run: StackRun<Outputs>;
        let bucket: RecordedResource;
        before(async () => {
            run = await runStack(stack);
            bucket = findResource(run.resources, AWS_TYPES.bucket, `${P}-artifacts`);
        });
        const one = (type: string) => {
            const found = byType(run.resources, type);
            assert.equal(found.length, 1, type);
            return found[0];
        };

        it("one private bucket: public access blocked, ACLs off, SSE-S3, TLS only; emptied on destroy unless production", () => {
            // prod is a production stack: its bucket refuses `pulumi destroy` while it holds objects of another's.
            assert.deepEqual(bucket.inputs, { forceDestroy: stack !== "prod", tags: { "foobar:stack": P, "managed-by": "pulumi" } });
            // Each names the bucket as the user data does: by its name (its id, on AWS).
            const id = bucket.state.bucket;
            assert.equal(id, `${P}-artifacts-20261101`);
            assert.deepEqual(one(AWS_TYPES.bucketOwnershipControls).inputs, {
                bucket: id,
                rule: { objectOwnership: "BucketOwnerEnforced" },
            });
            assert.deepEqual(one(AWS_TYPES.bucketPublicAccessBlock).inputs, {
                bucket: id,
                blockPublicAcls: true,
                blockPublicPolicy: true,
                ignorePublicAcls: true,
                restrictPublicBuckets: true,
            });
            assert.deepEqual(one(AWS_TYPES.bucketEncryption).inputs, {
                bucket: id,
                rules: [{ applyServerSideEncryptionByDefault: { sseAlgorithm: "AES256" } }],
            });
            const policy = one(AWS_TYPES.bucketPolicy);
            assert.deepEqual(policy.inputs, { bucket: id, policy: tlsOnlyPolicy(bucket.state.arn) });
            assert.deepEqual(JSON.parse(policy.inputs.policy).Statement[0].Condition, { Bool: { "aws:SecureTransport": "false" } });
            assert.ok(policy.options.dependencies.includes(one(AWS_TYPES.bucketPublicAccessBlock).urn));
        });

        it("two objects: the app bundle and Prometheus's alert rules, each under its hash; each server's user data names its own, and each instance waits for it", () => {
            // The alert rules as Prometheus's render has them (the docker platform's file): one for every Prometheus.
            const rules = wiring(stack).file("server-3-prometheus", PROMETHEUS_RULES_PATH);
            const wanted = { app: appArtifact(), monitoring: monitoringArtifact(rules) };
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.bucketObject).map((o) => o.name),
                [`${P}-app-bundle`, `${P}-monitoring-bundle`],
            );
            const objects = {
                app: findResource(run.resources, AWS_TYPES.bucketObject, `${P}-app-bundle`),
                monitoring: findResource(run.resources, AWS_TYPES.bucketObject, `${P}-monitoring-bundle`),
            };
            for (const bundle of ["app", "monitoring"] as const) {
                assert.deepEqual(
                    objects[bundle].inputs,
                    {
                        bucket: bucket.state.bucket,
                        key: wanted[bundle].key,
                        content: wanted[bundle].content,
                        contentType: "application/json",
                        tags: { "foobar:stack": P, "managed-by": "pulumi" },
                    },
                    bundle,
                );
            }
            for (const i of instances(run)) {
                const { config, text } = userData(i);
                // Web servers read the app bundle (the app's code, nginx's static assets) before the app starts;
                // the load balancers, where Prometheus runs, the alert rules before Prometheus starts.
                const [bundle, other, roots, reader] = isWeb(i)
                    ? ([
                          "app",
                          "monitoring",
                          ["/opt/foobar-app/dist", "/opt/foobar-app/node_modules", "/srv/foobar/static"],
                          "foobar-app",
                      ] as const)
                    : (["monitoring", "app", [RULES_DIR], "prometheus"] as const);
                const artifact = wanted[bundle];
                assert.deepEqual(
                    JSON.parse(writtenFile(config, ARTIFACT)),
                    { region: "eu-west-1", bucket: bucket.state.bucket, key: artifact.key, sha256: artifact.sha256, roots },
                    i.name,
                );
                // Only its own: a new app version does not touch a load balancer's user data, nor new rules a web server's.
                assert.ok(!text.includes(wanted[other].key), `${i.name} names the ${other} bundle`);
                const fetch = config.runcmd.findIndex((c) => c.includes("--artifact"));
                assert.ok(fetch >= 0 && fetch < config.runcmd.findIndex((c) => c.includes(reader)), i.name);
                assert.equal(config.runcmd.filter((c) => c.includes("--artifact")).length, 1, i.name);
                // The object and the role policy that may read it exist before the instance boots.
                const policy = findResource(run.resources, AWS_TYPES.rolePolicy, `${i.name}-artifact`);
                assert.deepEqual(JSON.parse(policy.inputs.policy).Statement, [
                    { Effect: "Allow", Action: ["s3:GetObject"], Resource: [`${bucket.state.arn}/${artifact.key}`] },
                ]);
                for (const needed of [objects[bundle], policy])
                    assert.ok(i.options.dependencies.includes(needed.urn), `${i.name} waits for ${needed.name}`);
            }
        });

        it("no web server's user data holds the app's JavaScript or static assets", () => {
            const pieces = installedFiles().map((f) => f.content.slice(0, 120));
            for (const i of instances(run).filter(isWeb)) {
                const { text } = userData(i);
                for (const piece of pieces) assert.ok(!text.includes(piece), `${i.name} carries ${piece.slice(0, 40)}...`);
                assert.ok(!text.includes("__esModule"), i.name);
            }
        });
    });
}

describe("aws user data: the headroom", () => {
    it("the largest user data of staging and prod (2 and 8 web servers) leaves at least 4 KiB under EC2's 16 KiB", async () => {
        const sizes: string[] = [];
        let largest = 0;
        for (const stack of STACKS) {
            for (const overrides of [{}, { "foobar:webServers": 8 }]) {
                for (const i of instances(await runStack(stack, overrides))) {
                    const bytes = userData(i).gzipBytes;
                    largest = Math.max(largest, bytes);
                    if (!("foobar:webServers" in overrides)) sizes.push(`${i.name} ${bytes}`);
                }
            }
        }
        console.log(
            `      user data, gzipped bytes: ${sizes.join(", ")}; the largest ${largest}, ${USER_DATA_LIMIT - largest} under the limit`,
        );
        assert.ok(USER_DATA_LIMIT - largest >= 4096, `${largest} bytes: less than 4 KiB of headroom`);
    });
});
