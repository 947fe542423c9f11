// The live deployer's contract, checked without Docker: it maps every input the dev stack
// registers, and refuses any input it does not understand instead of dropping it.
import assert from "node:assert/strict";
import { defineStack } from "../../components/stack";
import { TYPES, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { assertUnderstood, containerCreateBody, stepFor } from "../live/deployer";

describe("live deployer (no Docker)", () => {
    it("understands every input of every docker resource the dev stack registers", async () => {
        const run = await runUnderMocks(loadStackConfig("dev"), defineStack);
        const docker = run.resources.filter((r) => r.type.startsWith("docker:"));
        assert.equal(
            docker.length,
            41,
            "11 images (the base and 10), 6 networks, 5 volumes, 19 containers (3 mysqld, 3 node and 2 nginx exporters, 1 blackbox, 1 Alertmanager)",
        );
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

    it("plans the engine's step per resource: create, same, update in place, or replace", async () => {
        const run = await runUnderMocks(loadStackConfig("dev"), defineStack);
        const app = run.resources.find((r) => r.type === TYPES.container && r.name.endsWith("-server-1-app"));
        const network = run.resources.find((r) => r.type === TYPES.network);
        assert.ok(app && network);
        const changed = (inputs: Record<string, unknown>) => ({ ...app, inputs: { ...app.inputs, ...inputs } });
        assert.equal(stepFor(undefined, app), "create");
        assert.equal(stepFor(app, app), "same");
        // What resourceDockerContainerUpdate handles (or keeps in state only) is no replacement.
        assert.equal(stepFor(app, changed({ restart: "always" })), "update");
        assert.equal(stepFor(app, changed({ destroyGraceSeconds: 30, wait: false })), "update");
        assert.equal(stepFor(app, changed({ healthcheck: { ...app.inputs.healthcheck, retries: 5 } })), "update");
        // Anything else is ForceNew in the provider's schema.
        assert.equal(stepFor(app, changed({ envs: [...app.inputs.envs, "X=1"] })), "replace");
        assert.equal(stepFor(app, changed({ restart: "always", labels: [] })), "replace");
        assert.throws(
            () => stepFor(network, { ...network, inputs: { ...network.inputs, labels: [] } }),
            /changed labels; only containers' changes are modelled/,
        );
    });
});
