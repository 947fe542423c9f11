// The live deployer's contract, checked without Docker: it maps every input the dev stack
// registers, and refuses any input it does not understand instead of dropping it.
import assert from "node:assert/strict";
import { defineStack } from "../../components/stack";
import { TYPES, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { assertUnderstood, containerCreateBody } from "../live/deployer";

describe("live deployer (no Docker)", () => {
    it("understands every input of every docker resource the dev stack registers", async () => {
        const run = await runUnderMocks(loadStackConfig("dev"), defineStack);
        const docker = run.resources.filter((r) => r.type.startsWith("docker:"));
        assert.equal(docker.length, 28, "6 images, 6 networks, 4 volumes, 12 containers (3 of them mysqld exporters)");
        for (const r of docker) assertUnderstood(r.name, r.type, r.inputs);
        for (const c of docker.filter((r) => r.type === TYPES.container)) {
            const body = containerCreateBody(c.name, c.inputs);
            assert.deepEqual(body.Healthcheck.Test, c.inputs.healthcheck.tests);
            assert.equal(body.HostConfig.RestartPolicy.Name, "unless-stopped");
            assert.equal(body.HostConfig.NetworkMode, undefined, "networks are joined one by one, as the provider does");
        }
    });

    it("refuses an input it does not map, naming it and the resource", async () => {
        const run = await runUnderMocks(loadStackConfig("dev"), defineStack);
        const haproxy = run.resources.find((r) => r.type === TYPES.container && r.name.endsWith("-haproxy"));
        assert.ok(haproxy);
        assert.throws(
            () => containerCreateBody(haproxy.name, { ...haproxy.inputs, privileged: true }),
            /^Error: deployer does not understand input "privileged" of foobar-dev-server-3-haproxy/,
        );
        assert.throws(
            () =>
                containerCreateBody(haproxy.name, {
                    ...haproxy.inputs,
                    healthcheck: { ...haproxy.inputs.healthcheck, startInterval: "1s" },
                }),
            /deployer does not understand input "startInterval" of foobar-dev-server-3-haproxy \(container\.healthcheck\)/,
        );
    });
});
