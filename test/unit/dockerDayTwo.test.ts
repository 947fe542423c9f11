// Day two on docker, under the mocks: the options every container and volume is registered with
// (as the engine receives them), the rolling order of the web servers, durations in the
// provider's own form, and a second `pulumi up` with nothing changed planning nothing.
import assert from "node:assert/strict";
import { goDuration } from "../../components/platforms/docker/containers";
import { defineStack } from "../../components/stack";
import { STOP_TIMEOUT_SECONDS } from "../../components/topology";
import { RecordedResource, TYPES, byType, loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { durationNs } from "../live/deployer";
import { runDev, withPlainStackTraces } from "./stackHelpers";

const P = "foobar-dev";
const serverOf = (c: RecordedResource) => c.inputs.labels.find((l: { label: string }) => l.label === "foobar.server").value as string;

describe("docker day two: replacements, rolling order, stable plans", () => {
    it("replaces every container delete-before-replace, stopping it gracefully for STOP_TIMEOUT_SECONDS", async () => {
        const run = await runDev();
        for (const c of byType(run.resources, TYPES.container)) {
            assert.equal(c.options.deleteBeforeReplace, true, c.name);
            assert.equal(c.inputs.destroyGraceSeconds, STOP_TIMEOUT_SECONDS, c.name);
            assert.equal(c.inputs.stopTimeout, STOP_TIMEOUT_SECONDS, c.name);
        }
    });

    it("writes health-check durations the way the provider reads them back (Go's time.Duration)", async () => {
        const run = await runDev();
        for (const c of byType(run.resources, TYPES.container)) {
            const { interval, timeout, startPeriod, startInterval } = c.inputs.healthcheck;
            // Tens of seconds apart (each check is a docker exec); no start_interval, which engines before API 1.44 refuse.
            assert.deepEqual([interval, timeout, startPeriod, startInterval], ["30s", "5s", "1m0s", undefined], c.name);
        }
        const cases: Array<[number, string]> = [
            [0, "0s"],
            [2, "2s"],
            [60, "1m0s"],
            [90, "1m30s"],
            [3600, "1h0m0s"],
            [3725, "1h2m5s"],
        ];
        for (const [seconds, go] of cases) {
            assert.equal(goDuration(seconds), go);
            assert.equal(durationNs(go), seconds * 1e9, `the live deployer reads ${go}`);
        }
        assert.throws(() => goDuration(1.5), /whole seconds/);
    });

    it("orders the web servers: every container of server-2 waits for every container of server-1 to be healthy", async () => {
        const run = await runDev();
        const containers = byType(run.resources, TYPES.container);
        const on = (server: string) => containers.filter((c) => serverOf(c) === server);
        const [first, second] = [on("server-1"), on("server-2")];
        assert.deepEqual(first.map((c) => c.name.slice(P.length + 1)).sort(), [
            "server-1-app",
            "server-1-mariadb-replica",
            "server-1-mysqld-exporter",
            "server-1-nginx",
            "server-1-nginx-exporter",
            "server-1-node-exporter",
        ]);
        // Its exporters watch it: created with the watchers, last, and no later server waits for them.
        const isWatcher = (c: (typeof containers)[number]) => /-(nginx|node)-exporter$/.test(c.name);
        for (const c of first.filter((c) => !isWatcher(c)))
            assert.equal(c.inputs.wait, true, `${c.name} is created (and replaced) only once healthy`);
        for (const c of first.filter(isWatcher)) assert.equal(c.inputs.wait, false, c.name);
        // Nothing waits for the last server: its containers count as created once started.
        for (const c of second) assert.equal(c.inputs.wait, false, c.name);
        for (const c of second.filter((c) => !isWatcher(c))) {
            for (const before of first.filter((c) => !isWatcher(c)))
                assert.ok(c.options.dependencies.includes(before.urn), `${c.name} depends on ${before.name}`);
        }
        const secondUrns = new Set(second.map((c) => c.urn));
        for (const c of first)
            assert.deepEqual(
                c.options.dependencies.filter((u) => secondUrns.has(u)),
                [],
                c.name,
            );
        // The load balancer comes after every web server, so it never waits on a half-done one.
        const haproxy = containers.find((c) => c.name === `${P}-server-3-haproxy`);
        for (const c of [...first, ...second].filter((c) => !isWatcher(c)))
            assert.ok(haproxy?.options.dependencies.includes(c.urn), c.name);
    });

    it("keeps the data volumes out of container replacements; protects them only on a production stack", async () => {
        const dev = await runDev();
        const prod = await runDev({ "foobar:production": true });
        for (const [run, protect] of [
            [dev, false],
            [prod, true],
        ] as const) {
            const volumes = byType(run.resources, TYPES.volume);
            assert.deepEqual(
                volumes.map((v) => v.name),
                [
                    "server-3-mariadb-primary",
                    "server-1-mariadb-replica",
                    "server-2-mariadb-replica",
                    "server-3-prometheus",
                    "server-3-alertmanager",
                ].map((k) => `${P}-${k}-data`),
            );
            for (const v of volumes) assert.equal(v.options.protect, protect, v.name);
        }
    });

    it("plans nothing on a second `pulumi up` with the same config: every input the same", async () => {
        const config = loadStackConfig("dev");
        const first = await withPlainStackTraces(() => runUnderMocks(config, defineStack, { stack: "dev", material: "real" }));
        const second = await withPlainStackTraces(() =>
            runUnderMocks(config, defineStack, { stack: "dev", material: "real", previous: first.resources }),
        );
        assert.deepEqual(
            second.resources.map((r) => [r.urn, r.inputs]),
            first.resources.map((r) => [r.urn, r.inputs]),
        );
    });
});
