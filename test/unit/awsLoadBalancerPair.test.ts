// lb.count 2 on aws, as the staging and prod stack files set it: two load balancers, one per
// availability zone, behind a Network Load Balancer with an Elastic IP per subnet mapping, TCP 80
// and 443 passed through with PROXY protocol v2; the plan, every resource of the front, the security
// group rules, the outputs and the certificate; the config rule and the policy that go with it; and
// lb.count 1, which has none of it.
import assert from "node:assert/strict";
import type { StackValidationPolicy } from "@pulumi/policy";
import { NLB_DEREGISTRATION_DELAY_SECONDS, NLB_HEALTH_CHECK } from "../../components/platforms/aws/loadBalancer";
import { RulePlan, planRules } from "../../components/platforms/aws/firewall";
import { planAws } from "../../components/platforms/aws/plan";
import { NLB_STOP_GRACE_MS } from "../../components/platforms/aws/view";
import { POLICIES } from "../../policy/policies";
import { TYPES as POLICY_TYPES } from "../../policy/resources";
import { StackInput, runStackPolicy, stackResources, urnOf } from "../helpers/policyHarness";
import { StackRun, TYPES, byType, findResource, unwrap } from "../helpers/pulumiMocks";
import {
    AWS_TYPES,
    awsConfig,
    countAws,
    instance,
    instances,
    runStack,
    sgRules,
    singleLb,
    userData,
    withNlb,
    writtenFile,
} from "./awsHelpers";
import { errorOf, one } from "./configErrors";
import { Outputs } from "./stackHelpers";
import { topologyOf } from "./topologyHelpers";

const STACKS = ["staging", "prod"] as const;
type Stack = (typeof STACKS)[number];
/** The Elastic IPs the mocks give the NLB's subnet mappings (<prefix>-nlb-a, -b). */
const NLB_IPS = ["203.0.113.11", "203.0.113.12"];
const TAGS = (p: string, name: string) => ({ Name: name, "foobar:stack": p, "managed-by": "pulumi" });
const ELB_ARN = (what: string) => `arn:aws:elasticloadbalancing:eu-west-1:123456789012:${what}`;

/** Per stack file: the VPC's first two /24s (public), the instances and the rules. */
const EXPECTED: Record<Stack, { cidrs: [string, string]; instances: unknown[][]; rules: string[] }> = {
    staging: {
        cidrs: ["10.20.0.0/24", "10.20.1.0/24"],
        // server, subnet, private address, associatePublicIpAddress, groups, role
        instances: [
            ["server-1", "public-a", "10.20.0.11", true, ["host", "web", "db"], "web"],
            ["server-2", "public-b", "10.20.1.12", true, ["host", "web", "db"], "web"],
            ["server-3", "public-a", "10.20.0.10", true, ["host", "lb", "db"], "lb-db"],
            ["server-4", "public-b", "10.20.1.10", true, ["host", "lb"], "lb"],
        ],
        // The Galera cluster's between the database nodes, and the app's way out to the write address (awsGalera.test.ts).
        // Each Prometheus (lb) scrapes the node exporters of every instance (9100, into host), the apps' metrics
        // (9301) and the nginx exporters (9113) on the web servers. Each blackbox exporter probes the public URL
        // out through host's 443 (whose description names the probe too) and back in as a visitor, through the NLB:
        // no rule of its own.
        rules: [
            "egress db 4444 sg:db",
            "egress db 4567 sg:db",
            "egress db 4568 sg:db",
            "egress db vrrp sg:db",
            "egress host 443 0.0.0.0/0",
            "egress host 80 0.0.0.0/0",
            "egress lb 80 sg:web",
            "egress lb 8404 sg:lb",
            // Each Prometheus alerts both Alertmanagers, which gossip (TCP and UDP).
            "egress lb 9093 sg:lb",
            "egress lb 9094 sg:lb",
            "egress lb 9100 sg:host",
            "egress lb 9104 sg:db",
            "egress lb 9113 sg:web",
            "egress lb 9301 sg:web",
            "egress lb udp/9094 sg:lb",
            "egress web 3306 100.127.255.254/32",
            "egress web 3306 sg:db",
            "ingress db 3306 sg:web",
            "ingress db 4444 sg:db",
            "ingress db 4567 sg:db",
            "ingress db 4568 sg:db",
            "ingress db 9104 sg:lb",
            "ingress db vrrp sg:db",
            "ingress host 9100 sg:lb",
            "ingress lb 443 10.20.0.0/24",
            "ingress lb 443 10.20.1.0/24",
            "ingress lb 80 10.20.0.0/24",
            "ingress lb 80 10.20.1.0/24",
            "ingress lb 8404 sg:lb",
            "ingress lb 8405 10.20.0.0/24",
            "ingress lb 8405 10.20.1.0/24",
            "ingress lb 9093 sg:lb",
            "ingress lb 9094 sg:lb",
            "ingress lb udp/9094 sg:lb",
            "ingress web 80 sg:lb",
            "ingress web 9113 sg:lb",
            "ingress web 9301 sg:lb",
        ],
    },
    prod: {
        cidrs: ["10.30.0.0/24", "10.30.1.0/24"],
        instances: [
            ["server-1", "private-a", "10.30.2.11", false, ["host", "web"], "web"],
            ["server-2", "private-b", "10.30.3.12", false, ["host", "web"], "web"],
            ["server-3", "private-a", "10.30.2.10", false, ["host", "lb"], "lb"],
            ["server-4", "private-b", "10.30.3.10", false, ["host", "lb"], "lb"],
        ],
        // The scrapes of the node exporters, the apps' metrics and the nginx exporters, as on staging.
        rules: [
            "egress host 443 0.0.0.0/0",
            "egress host 80 0.0.0.0/0",
            "egress lb 3306 sg:db",
            "egress lb 80 sg:web",
            "egress lb 8404 sg:lb",
            "egress lb 9093 sg:lb",
            "egress lb 9094 sg:lb",
            "egress lb 9100 sg:host",
            "egress lb 9113 sg:web",
            "egress lb 9301 sg:web",
            "egress lb udp/9094 sg:lb",
            "egress web 3306 sg:db",
            "ingress db 3306 sg:lb",
            "ingress db 3306 sg:web",
            "ingress host 9100 sg:lb",
            "ingress lb 443 10.30.0.0/24",
            "ingress lb 443 10.30.1.0/24",
            "ingress lb 80 10.30.0.0/24",
            "ingress lb 80 10.30.1.0/24",
            "ingress lb 8404 sg:lb",
            "ingress lb 8405 10.30.0.0/24",
            "ingress lb 8405 10.30.1.0/24",
            "ingress lb 9093 sg:lb",
            "ingress lb 9094 sg:lb",
            "ingress lb udp/9094 sg:lb",
            "ingress web 80 sg:lb",
            "ingress web 9113 sg:lb",
            "ingress web 9301 sg:lb",
        ],
    },
};

describe("aws lb.count 2: the plan", () => {
    const plan = planAws(topologyOf({ platform: "aws", lb: { count: 2 }, aws: { vpcCidr: "10.20.0.0/16" } }));

    it("one load balancer per zone at .10 of its public subnet, each with a public address of its own and no Elastic IP", () => {
        assert.deepEqual(
            plan.instances.map((i) => [i.server, i.role, i.subnet, i.privateIp, i.publicIp, i.elasticIp]),
            [
                ["server-1", "web", "public-a", "10.20.0.11", true, false],
                ["server-2", "web", "public-b", "10.20.1.12", true, false],
                ["server-3", "lb-db", "public-a", "10.20.0.10", true, false],
                ["server-4", "lb", "public-b", "10.20.1.10", true, false],
            ],
        );
        assert.deepEqual(plan.nlb, { subnets: ["public-a", "public-b"], targets: ["server-3", "server-4"] });
        // The primary stays on the first load balancer: its volume in that one's zone, none for server-4.
        assert.deepEqual(
            plan.dataVolumes.map((v) => [v.server, v.subnet]),
            [
                ["server-3", "public-a"],
                ["server-1", "public-a"],
                ["server-2", "public-b"],
            ],
        );
    });

    it("lb.count 1 plans no NLB", () => {
        assert.equal(planAws(topologyOf({ platform: "aws" })).nlb, undefined);
    });

    it("the firewall takes the internet's flows from the NLB's subnets only, and the health checks on 8405 from the same", () => {
        const rule = (r: RulePlan) =>
            `${r.direction} ${r.group} ${r.port} ${"group" in r.peer ? `sg:${r.peer.group}` : r.peer.cidr} ${r.description}`;
        assert.deepEqual(plan.rules.filter((r) => "cidr" in r.peer && r.direction === "ingress").map(rule), [
            "ingress lb 80 10.20.0.0/24 HTTP, redirected to HTTPS, through the NLB",
            "ingress lb 80 10.20.1.0/24 HTTP, redirected to HTTPS, through the NLB",
            "ingress lb 443 10.20.0.0/24 HTTPS, through the NLB",
            "ingress lb 443 10.20.1.0/24 HTTPS, through the NLB",
            "ingress lb 8405 10.20.0.0/24 health checks of the NLB",
            "ingress lb 8405 10.20.1.0/24 health checks of the NLB",
        ]);
        // Each load balancer's Prometheus scrapes the other's HAProxy: one rule each way, within the group.
        assert.deepEqual(plan.rules.filter((r) => r.port === 8404).map(rule), [
            "ingress lb 8404 sg:lb metrics scrapes",
            "egress lb 8404 sg:lb metrics scrapes",
        ]);
        // AWS accepts only a-zA-Z0-9. _-:/()#,@[]+=&;{}!$* in a rule's description.
        for (const r of plan.rules) assert.match(r.description, /^[A-Za-z0-9. _\-:/()#,@[\]+=&;{}!$*]{1,255}$/, r.description);
        const topology = topologyOf({ platform: "aws", lb: { count: 2 } });
        assert.throws(() => planRules(topology), { message: "front nlb with 0 NLB subnets" });
    });

    it("the health check takes a dead HAProxy out within AWS's shortest time, and a stopping one before its grace ends", () => {
        assert.deepEqual(NLB_HEALTH_CHECK, {
            protocol: "HTTP",
            port: "8405",
            path: "/healthz",
            matcher: "200",
            interval: 5,
            timeout: 2,
            healthyThreshold: 2,
            unhealthyThreshold: 2,
        });
        const { interval, timeout, unhealthyThreshold } = NLB_HEALTH_CHECK;
        assert.equal(unhealthyThreshold * interval, 10, "two failed checks 5 s apart");
        // HAProxy keeps serving (and answers 503 on /healthz) until the NLB has surely stopped sending to it.
        assert.ok(NLB_STOP_GRACE_MS >= (unhealthyThreshold * interval + timeout) * 1000, `${NLB_STOP_GRACE_MS} ms`);
        assert.ok(NLB_DEREGISTRATION_DELAY_SECONDS * 1000 > NLB_STOP_GRACE_MS);
    });
});

for (const stack of STACKS) {
    const P = `foobar-${stack}`;
    const expected = EXPECTED[stack];

    describe(`aws lb.count 2: the ${stack} stack file`, () => {
        let run: StackRun<Outputs>;
        before(async () => {
            run = await runStack(stack);
        });

        it("puts one load balancer in each zone, in the web servers' tier: a public subnet with an address of its own to reach Debian's archive, or a private one behind the NAT gateway", () => {
            assert.deepEqual(
                instances(run).map((i) => [
                    i.inputs.tags["foobar:server"],
                    i.inputs.subnetId,
                    i.inputs.privateIp,
                    i.inputs.associatePublicIpAddress,
                    i.inputs.vpcSecurityGroupIds,
                    i.inputs.tags["foobar:role"],
                ]),
                expected.instances.map(([server, subnet, ip, publicIp, groups, role]) => [
                    server,
                    `${P}-${subnet}-id`,
                    ip,
                    publicIp,
                    (groups as string[]).map((g) => `${P}-${g}-id`),
                    role,
                ]),
            );
            assert.deepEqual(
                [instance(run, P, "server-3").inputs.instanceType, instance(run, P, "server-4").inputs.instanceType],
                ["t3.small", "t3.small"],
            );
        });

        it("allocates an Elastic IP per NLB subnet mapping, associated with no instance", () => {
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.eip)
                    .filter((e) => e.name !== `${P}-nat`)
                    .map((e) => [e.name, e.inputs]),
                ["a", "b"].map((z) => [`${P}-nlb-${z}`, { domain: "vpc", tags: TAGS(P, `${P}-nlb-${z}`) }]),
            );
            assert.deepEqual(byType(run.resources, AWS_TYPES.eipAssociation), []);
        });

        it("makes an internet-facing network load balancer across both public subnets, each mapping with its Elastic IP, cross-zone", () => {
            const nlb = findResource(run.resources, AWS_TYPES.loadBalancer, `${P}-nlb`);
            assert.deepEqual(nlb.inputs, {
                loadBalancerType: "network",
                internal: false,
                ipAddressType: "ipv4",
                subnetMappings: [
                    { subnetId: `${P}-public-a-id`, allocationId: `eipalloc-${P}-nlb-a` },
                    { subnetId: `${P}-public-b-id`, allocationId: `eipalloc-${P}-nlb-b` },
                ],
                enableCrossZoneLoadBalancing: true,
                // The prod stack is a production one: AWS refuses to delete its NLB.
                enableDeletionProtection: stack === "prod",
                tags: TAGS(P, `${P}-nlb`),
            });
            assert.deepEqual(byType(run.resources, AWS_TYPES.loadBalancer).length, 1);
        });

        it("passes TCP 80 and 443 through, each to a target group of both instances with PROXY protocol v2 and HAProxy's health check", () => {
            for (const [label, port] of [
                ["http", 80],
                ["https", 443],
            ] as const) {
                const group = findResource(run.resources, AWS_TYPES.targetGroup, `${P}-nlb-${label}`);
                assert.deepEqual(group.inputs, {
                    targetType: "instance",
                    protocol: "TCP",
                    port,
                    vpcId: `${P}-vpc-id`,
                    proxyProtocolV2: true,
                    preserveClientIp: "false",
                    deregistrationDelay: 15,
                    healthCheck: {
                        enabled: true,
                        protocol: "HTTP",
                        port: "8405",
                        path: "/healthz",
                        matcher: "200",
                        interval: 5,
                        timeout: 2,
                        healthyThreshold: 2,
                        unhealthyThreshold: 2,
                    },
                    tags: TAGS(P, `${P}-nlb-${label}`),
                });
                const listener = findResource(run.resources, AWS_TYPES.listener, `${P}-nlb-${label}`);
                assert.deepEqual(listener.inputs, {
                    loadBalancerArn: ELB_ARN(`loadbalancer/net/${P}-nlb/0123456789abcdef`),
                    protocol: "TCP",
                    port,
                    defaultActions: [{ type: "forward", targetGroupArn: ELB_ARN(`targetgroup/${P}-nlb-${label}/0123456789abcdef`) }],
                    tags: TAGS(P, `${P}-nlb-${label}`),
                });
                for (const server of ["server-3", "server-4"]) {
                    const attachment = findResource(run.resources, AWS_TYPES.targetGroupAttachment, `${P}-${server}-nlb-${label}`);
                    assert.deepEqual(attachment.inputs, { targetGroupArn: group.state.arn, targetId: `${P}-${server}-id` });
                    // Replaced with its instance.
                    assert.deepEqual(attachment.options.propertyDependencies.targetId, [instance(run, P, server).urn]);
                }
            }
            assert.deepEqual(
                [AWS_TYPES.targetGroup, AWS_TYPES.listener, AWS_TYPES.targetGroupAttachment].map((t) => byType(run.resources, t).length),
                [2, 2, 4],
            );
        });

        it("each HAProxy answers the health check where the NLB asks, and takes PROXY protocol on 80 and 443", () => {
            for (const server of ["server-3", "server-4"]) {
                const cfg = writtenFile(userData(instance(run, P, server)).config, "/etc/haproxy/haproxy.cfg").split("\n");
                const health = cfg.indexOf("frontend health");
                assert.deepEqual(cfg.slice(health, health + 4), [
                    "frontend health",
                    `    bind :${NLB_HEALTH_CHECK.port} accept-proxy`,
                    `    monitor-uri ${NLB_HEALTH_CHECK.path}`,
                    "    monitor fail if { stopping }",
                ]);
                assert.deepEqual(
                    cfg.filter((l) => /^ {4}bind :(80|443)\b/.test(l)).map((l) => l.endsWith(" accept-proxy")),
                    [true, true],
                );
                assert.ok(cfg.includes(`    grace ${NLB_STOP_GRACE_MS}ms`), server);
            }
        });

        it("takes 80, 443 and 8405 from the NLB's subnets only; nothing else changes", () => {
            assert.deepEqual(sgRules(run, P), expected.rules);
            // Nothing from anywhere: every rule from an address range is the NLB's (or the hosts' way out,
            // or on staging the apps' to the Galera cluster's write address).
            const [a, b] = expected.cidrs;
            assert.deepEqual(
                sgRules(run, P).filter((r) => !r.includes(" sg:") && !r.startsWith("egress host ")),
                [
                    ...(stack === "staging" ? ["egress web 3306 100.127.255.254/32"] : []),
                    `ingress lb 443 ${a}`,
                    `ingress lb 443 ${b}`,
                    `ingress lb 80 ${a}`,
                    `ingress lb 80 ${b}`,
                    `ingress lb 8405 ${a}`,
                    `ingress lb 8405 ${b}`,
                ],
            );
        });

        it("has exactly the resources of lb.count 1, but the front: an NLB instead of an association, a second load balancer, the pair's readiness gates, rules and alarms", async () => {
            const single = await runStack(stack, singleLb(stack));
            const before = countAws(single.resources);
            // The pair's rules: the NLB's, the two Alertmanagers' (alerts on 9093, gossip on 9094 over TCP and UDP), and
            // the scrapes of the node exporters (9100), the apps' metrics (9301) and the nginx exporters (9113).
            const rules = { staging: { ingress: 20, egress: 17 }, prod: { ingress: 16, egress: 12 } }[stack];
            assert.deepEqual(
                countAws(run.resources),
                withNlb(
                    {
                        ...before,
                        // server-4: its instance, role, profile, three inline policies (Session Manager, parameters, and the
                        // read of the monitoring bundle's object: it runs a Prometheus) and status check alarms. The object
                        // itself is lb.count 1's already (server-3's Prometheus reads it).
                        instance: before.instance + 1,
                        role: before.role + 1,
                        instanceProfile: before.instanceProfile + 1,
                        rolePolicy: before.rolePolicy + 3,
                        metricAlarm: before.metricAlarm + 2,
                        ...rules,
                    },
                    // Staging's server-3, the Galera cluster's bootstrap node, has its readiness gate with lb.count 1 too.
                    stack === "staging",
                ),
            );
        });

        it("names both Elastic IPs in the site certificate and in loadBalancerAddress; no server shows a public address", async () => {
            const csr = findResource(run.resources, TYPES.certRequest, `${P}-site-csr`);
            assert.deepEqual(csr.inputs.ipAddresses, ["127.0.0.1", ...NLB_IPS]);
            assert.deepEqual(csr.inputs.dnsNames, ["www.foobar.com", "localhost"]);
            const o = await unwrap(run.outputs);
            assert.equal(o.url, "https://www.foobar.com/");
            assert.equal(o.loadBalancerAddress, "203.0.113.11:443, 203.0.113.12:443");
            assert.equal(o.monitoringUrl, "http://127.0.0.1:9090/");
            assert.deepEqual(
                o.servers.map((s) => [s.name, s.role, [...new Set(s.services.map((x) => JSON.stringify(x.addresses)))]]),
                expected.instances.map(([server, , ip, , , role]) => [server, role, [JSON.stringify({ private: ip })]]),
            );
            // Beside its Prometheus, the blackbox exporter that probes the public URL; a node exporter, as on every server.
            assert.deepEqual(
                o.servers.find((s) => s.name === "server-4")?.services.map((s) => s.kind),
                ["haproxy", "prometheus", "alertmanager", "blackbox-exporter", "node-exporter"],
            );
        });
    });
}

describe("aws lb.count 2: variants", () => {
    it("prod without production: the NLB has no deletion protection", async () => {
        const run = await runStack("prod", { "foobar:production": false });
        assert.equal(findResource(run.resources, AWS_TYPES.loadBalancer, "foobar-prod-nlb").inputs.enableDeletionProtection, false);
    });

    it("an existing VPC: the NLB and the load balancers in its first two public subnets, the rules from their ranges", async () => {
        const publicSubnets = [
            { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" },
            { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" },
        ];
        const run = await runStack("staging", awsConfig("staging", { existingVpc: { vpcId: "vpc-0123456789abcdef0", publicSubnets } }));
        assert.deepEqual(findResource(run.resources, AWS_TYPES.loadBalancer, "foobar-staging-nlb").inputs.subnetMappings, [
            { subnetId: publicSubnets[0].id, allocationId: "eipalloc-foobar-staging-nlb-a" },
            { subnetId: publicSubnets[1].id, allocationId: "eipalloc-foobar-staging-nlb-b" },
        ]);
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.targetGroup).map((g) => g.inputs.vpcId),
            ["vpc-0123456789abcdef0", "vpc-0123456789abcdef0"],
        );
        assert.deepEqual(
            ["server-3", "server-4"].map((s) => [
                instance(run, "foobar-staging", s).inputs.subnetId,
                instance(run, "foobar-staging", s).inputs.privateIp,
            ]),
            [
                [publicSubnets[0].id, "10.20.10.10"],
                [publicSubnets[1].id, "10.20.11.10"],
            ],
        );
        assert.deepEqual(
            sgRules(run, "foobar-staging").filter((r) => /^ingress lb (80|443|8405) /.test(r)),
            [
                "ingress lb 443 10.20.10.0/24",
                "ingress lb 443 10.20.11.0/24",
                "ingress lb 80 10.20.10.0/24",
                "ingress lb 80 10.20.11.0/24",
                "ingress lb 8405 10.20.10.0/24",
                "ingress lb 8405 10.20.11.0/24",
            ],
        );
    });

    it("an existing VPC whose first two public subnets share a zone: one error naming the key", () => {
        const a = { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" };
        const a2 = { id: "subnet-0ccccccccccccccc3", cidr: "10.20.12.0/24", availabilityZone: "eu-west-1a" };
        const b = { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" };
        const args = (publicSubnets: object[], count: number) => ({
            platform: "aws",
            lb: { count },
            aws: { vpcCidr: "10.20.0.0/16", existingVpc: { vpcId: "vpc-0123456789abcdef0", publicSubnets } },
        });
        assert.equal(
            errorOf(args([a, a2, b], 2)).message,
            one(
                `  - foobar:aws.existingVpc.publicSubnets: got ["subnet-0aaaaaaaaaaaaaaa1","subnet-0ccccccccccccccc3"]; are both in eu-west-1a; with lb.count 2 the first two public subnets hold the Network Load Balancer and the two load balancers, one in each of two availability zones: list a subnet of another zone second.`,
            ),
        );
        // One load balancer needs no NLB; a subnet of the other zone second is fine.
        assert.doesNotThrow(() => topologyOf(args([a, a2, b], 1)));
        assert.doesNotThrow(() => topologyOf(args([a, b, a2], 2)));
    });
});

describe("aws lb.count 1: no NLB", () => {
    for (const stack of STACKS) {
        it(`${stack}: the Elastic IP on server-3, no load balancer, target group, listener or attachment, no second load balancer`, async () => {
            const run = await runStack(stack, singleLb(stack));
            for (const type of [AWS_TYPES.loadBalancer, AWS_TYPES.targetGroup, AWS_TYPES.listener, AWS_TYPES.targetGroupAttachment])
                assert.deepEqual(byType(run.resources, type), [], type);
            assert.deepEqual(
                instances(run).map((i) => i.inputs.tags["foobar:server"]),
                ["server-1", "server-2", "server-3"],
            );
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.eipAssociation).map((a) => [a.name, a.inputs.instanceId]),
                [[`foobar-${stack}-lb`, `foobar-${stack}-server-3-id`]],
            );
            assert.equal((await unwrap(run.outputs)).loadBalancerAddress, "203.0.113.10:443");
            // Its HAProxy takes plain connections from anywhere: no PROXY protocol, no health frontend, no grace,
            // and Debian's unit as it is.
            const config = userData(instance(run, `foobar-${stack}`, "server-3")).config;
            assert.deepEqual(
                writtenFile(config, "/etc/haproxy/haproxy.cfg")
                    .split("\n")
                    .filter((l) => /accept-proxy|frontend health|grace/.test(l)),
                [],
            );
            assert.deepEqual(
                config.write_files.filter((f) => f.path.startsWith("/etc/systemd/system/haproxy")),
                [],
            );
        });
    }
});

describe("policy internet-ingress-only-lb-80-443: an internet-facing load balancer's listeners", () => {
    const policy = POLICIES.find((p) => p.name === "internet-ingress-only-lb-80-443") as StackValidationPolicy;
    const lb = (name: string, internal?: boolean): StackInput => ({
        type: POLICY_TYPES.loadBalancer,
        name,
        props: { arn: `arn:lb/${name}`, ...(internal === undefined ? {} : { internal }) },
    });
    const group = (name: string, port: number): StackInput => ({
        type: POLICY_TYPES.targetGroup,
        name,
        props: { arn: `arn:tg/${name}`, port },
    });
    const listener = (name: string, balancer: string, port: number, target: string, dependsOn?: Record<string, string[]>): StackInput => ({
        type: POLICY_TYPES.listener,
        name,
        props: { loadBalancerArn: `arn:lb/${balancer}`, port, defaultActions: [{ type: "forward", targetGroupArn: `arn:tg/${target}` }] },
        dependsOn,
    });
    const CASES: ReadonlyArray<{ title: string; resources: StackInput[]; expected: Array<[string, string]> }> = [
        {
            title: "80 and 443 passed on to 80 and 443 (the stacks' NLB)",
            resources: [
                lb("nlb", false),
                group("tg-80", 80),
                group("tg-443", 443),
                listener("l-80", "nlb", 80, "tg-80"),
                listener("l-443", "nlb", 443, "tg-443"),
            ],
            expected: [],
        },
        {
            title: "a listener on 22, and one on 443 passed on to 22 (found by dependency, as in a preview)",
            resources: [
                lb("nlb"),
                group("tg-22", 22),
                listener("l-22", "nlb", 22, "tg-22"),
                { ...listener("l-443", "nlb", 443, "unknown"), dependsOn: { defaultActions: ["tg-22"] } },
            ],
            expected: [
                ["l-22", "l-22: listener on port 22 of internet-facing load balancer nlb; only 80 and 443 may face the internet"],
                [
                    "l-22",
                    "l-22: forwards to port 22 (target group tg-22) from internet-facing load balancer nlb; only 80 and 443 may be passed on from the internet",
                ],
                [
                    "l-443",
                    "l-443: forwards to port 22 (target group tg-22) from internet-facing load balancer nlb; only 80 and 443 may be passed on from the internet",
                ],
            ],
        },
        {
            title: "an internal load balancer may listen anywhere; one outside the stack may not",
            resources: [
                lb("inner", true),
                group("tg-3306", 3306),
                listener("l-in", "inner", 3306, "tg-3306"),
                listener("l-out", "elsewhere", 8080, "none"),
            ],
            expected: [
                ["l-out", "l-out: listener on port 8080 of a load balancer outside the stack; only 80 and 443 may face the internet"],
            ],
        },
    ];
    for (const c of CASES)
        it(c.title, async () => {
            const outcome = await runStackPolicy(policy, stackResources("staging", c.resources));
            assert.deepEqual(outcome, {
                violations: c.expected.map(([name, message]) => ({ urn: urnOf("staging", POLICY_TYPES.listener, name), message })),
            });
        });
});
