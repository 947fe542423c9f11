// The web servers' rolling replacement on aws: each web instance waits for the previous one's
// readiness gate (components/platforms/aws/readiness.ts), whose boot side writes the instance id
// once its services pass their health checks, and (a Galera cluster) for its bootstrap node's; and
// the wait itself, against a fake SSM.
import assert from "node:assert/strict";
import {
    READINESS_TIMEOUT_MINUTES,
    ReadinessInputs,
    ReadinessSsm,
    readinessProvider,
    waitForReadiness,
} from "../../components/platforms/aws/readiness";
import { defineStack } from "../../components/stack";
import { RecordedResource, byType, findResource, loadStackConfig, runUnderMocks, unwrap } from "../helpers/pulumiMocks";
import { AWS_TYPES, instance, manualFailover, runStack, singleLb, userData, writtenFile } from "./awsHelpers";
import { withPlainStackTraces } from "./stackHelpers";

const readinessOf = (resources: readonly RecordedResource[], p: string, server: string) =>
    findResource(resources, AWS_TYPES.readiness, `${p}-${server}-ready`);
/** A Galera node's health check (images/mariadb/galera/check.sh), as its keepalived runs it. */
const GALERA_CHECK = "/usr/local/bin/foobar-galera-check";
/** A health check's command, its first two words and its target (the URL of a curl); a shorter one whole. */
const brief = (c: string[]) => (c.length > 3 ? [...c.slice(0, 2), c[c.length - 1]] : c);

describe("aws rolling replacement: the readiness chain", () => {
    for (const [file, webServers] of [
        ["staging", 2],
        ["prod", 2],
        ["staging", 3],
    ] as const) {
        it(`${file}, ${webServers} web servers: server-k's instance depends on server-(k-1)'s readiness (and on staging the Galera bootstrap node's), which waits for its instance`, async () => {
            const run = await runStack(file, webServers === 2 ? {} : { "foobar:webServers": webServers });
            const P = `foobar-${file}`;
            // Staging's Galera cluster: every web server is a node, which waits for the bootstrap node (the first load balancer).
            const bootstrap = file === "staging" ? [readinessOf(run.resources, P, `server-${webServers + 1}`).urn] : [];
            const readiness = byType(run.resources, AWS_TYPES.readiness);
            assert.equal(readiness.length, webServers + 2, "one per web server and one per load balancer of the pair");
            for (let k = 1; k <= webServers; k++) {
                const server = `server-${k}`;
                const i = instance(run, P, server);
                const gate = readinessOf(run.resources, P, server);
                const { __provider: provider, ...inputs } = gate.inputs;
                assert.deepEqual(inputs, {
                    server,
                    parameterName: `/foobar/${file}/ready/${server}`,
                    instanceId: `${P}-${server}-id`,
                    region: "eu-west-1",
                    timeoutMinutes: READINESS_TIMEOUT_MINUTES,
                });
                // Small: the SDK is required where the provider runs, not serialized with it.
                assert.ok(provider.length < 8000 && provider.includes('require("@aws-sdk/client-ssm")'), `${provider.length} chars`);
                assert.deepEqual(gate.options.propertyDependencies.instanceId, [i.urn]);
                const gates = i.options.dependencies.filter((d) => d.includes(AWS_TYPES.readiness));
                assert.deepEqual(gates, [...(k === 1 ? [] : [readinessOf(run.resources, P, `server-${k - 1}`).urn]), ...bootstrap], server);
                // The parameter exists before the boot can write it.
                assert.ok(i.options.dependencies.includes(findResource(run.resources, AWS_TYPES.parameter, `${P}-ready-${server}`).urn));
            }
            // The pair's chain of its own: the first load balancer waits for no web server, the second for the first.
            const [first, second] = [webServers + 1, webServers + 2].map((n) => `server-${n}`);
            const gatesOf = (server: string) =>
                instance(run, P, server).options.dependencies.filter((d) => d.includes(AWS_TYPES.readiness));
            assert.deepEqual(gatesOf(first), [], "the first load balancer waits for no web server");
            assert.deepEqual(gatesOf(second), [readinessOf(run.resources, P, first).urn], "the second waits for the first");
            for (const server of [first, second]) {
                const gate = readinessOf(run.resources, P, server);
                assert.deepEqual(
                    [gate.inputs.parameterName, gate.inputs.instanceId],
                    [`/foobar/${file}/ready/${server}`, `${P}-${server}-id`],
                );
                assert.deepEqual(gate.options.propertyDependencies.instanceId, [instance(run, P, server).urn]);
            }
        });
    }

    it("lb.count 1: one gate per web server, none for the load balancer (but as a Galera cluster's bootstrap node), which waits for none", async () => {
        // Failover manual: GTID replication, no Galera cluster; the stack file's: server-3 bootstraps the cluster.
        for (const [galera, overrides] of [
            [false, { ...singleLb("staging"), ...manualFailover("staging") }],
            [true, singleLb("staging")],
        ] as const) {
            const run = await runStack("staging", overrides);
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.readiness)
                    .map((r) => r.name)
                    .sort(),
                [1, 2, ...(galera ? [3] : [])].map((n) => `foobar-staging-server-${n}-ready`),
            );
            const lb = instance(run, "foobar-staging", "server-3");
            assert.deepEqual(
                lb.options.dependencies.filter((d) => d.includes(AWS_TYPES.readiness)),
                [],
            );
            const config = userData(lb).config;
            if (galera) {
                assert.deepEqual(config.runcmd.at(-1), ["/usr/local/sbin/foobar-secrets", "--ready", "/etc/foobar/ready.json"]);
                const gate = JSON.parse(writtenFile(config, "/etc/foobar/ready.json"));
                assert.equal(gate.parameter, "/foobar/staging/ready/server-3");
                // One Prometheus, on this instance: its blackbox, mysqld and node exporters all listen on loopback.
                assert.deepEqual(gate.checks.map(brief), [
                    ["curl", "-fsS", "http://127.0.0.1:8404/stats"],
                    [GALERA_CHECK],
                    ["curl", "-fsS", "http://127.0.0.1:9090/-/ready"],
                    ["curl", "-fsS", "http://127.0.0.1:9093/-/ready"],
                    ["curl", "-fsS", "http://127.0.0.1:9115/-/healthy"],
                    ["curl", "-fsS", "http://127.0.0.1:9104/metrics"],
                    ["curl", "-fsS", "http://127.0.0.1:9100/metrics"],
                ]);
            } else {
                assert.ok(
                    !config.runcmd.some((c) => c.includes("--ready")) &&
                        !config.write_files.some((f) => f.path === "/etc/foobar/ready.json"),
                );
            }
        }
    });

    it("staging (a Galera cluster): the bootstrap node (server-3) boots first, waiting for no web server; each other node waits for its readiness too", async () => {
        const P = "foobar-staging";
        for (const [lbs, overrides] of [
            [2, {}],
            [1, singleLb("staging")],
        ] as const) {
            const run = await runStack("staging", overrides);
            const gatesOf = (server: string) =>
                instance(run, P, server).options.dependencies.filter((d) => d.includes(AWS_TYPES.readiness));
            const ready = (server: string) => readinessOf(run.resources, P, server).urn;
            assert.deepEqual(gatesOf("server-3"), [], `lb.count ${lbs}`);
            assert.deepEqual(gatesOf("server-1"), [ready("server-3")], `lb.count ${lbs}`);
            assert.deepEqual(gatesOf("server-2"), [ready("server-1"), ready("server-3")], `lb.count ${lbs}`);
            // Registered (so created, or replaced) in that order: each instance only once the gate before it exists.
            const node = /^foobar-staging-(server-[123])(-ready)?$/;
            assert.deepEqual(
                run.resources
                    .filter((r) => (r.type === AWS_TYPES.instance || r.type === AWS_TYPES.readiness) && node.test(r.name))
                    .map((r) => r.name.slice(P.length + 1)),
                ["server-3", "server-3-ready", "server-1", "server-1-ready", "server-2", "server-2-ready"],
                `lb.count ${lbs}`,
            );
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.parameter)
                    .filter((p) => p.name.startsWith(`${P}-ready-`))
                    .map((p) => p.name.slice(P.length + 1)),
                ["ready-server-3", "ready-server-1", "ready-server-2", ...(lbs === 2 ? ["ready-server-4"] : [])],
                `lb.count ${lbs}`,
            );
            // The outputs keep the topology's order of the servers.
            assert.deepEqual(
                (await unwrap(run.outputs.servers)).map((s) => s.name),
                ["server-1", "server-2", "server-3", ...(lbs === 2 ? ["server-4"] : [])],
            );
        }
    });

    it("each readiness parameter is a plain String holding a placeholder, and an up never puts the placeholder back", async () => {
        const config = loadStackConfig("staging");
        const first = await withPlainStackTraces(() => runUnderMocks(config, defineStack, { stack: "staging" }));
        const parameter = findResource(first.resources, AWS_TYPES.parameter, "foobar-staging-ready-server-1");
        assert.deepEqual(
            [parameter.inputs.type, parameter.inputs.value, parameter.options.ignoreChanges],
            ["String", "pending", ["value"]],
        );
        // The instance wrote its id; the next up keeps it.
        const written = { ...parameter, inputs: { ...parameter.inputs, value: "i-0123456789abcdef0" } };
        const previous = first.resources.map((r) => (r === parameter ? written : r));
        const second = await withPlainStackTraces(() => runUnderMocks(config, defineStack, { stack: "staging", previous }));
        assert.equal(
            findResource(second.resources, AWS_TYPES.parameter, "foobar-staging-ready-server-1").inputs.value,
            "i-0123456789abcdef0",
        );
    });

    it("a web server's boot writes its instance id last, once every local health check passes; the app stops before nginx", async () => {
        const run = await runStack("staging");
        const config = userData(instance(run, "foobar-staging", "server-1")).config;
        assert.deepEqual(config.runcmd.at(-1), ["/usr/local/sbin/foobar-secrets", "--ready", "/etc/foobar/ready.json"]);
        const ready = JSON.parse(writtenFile(config, "/etc/foobar/ready.json"));
        assert.deepEqual([ready.region, ready.parameter, ready.timeoutSeconds], ["eu-west-1", "/foobar/staging/ready/server-1", 900]);
        assert.deepEqual(
            ready.checks.map(brief),
            // The docker platform's health checks, service by service: nginx, the app, the Galera node
            // (a synced member of the majority: the next replacement waits for it), its exporter, the
            // nginx exporter and the node exporter (each where the load balancers' Prometheus scrapes it).
            [
                ["curl", "-fsS", "http://127.0.0.1:80/nginx-health"],
                ["curl", "-fsS", "http://127.0.0.1:3000/healthz"],
                [GALERA_CHECK],
                ["curl", "-fsS", "http://10.20.0.11:9104/metrics"],
                ["curl", "-fsS", "http://10.20.0.11:9113/metrics"],
                ["curl", "-fsS", "http://10.20.0.11:9100/metrics"],
            ],
        );
        // A load balancer of the pair says so too, once HAProxy, Prometheus, Alertmanager, the blackbox exporter (on
        // loopback: only its own Prometheus asks it), the node exporter (on the private address: both Prometheus
        // scrape it) and on server-3 the primary and its exporter answer.
        for (const [server, checks] of [
            [
                "server-3",
                [
                    ["curl", "-fsS", "http://10.20.0.10:8404/stats"],
                    [GALERA_CHECK],
                    ["curl", "-fsS", "http://127.0.0.1:9090/-/ready"],
                    // The pair's Alertmanagers listen on the private address: each Prometheus alerts both.
                    ["curl", "-fsS", "http://10.20.0.10:9093/-/ready"],
                    ["curl", "-fsS", "http://127.0.0.1:9115/-/healthy"],
                    ["curl", "-fsS", "http://10.20.0.10:9104/metrics"],
                    ["curl", "-fsS", "http://10.20.0.10:9100/metrics"],
                ],
            ],
            [
                "server-4",
                [
                    ["curl", "-fsS", "http://10.20.1.10:8404/stats"],
                    ["curl", "-fsS", "http://127.0.0.1:9090/-/ready"],
                    ["curl", "-fsS", "http://10.20.1.10:9093/-/ready"],
                    ["curl", "-fsS", "http://127.0.0.1:9115/-/healthy"],
                    ["curl", "-fsS", "http://10.20.1.10:9100/metrics"],
                ],
            ],
        ] as const) {
            const lb = userData(instance(run, "foobar-staging", server)).config;
            assert.deepEqual(lb.runcmd.at(-1), ["/usr/local/sbin/foobar-secrets", "--ready", "/etc/foobar/ready.json"], server);
            const gate = JSON.parse(writtenFile(lb, "/etc/foobar/ready.json"));
            assert.equal(gate.parameter, `/foobar/staging/ready/${server}`);
            assert.deepEqual(gate.checks.map(brief), checks, server);
        }
        // Started after nginx, stopped before it: the app drains while nginx still answers for it.
        const unit = writtenFile(config, "/etc/systemd/system/foobar-app.service");
        assert.ok(unit.split("\n").includes("After=network-online.target mariadb.service nginx.service"), unit);
        // A node rejoins with the state it has (grastate.dat, galera_recovery): its bootstrap neither
        // resets nor replicates (GTID replicas resume from their position: awsUserDataManual.test.ts).
        const bootstrap = writtenFile(config, "/etc/mysql/foobar/bootstrap.sql");
        assert.ok(!/RESET|CHANGE MASTER/i.test(bootstrap), bootstrap);
    });
});

/** A fake SSM that answers from a script of values (or errors), and a clock that only moves when slept. */
function fakes(answers: ReadonlyArray<string | Error | undefined>) {
    let t = 0;
    const asked: string[] = [];
    const ssm: ReadinessSsm = {
        async getParameter({ Name }) {
            asked.push(Name);
            const a = answers[Math.min(asked.length - 1, answers.length - 1)];
            if (a instanceof Error) throw a;
            return { Parameter: a === undefined ? undefined : { Value: a } };
        },
    };
    return { ssm, asked, clock: { now: () => t, sleep: async (ms: number) => void (t += ms) } };
}
const awsError = (name: string, status: number) =>
    Object.assign(new Error(`${name} happened`), { name, $metadata: { httpStatusCode: status } });
const WAIT = {
    parameterName: "/foobar/staging/ready/server-1",
    instanceId: "i-new",
    timeoutMs: 60_000,
    intervalMs: 10_000,
    label: "server-1",
};

describe("aws readiness: the wait (waitForReadiness)", () => {
    it("polls until the parameter holds the new instance's id, not the old one's", async () => {
        const f = fakes(["pending", "i-old", "i-old", "i-new"]);
        assert.deepEqual(await waitForReadiness(f.ssm, WAIT, f.clock), { polls: 4, waitedMs: 30_000 });
        assert.deepEqual(new Set(f.asked), new Set([WAIT.parameterName]));
    });

    it("waits out a missing parameter, throttling and AWS's 5xx; fails at once on any other refusal", async () => {
        const f = fakes([
            awsError("ParameterNotFound", 400),
            awsError("ThrottlingException", 400),
            awsError("InternalServerError", 500),
            "i-new",
        ]);
        assert.equal((await waitForReadiness(f.ssm, WAIT, f.clock)).polls, 4);
        const denied = fakes([awsError("AccessDeniedException", 400)]);
        await assert.rejects(waitForReadiness(denied.ssm, WAIT, denied.clock), {
            message: "server-1: cannot read /foobar/staging/ready/server-1: AccessDeniedException: AccessDeniedException happened",
        });
        assert.equal(denied.asked.length, 1);
    });

    it("gives up after its timeout, saying what the parameter held and where to look", async () => {
        const f = fakes(["i-old"]);
        await assert.rejects(waitForReadiness(f.ssm, WAIT, f.clock), {
            message:
                'server-1: instance i-new did not report ready within 1 min: /foobar/staging/ready/server-1 holds "i-old". ' +
                "Its boot writes its instance id there once its services pass their health checks; " +
                "see /var/log/cloud-init-output.log on it (aws ec2 get-console-output --instance-id i-new).",
        });
        assert.equal(f.asked.length, 7, "at 0, 10, …, 60 s");
    });

    it("the provider replaces (and so waits again) on a new instance id; other changes are recorded without a wait", async () => {
        const olds: ReadinessInputs = {
            server: "server-1",
            parameterName: WAIT.parameterName,
            instanceId: "i-old",
            region: "eu-west-1",
            timeoutMinutes: 20,
        };
        const diff = readinessProvider.diff;
        assert.ok(diff && readinessProvider.update);
        assert.deepEqual(await diff("id", olds, { ...olds }), { changes: false, replaces: [] });
        assert.deepEqual(await diff("id", olds, { ...olds, instanceId: "i-new" }), { changes: true, replaces: ["instanceId"] });
        assert.deepEqual(await diff("id", olds, { ...olds, timeoutMinutes: 30 }), { changes: true, replaces: [] });
        assert.deepEqual(await readinessProvider.update("id", olds, { ...olds, timeoutMinutes: 30 }), {
            outs: { ...olds, timeoutMinutes: 30 },
        });
    });
});
