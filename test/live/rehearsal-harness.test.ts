// Proves the pieces of the aws platform's boot rehearsal, before any program builds user data
// for them: EC2 stand-in instances boot a cloud-config with Debian's cloud-init, and the boot
// helper (foobar-secrets) fetches each instance's own secrets from the SSM stand-in through
// the seam and writes them into config files with the right owner and mode, and fetches an app
// bundle from the S3 stand-in, checks its hash and unpacks it (test/live/artifactHarness.ts).
//
// Uses only its own docker network, foobar-harness (10.99.0.0/24): the SSM stand-in listens
// on that network's gateway address, on the host; the instances are 10.99.0.10 to .13.
// The network is not internal: cloud-init installs a package from Debian's archive.
import * as assert from "node:assert/strict";
import * as crypto from "crypto";
import * as fs from "fs";
import * as yaml from "js-yaml";
import * as path from "path";
import * as zlib from "zlib";
import {
    STANDIN_IMAGE,
    StandinVpc,
    bootInstance,
    buildStandinImage,
    createVpc,
    FAKE_ACCESS_KEY_ID,
    Instance,
    removeVpcLeftovers,
    waitForCloudInit,
    waitForCloudInitAll,
} from "./instances";
import { SsmStandin, startSsmStandin } from "./ssmStandin";
import { ARTIFACT, BUCKET, artifactBoot, artifactFailures, assertUnpacked } from "./artifactHarness";

const REPO = path.join(__dirname, "..", "..");
const HELPER = fs.readFileSync(path.join(REPO, "components", "platforms", "aws", "files", "foobar-secrets.py"), "utf8");
const IMAGE = STANDIN_IMAGE;
const GATEWAY = "10.99.0.1";
const LABEL = { key: "foobar.harness", value: "rehearsal-harness" };
const VPC: StandinVpc = { name: "foobar-harness", subnet: "10.99.0.0/24", gateway: GATEWAY, label: LABEL };
const NETWORK = VPC.name;
const BOOT_TIMEOUT_MS = 5 * 60_000;

/** One instance's secrets: key in the config file -> SSM parameter name -> value. */
interface Secrets {
    readonly names: Record<string, string>;
    readonly values: Record<string, string>;
}

function secretsOf(server: string): Secrets {
    // A password with characters a naive substitution would mangle, and a multi-line PEM key.
    const tlsKey = crypto.generateKeyPairSync("ec", { namedCurve: "P-256" }).privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const names = { db_password: `/foobar/harness/${server}/db-password`, tls_key: `/foobar/harness/${server}/tls-key` };
    return { names, values: { db_password: `p$1\\&'"${crypto.randomBytes(12).toString("base64url")}`, tls_key: tlsKey } };
}

const CONF = "/etc/foobar/harness/secret.conf";
// The secret file is owned by a user that only a package creates (tcpdump's postinst adds
// tcpdump, as mariadb's adds mysql): the helper runs after `packages:`, so the owner exists.
const OWNER = "tcpdump";
const TEMPLATE = '# rendered at boot by foobar-secrets\npassword = "@@FOOBAR_SECRET:db_password@@"\n@@FOOBAR_SECRET:tls_key@@\nend\r\n';

/** No value, nor any line of a multi-line value, appears in `text`. */
function assertNoSecret(text: string, s: Secrets, where: string): void {
    for (const value of Object.values(s.values)) {
        for (const piece of [value, ...value.split("\n").filter((l) => l.length > 8 && !l.startsWith("-----"))]) {
            assert.ok(!text.includes(piece), `a secret value reached ${where}`);
        }
    }
}

function rendered(s: Secrets): string {
    return TEMPLATE.replace(/@@FOOBAR_SECRET:([a-z_]+)@@/g, (_, key: string) => s.values[key]);
}

function manifest(s: Secrets, files = [{ path: CONF, owner: OWNER, group: OWNER, mode: "0400" }]): string {
    return JSON.stringify({ region: "eu-west-1", parameters: s.names, files }, null, 2) + "\n";
}

/** The user data the aws program will build, in miniature: no secret value is in it. */
function userData(s: Secrets): string {
    const config = {
        packages: [OWNER],
        // defer: written in the final stage, after `packages:` (owners exist), before runcmd.
        write_files: [
            { path: "/usr/local/sbin/foobar-secrets", permissions: "0755", content: HELPER, defer: true },
            { path: "/etc/foobar/secrets.json", permissions: "0600", content: manifest(s), defer: true },
            { path: CONF, permissions: "0600", content: TEMPLATE, defer: true },
            // The app bundle, as a web server's boot fetches it from S3 (after the secrets).
            { ...artifactBoot.file, defer: true },
        ],
        runcmd: [["/usr/local/sbin/foobar-secrets"], artifactBoot.command],
    };
    return `#cloud-config\n${yaml.dump(config, { lineWidth: -1 })}`;
}

async function writeIn(instance: Instance, file: string, content: string): Promise<void> {
    await instance.exec(["sh", "-c", 'umask 077 && printf %s "$1" > "$2"', "sh", content, file]);
}

describe("boot rehearsal harness: EC2 stand-in, SSM stand-in, foobar-secrets", function () {
    const s1 = secretsOf("server-1");
    const s2 = secretsOf("server-2");
    const instances: Instance[] = [];
    let ssm: SsmStandin | undefined;
    let first: Instance;
    const timings: Record<string, number> = {};

    before(async function () {
        await removeVpcLeftovers(VPC);
        let t = Date.now();
        await buildStandinImage(REPO);
        timings["image build"] = Date.now() - t;
        await createVpc(VPC);
        ssm = await startSsmStandin({
            host: GATEWAY,
            port: 0,
            parameters: Object.fromEntries([s1, s2].flatMap((s) => Object.keys(s.names).map((k) => [s.names[k], s.values[k]]))),
            objects: { [`${BUCKET}/${ARTIFACT.key}`]: ARTIFACT.content },
        });
        t = Date.now();
        first = await bootInstance({
            name: "foobar-harness-server-1",
            image: IMAGE,
            network: NETWORK,
            ipv4Address: "10.99.0.10",
            userData: userData(s1),
            ssmEndpoint: ssm.url,
            s3Endpoint: ssm.url,
            labels: { [LABEL.key]: LABEL.value },
        });
        instances.push(first);
        await waitForCloudInit(first, BOOT_TIMEOUT_MS);
        timings["boot to cloud-init done (plain user data)"] = Date.now() - t;
    });

    after(async function () {
        for (const instance of instances.splice(0)) await instance.remove();
        await ssm?.close();
        await removeVpcLeftovers(VPC);
        for (const [what, ms] of Object.entries(timings)) console.log(`      ${what}: ${(ms / 1000).toFixed(1)} s`);
    });

    it("keeps every secret value out of the user data", function () {
        assertNoSecret(userData(s1), s1, "the user data");
    });

    it("boots with systemd as PID 1 through all of cloud-init's stages, from the NoCloud seed", async function () {
        assert.equal((await first.exec(["cat", "/proc/1/comm"])).trim(), "systemd");
        const status = await first.exec(["cloud-init", "status", "--long"]);
        assert.match(status, /^status: done$/m);
        assert.match(status, /DataSourceNoCloud/);
        const output = await first.exec(["cat", "/var/log/cloud-init-output.log"]);
        for (const stage of ["init-local", "init", "modules:config", "modules:final"])
            assert.match(output, new RegExp(`running '${stage}'`));
        assert.equal(
            (await first.run(["grep", "-E", "WARNING|ERROR", "/var/log/cloud-init.log"])).stdout,
            "",
            "cloud-init logged warnings",
        );
        assert.equal((await first.exec(["systemctl", "is-system-running"])).trim(), "running");
        assert.equal((await first.exec(["hostname"])).trim(), "foobar-harness-server-1");
        // On its one network only, at the fixed address.
        const addresses = (await first.exec(["ip", "-4", "-o", "addr"]))
            .split("\n")
            .filter(Boolean)
            .map((l) => l.split(/\s+/).slice(1, 4).join(" "));
        assert.deepEqual(addresses, ["lo inet 127.0.0.1/8", "eth0 inet 10.99.0.10/24"]);
        assert.equal((await first.exec(["dpkg-query", "-W", "-f", "${Status}", OWNER])).trim(), "install ok installed");
    });

    it("installs the helper verbatim and writes the real values, with the manifest's owner and mode", async function () {
        assert.equal(await first.exec(["cat", "/usr/local/sbin/foobar-secrets"]), HELPER);
        assert.equal((await first.exec(["stat", "-c", "%a", "/usr/local/sbin/foobar-secrets"])).trim(), "755");
        assert.equal(await first.exec(["cat", CONF]), rendered(s1));
        assert.equal((await first.exec(["stat", "-c", "%U:%G %a", CONF])).trim(), `${OWNER}:${OWNER} 400`);
        // Atomic write: nothing but the file itself is left in its directory.
        assert.deepEqual((await first.exec(["ls", "-A", path.dirname(CONF)])).split(/\s+/).filter(Boolean), [path.basename(CONF)]);
        const output = await first.exec(["cat", "/var/log/cloud-init-output.log"]);
        assert.match(output, /foobar-secrets: 2 parameter\(s\) into 1 file\(s\)/);
        assertNoSecret(output, s1, "the boot log");
        assertNoSecret(await first.logs(), s1, "the console");
    });

    it("the SSM stand-in saw exactly this instance's two GetParameter calls, decrypted, from 10.99.0.10, signed with the seam's credentials", function () {
        const calls = ssm!.requests.map((r) => ({ ...r }));
        assert.deepEqual(
            calls.sort((a, b) => a.name.localeCompare(b.name)),
            Object.values(s1.names)
                .sort()
                .map((name) => ({
                    operation: "GetParameter",
                    name,
                    withDecryption: true,
                    sourceAddress: "10.99.0.10",
                    accessKeyId: FAKE_ACCESS_KEY_ID,
                })),
        );
    });

    it("fetched the app bundle from the S3 stand-in at boot, checked its hash and unpacked it under its roots, owned by root", async function () {
        await assertUnpacked(first, ssm!, "10.99.0.10");
    });

    it("fails the bundle's fetch loudly (exit 1, naming the object) and writes nothing: no such key, a wrong hash, a path outside the roots", async function () {
        await artifactFailures(first, ssm!);
    });

    it("fails (exit 1, no secret printed, no file touched, nothing fetched) on a placeholder whose key is not in the manifest", async function () {
        const bad = "/etc/foobar/harness/bad.conf";
        const badTemplate = "a = @@FOOBAR_SECRET:db_password@@\nb = @@FOOBAR_SECRET:no_such_key@@\n";
        await writeIn(first, bad, badTemplate);
        await writeIn(
            first,
            "/etc/foobar/secrets.json",
            manifest(s1, [
                { path: CONF, owner: OWNER, group: OWNER, mode: "0400" },
                { path: bad, owner: "root", group: "root", mode: "0600" },
            ]),
        );
        const before = ssm!.requests.length;
        const r = await first.run(["/usr/local/sbin/foobar-secrets"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /^foobar-secrets: error: \/etc\/foobar\/harness\/bad\.conf: placeholder key\(s\) not in the manifest's parameters: no_such_key$/m,
        );
        assertNoSecret(r.stdout + r.stderr, s1, "the helper's output");
        assert.equal(ssm!.requests.length, before, "it fetched before checking every file");
        assert.equal(await first.exec(["cat", bad]), badTemplate);
        assert.equal(await first.exec(["cat", CONF]), rendered(s1));
    });

    it("fails (exit 1, names the parameter) when a listed parameter does not exist, and on an unreadable manifest", async function () {
        const missing = { names: { ...s1.names, gone: "/foobar/harness/server-1/gone" }, values: s1.values };
        await writeIn(first, "/etc/foobar/secrets.json", manifest(missing));
        let r = await first.run(["/usr/local/sbin/foobar-secrets"]);
        assert.equal(r.code, 1, r.stdout + r.stderr);
        assert.match(
            r.stderr,
            /^foobar-secrets: error: cannot get SSM parameter \/foobar\/harness\/server-1\/gone \(key gone\): ParameterNotFound$/m,
        );
        assert.ok(ssm!.requests.some((q) => q.name === "/foobar/harness/server-1/gone" && q.sourceAddress === "10.99.0.10"));
        await writeIn(first, "/etc/foobar/secrets.json", "{not json");
        r = await first.run(["/usr/local/sbin/foobar-secrets"]);
        assert.equal(r.code, 1);
        assert.match(r.stderr, /^foobar-secrets: error: cannot read manifest \/etc\/foobar\/secrets\.json: /m);
        assertNoSecret(r.stdout + r.stderr, s1, "the helper's output");
    });

    it("boots gzip-compressed user data the same, and that instance reads only its own parameters", async function () {
        const t = Date.now();
        const second = await bootInstance({
            name: "foobar-harness-server-2",
            image: IMAGE,
            network: NETWORK,
            ipv4Address: "10.99.0.11",
            userData: zlib.gzipSync(userData(s2)),
            ssmEndpoint: ssm!.url,
            s3Endpoint: ssm!.url,
            labels: { [LABEL.key]: LABEL.value },
        });
        instances.push(second);
        await waitForCloudInit(second, BOOT_TIMEOUT_MS);
        timings["boot to cloud-init done (gzip user data)"] = Date.now() - t;
        assert.equal(await second.exec(["cat", CONF]), rendered(s2));
        await assertUnpacked(second, ssm!, "10.99.0.11");
        assert.equal((await second.exec(["stat", "-c", "%U:%G %a", CONF])).trim(), `${OWNER}:${OWNER} 400`);
        const fromSecond = ssm!.requests.filter((q) => q.sourceAddress === "10.99.0.11").map((q) => q.name);
        assert.deepEqual(fromSecond.sort(), Object.values(s2.names).sort());
        assert.ok(ssm!.requests.every((q) => ["10.99.0.10", "10.99.0.11"].includes(q.sourceAddress)));
    });

    it("waitForCloudInit fails with the output log's tail when a boot step fails; waitForCloudInitAll stops the other waits", async function () {
        // Never done: its wait ends only when the failing one makes waitForCloudInitAll give up.
        // Were it not stopped, this test would hang for the whole 30 min timeout below.
        this.timeout(BOOT_TIMEOUT_MS);
        const neverDone = await bootInstance({
            name: "foobar-harness-never-done",
            image: IMAGE,
            network: NETWORK,
            ipv4Address: "10.99.0.13",
            userData: `#cloud-config\n${yaml.dump({ runcmd: [["sleep", "infinity"]] })}`,
            labels: { [LABEL.key]: LABEL.value },
        });
        instances.push(neverDone);
        const failing = await bootInstance({
            name: "foobar-harness-failing",
            image: IMAGE,
            network: NETWORK,
            ipv4Address: "10.99.0.12",
            userData: `#cloud-config\n${yaml.dump({ runcmd: [["sh", "-c", "echo boot-step-broke >&2; exit 3"]] })}`,
            labels: { [LABEL.key]: LABEL.value },
        });
        instances.push(failing);
        const failsWithTail = (err: Error) => {
            assert.match(err.message, /^cloud-init on foobar-harness-failing: error$/m);
            assert.match(err.message, /boot-step-broke/);
            return true;
        };
        await assert.rejects(waitForCloudInit(failing, BOOT_TIMEOUT_MS), failsWithTail);
        // neverDone first: the error is the first failure in time, not in order.
        await assert.rejects(waitForCloudInitAll([neverDone, failing], 30 * 60_000), failsWithTail);
    });
});
