// The cloud-config renderer and user data compression: secrets as placeholders, a manifest of
// exactly the parameters used, EC2's 16 KiB limit. Pure.
import assert from "node:assert/strict";
import * as crypto from "crypto";
import { gunzipSync, gzipSync } from "zlib";
import * as yaml from "js-yaml";
import {
    CloudConfigInput,
    SECRETS_HELPER_PATH,
    SECRETS_MANIFEST_PATH,
    USER_DATA_LIMIT,
    compressUserData,
    placeholdersIn,
    renderCloudConfig,
    secretPlaceholder,
} from "../../components/vm/cloudInit";
import { CloudConfig } from "./awsHelpers";

const OWNER = { owner: "mysql", group: "mysql", mode: "0400" };

const input = (overrides: Partial<CloudConfigInput> = {}): CloudConfigInput => ({
    hostname: "server-9",
    region: "eu-west-1",
    packages: ["nginx-light", "mariadb-server", "nginx-light"],
    files: [
        { path: "/etc/a.conf", content: "plain\n" },
        {
            path: "/etc/b.sql",
            content: `PASSWORD '${secretPlaceholder("alpha")}' AND '${secretPlaceholder("beta")}' AND '${secretPlaceholder("alpha")}'\n`,
        },
        { path: "/usr/local/bin/x", content: "#!/bin/sh\n", permissions: "0755" },
    ],
    parameters: { alpha: "/foobar/t/alpha", beta: "/foobar/t/beta", gamma: "/foobar/t/gamma" },
    secretOwner: () => OWNER,
    commandsBeforeSecrets: [["useradd", "foobar"]],
    commands: [["systemctl", "restart", "nginx"]],
    secretsHelper: "#!/usr/bin/python3\n",
    ...overrides,
});

/** Deterministic, nearly incompressible text: base64 of a SHA-256 chain. */
function noise(length: number): string {
    const parts: string[] = [];
    let size = 0;
    for (let i = 0; size < length; i++) {
        const part = crypto.createHash("sha256").update(`foobar-${i}`).digest("base64");
        parts.push(part);
        size += part.length;
    }
    return parts.join("").slice(0, length);
}
const gzLength = (text: string) => gzipSync(Buffer.from(text), { level: 9 }).length;

describe("renderCloudConfig", () => {
    const text = renderCloudConfig(input());
    const config = yaml.load(text) as CloudConfig & { preserve_hostname: boolean; package_update: boolean; apt: { conf: string } };

    it("renders #cloud-config YAML: hostname, sorted unique packages with botocore, the helper first in runcmd", () => {
        assert.ok(text.startsWith("#cloud-config\n"));
        assert.equal(config.hostname, "server-9");
        assert.equal(config.preserve_hostname, false);
        assert.equal(config.package_update, true);
        // Without Recommends: no node exporter, smartmontools or ipmitool the stack never asked for.
        assert.equal(config.apt.conf, 'APT::Install-Recommends "false";\n');
        assert.deepEqual(config.packages, ["mariadb-server", "nginx-light", "python3-botocore"]);
        assert.deepEqual(config.runcmd, [["useradd", "foobar"], [SECRETS_HELPER_PATH], ["systemctl", "restart", "nginx"]]);
    });

    it("writes the helper, the manifest and every file after the packages, owned by root", () => {
        assert.deepEqual(
            config.write_files.map((f) => [f.path, f.permissions, f.owner, f.defer]),
            [
                [SECRETS_HELPER_PATH, "0755", "root:root", true],
                [SECRETS_MANIFEST_PATH, "0600", "root:root", true],
                ["/etc/a.conf", "0644", "root:root", true],
                // Placeholders: 0600 until the helper fills them in and applies the owner.
                ["/etc/b.sql", "0600", "root:root", true],
                ["/usr/local/bin/x", "0755", "root:root", true],
            ],
        );
        assert.equal(
            config.write_files[3].content,
            "PASSWORD '@@FOOBAR_SECRET:alpha@@' AND '@@FOOBAR_SECRET:beta@@' AND '@@FOOBAR_SECRET:alpha@@'\n",
        );
    });

    it("lists in the manifest only the parameters the files use, and only the files holding them", () => {
        assert.deepEqual(JSON.parse(config.write_files[1].content), {
            region: "eu-west-1",
            parameters: { alpha: "/foobar/t/alpha", beta: "/foobar/t/beta" },
            files: [{ path: "/etc/b.sql", ...OWNER }],
        });
        const none = yaml.load(renderCloudConfig(input({ files: [{ path: "/etc/a.conf", content: "plain\n" }] }))) as CloudConfig;
        assert.deepEqual(JSON.parse(none.write_files[1].content), { region: "eu-west-1", parameters: {}, files: [] });
    });

    it("refuses a placeholder with no parameter, naming the host and every missing key", () => {
        assert.throws(() => renderCloudConfig(input({ parameters: { beta: "/foobar/t/beta" } })), {
            message: "server-9: no SSM parameter for secret(s) alpha",
        });
        assert.throws(() => renderCloudConfig(input({ parameters: {} })), {
            message: "server-9: no SSM parameter for secret(s) alpha, beta",
        });
    });

    it("finds placeholders of lowercase keys only", () => {
        assert.deepEqual(placeholdersIn("@@FOOBAR_SECRET:db-app-password@@ x @@FOOBAR_SECRET:tls-private-key@@ @@FOOBAR_SECRET:Bad@@"), [
            "db-app-password",
            "tls-private-key",
        ]);
        assert.equal(secretPlaceholder("db-app-password"), "@@FOOBAR_SECRET:db-app-password@@");
    });
});

describe("compressUserData", () => {
    it("is deterministic and round-trips", () => {
        const text = renderCloudConfig(input());
        const a = compressUserData(text);
        const b = compressUserData(text);
        assert.ok(a.equals(b), "same input, same bytes");
        assert.equal(gunzipSync(a).toString("utf8"), text);
    });

    it("takes exactly 16 KiB gzipped and refuses one byte more", () => {
        assert.equal(USER_DATA_LIMIT, 16384);
        // The shortest noise that gzips to the limit.
        let [lo, hi] = [USER_DATA_LIMIT, 4 * USER_DATA_LIMIT];
        while (lo < hi) {
            const mid = Math.floor((lo + hi) / 2);
            if (gzLength(noise(mid)) < USER_DATA_LIMIT) lo = mid + 1;
            else hi = mid;
        }
        assert.equal(gzLength(noise(lo)), 16384, "noise of some length gzips to exactly the limit");
        assert.equal(compressUserData(noise(lo)).length, 16384);
        const over = noise(lo + 1);
        assert.equal(gzLength(over), 16385);
        assert.throws(() => compressUserData(over), { message: "user data is 16385 bytes gzipped; EC2 takes at most 16384" });
        assert.throws(() => compressUserData(noise(40000)), {
            message: `user data is ${gzLength(noise(40000))} bytes gzipped; EC2 takes at most 16384`,
        });
    });
});
