// One stop timeout for every platform, longer than the app's whole graceful stop.
import assert from "node:assert/strict";
import { DRAIN_DELAY_MS, FORCED_EXIT_MARGIN_MS, SHUTDOWN_GRACE_MS } from "../../app/src/drain";
import { STOP_TIMEOUT_SECONDS } from "../../components/topology";
import { runDev, containers } from "./stackHelpers";
import { runStack, userData, instance } from "./awsHelpers";

describe("stop timeout", () => {
    it("outlasts the app's drain, grace and forced exit, so a stop never kills a draining app", () => {
        assert.ok(STOP_TIMEOUT_SECONDS * 1000 > DRAIN_DELAY_MS + SHUTDOWN_GRACE_MS + FORCED_EXIT_MARGIN_MS);
    });

    it("is every container's stopTimeout and the app unit's TimeoutStopSec", async () => {
        for (const c of containers(await runDev())) assert.equal(c.inputs.stopTimeout, STOP_TIMEOUT_SECONDS, c.name);
        const unit = userData(instance(await runStack("staging"), "foobar-staging", "server-1")).config.write_files.find(
            (f) => f.path === "/etc/systemd/system/foobar-app.service",
        );
        assert.ok(unit?.content.split("\n").includes(`TimeoutStopSec=${STOP_TIMEOUT_SECONDS}`));
    });
});
