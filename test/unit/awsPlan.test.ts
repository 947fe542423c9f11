// planAws: subnets carved from the VPC range, one instance per server at a fixed address, and
// security group rules derived from the topology's flows. Pure.
import assert from "node:assert/strict";
import { RulePlan, groupOf } from "../../components/platforms/aws/firewall";
import { AwsPlan, planAws } from "../../components/platforms/aws/plan";
import { defineStack } from "../../components/stack";
import { loadStackConfig, runUnderMocks } from "../helpers/pulumiMocks";
import { topologyOf } from "./topologyHelpers";

const planOf = (args: Record<string, unknown>): AwsPlan => planAws(topologyOf({ platform: "aws", ...args }));
const rule = (r: RulePlan) => `${r.direction} ${r.group} ${r.port} ${"group" in r.peer ? `sg:${r.peer.group}` : r.peer.cidr}`;
const instanceRow = (p: AwsPlan) =>
    p.instances.map((i) => [i.server, i.role, i.subnet, i.privateIp, i.publicIp, i.securityGroups.join(","), i.instanceType]);

const PUBLIC = [
    { key: "public-a", tier: "public", az: 0, cidr: "10.20.0.0/24" },
    { key: "public-b", tier: "public", az: 1, cidr: "10.20.1.0/24" },
];
const PRIVATE = [
    { key: "private-a", tier: "private", az: 0, cidr: "10.20.2.0/24" },
    { key: "private-b", tier: "private", az: 1, cidr: "10.20.3.0/24" },
];
/** The way out: 443 serves the blackbox exporter's probe of the public URL too (one rule, both purposes). */
const HOST_EGRESS = ["egress host 80 0.0.0.0/0", "egress host 443 0.0.0.0/0"];
/** Prometheus on the load balancer scrapes each app's own metrics on its web server. */
const APP_METRICS = ["ingress web 9301 sg:lb", "egress lb 9301 sg:web"];
/**
 * ...and each nginx exporter beside its nginx, and the node exporter of every other instance (group
 * host); the load balancer's own are on loopback. The blackbox exporter beside Prometheus probes the
 * public URL: out through HOST_EGRESS, in as any visitor, no rule of its own.
 */
const HOST_SCRAPES = ["ingress web 9113 sg:lb", "egress lb 9113 sg:web", "ingress host 9100 sg:lb", "egress lb 9100 sg:host"];

describe("planAws", () => {
    it("carves two public /24s from 10.20.0.0/16, and places every server in them", () => {
        const p = planOf({ aws: { vpcCidr: "10.20.0.0/16" } });
        assert.deepEqual(p.subnets, PUBLIC);
        assert.deepEqual(instanceRow(p), [
            ["server-1", "web", "public-a", "10.20.0.11", true, "host,web,db", "t3.micro"],
            ["server-2", "web", "public-b", "10.20.1.12", true, "host,web,db", "t3.micro"],
            ["server-3", "lb-db", "public-a", "10.20.0.10", false, "host,lb,db", "t3.small"],
        ]);
        assert.deepEqual([p.natGateway, p.databaseSubnets], [false, ["public-a", "public-b"]]);
        assert.equal(p.instance("server-3").privateIp, "10.20.0.10");
        assert.throws(() => p.instance("server-4"), { message: "no instance for server-4" });
    });

    it("adds two private /24s with privateSubnets: web servers and the database go there, behind a NAT gateway", () => {
        const p = planOf({ webServers: 3, database: { mode: "managed" }, aws: { vpcCidr: "10.20.0.0/16", privateSubnets: true } });
        assert.deepEqual(p.subnets, [...PUBLIC, ...PRIVATE]);
        assert.deepEqual(instanceRow(p), [
            ["server-1", "web", "private-a", "10.20.2.11", false, "host,web", "t3.micro"],
            ["server-2", "web", "private-b", "10.20.3.12", false, "host,web", "t3.micro"],
            ["server-3", "web", "private-a", "10.20.2.13", false, "host,web", "t3.micro"],
            ["server-4", "lb", "public-a", "10.20.0.10", false, "host,lb", "t3.small"],
        ]);
        assert.deepEqual([p.natGateway, p.databaseSubnets], [true, ["private-a", "private-b"]]);
    });

    it("puts RDS in private subnets even without aws.privateSubnets: web servers stay public, no NAT gateway", () => {
        const p = planOf({ database: { mode: "managed" }, aws: { vpcCidr: "10.20.0.0/16" } });
        assert.deepEqual(p.subnets, [...PUBLIC, ...PRIVATE]);
        assert.deepEqual([p.natGateway, p.databaseSubnets], [false, ["private-a", "private-b"]]);
        assert.deepEqual(
            p.instances.map((i) => [i.server, i.subnet]),
            [
                ["server-1", "public-a"],
                ["server-2", "public-b"],
                ["server-3", "public-a"],
            ],
        );
    });

    it("carves the first /24s of any allowed range", () => {
        assert.deepEqual(
            planOf({ aws: { vpcCidr: "172.16.16.0/20", privateSubnets: true } }).subnets.map((s) => s.cidr),
            ["172.16.16.0/24", "172.16.17.0/24", "172.16.18.0/24", "172.16.19.0/24"],
        );
        assert.deepEqual(
            planOf({}).subnets.map((s) => s.cidr),
            ["10.0.0.0/24", "10.0.1.0/24"],
            "default vpcCidr 10.0.0.0/16",
        );
    });

    it("uses an existing VPC's subnets as given, and plans no NAT gateway", () => {
        const pub = [
            { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" },
            { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" },
        ];
        const priv = [
            { id: "subnet-0ccccccccccccccc3", cidr: "10.20.20.0/24", availabilityZone: "eu-west-1a" },
            { id: "subnet-0ddddddddddddddd4", cidr: "10.20.21.0/24", availabilityZone: "eu-west-1b" },
        ];
        const p = planOf({
            aws: {
                vpcCidr: "10.20.0.0/16",
                privateSubnets: true,
                existingVpc: { vpcId: "vpc-0123456789abcdef0", publicSubnets: pub, privateSubnets: priv },
            },
        });
        assert.deepEqual(p.subnets, [
            {
                key: "public-a",
                tier: "public",
                az: 0,
                cidr: "10.20.10.0/24",
                existingId: "subnet-0aaaaaaaaaaaaaaa1",
                availabilityZone: "eu-west-1a",
            },
            {
                key: "public-b",
                tier: "public",
                az: 1,
                cidr: "10.20.11.0/24",
                existingId: "subnet-0bbbbbbbbbbbbbbb2",
                availabilityZone: "eu-west-1b",
            },
            {
                key: "private-a",
                tier: "private",
                az: 0,
                cidr: "10.20.20.0/24",
                existingId: "subnet-0ccccccccccccccc3",
                availabilityZone: "eu-west-1a",
            },
            {
                key: "private-b",
                tier: "private",
                az: 1,
                cidr: "10.20.21.0/24",
                existingId: "subnet-0ddddddddddddddd4",
                availabilityZone: "eu-west-1b",
            },
        ]);
        assert.deepEqual(
            p.instances.map((i) => [i.server, i.subnet, i.privateIp]),
            [
                ["server-1", "private-a", "10.20.20.11"],
                ["server-2", "private-b", "10.20.21.12"],
                ["server-3", "public-a", "10.20.10.10"],
            ],
        );
        assert.equal(p.natGateway, false);
        // A database volume is made in its instance's subnet's zone: the primary's and each replica's.
        assert.deepEqual(p.dataVolumes, [
            { server: "server-3", subnet: "public-a", sizeGb: 20 },
            { server: "server-1", subnet: "private-a", sizeGb: 20 },
            { server: "server-2", subnet: "private-b", sizeGb: 20 },
        ]);
    });

    it("plans a data volume per self-managed database, from a snapshot where asked; none with RDS; the Elastic IP on the load balancer", () => {
        const restore = [{ server: "server-1", snapshotId: "snap-0123456789abcdef0" }];
        const p = planOf({ database: { replicas: 1 }, aws: { databaseVolumeGb: 100, restoreDatabaseVolumes: restore } });
        assert.deepEqual(p.dataVolumes, [
            { server: "server-3", subnet: "public-a", sizeGb: 100 },
            { server: "server-1", subnet: "public-a", sizeGb: 100, snapshotId: "snap-0123456789abcdef0" },
        ]);
        assert.deepEqual(planOf({ database: { mode: "managed" } }).dataVolumes, []);
        assert.deepEqual(
            p.instances.map((i) => [i.server, i.elasticIp, i.publicIp]),
            [
                ["server-1", false, true],
                ["server-2", false, true],
                ["server-3", true, false],
            ],
        );
    });

    it("puts each service kind in its group", () => {
        assert.deepEqual(
            (
                [
                    "haproxy",
                    "prometheus",
                    "nginx",
                    "app",
                    "mariadb",
                    "rds",
                    "mysqld-exporter",
                    "nginx-exporter",
                    "node-exporter",
                    "blackbox-exporter",
                ] as const
            ).map(groupOf),
            [
                "lb",
                "lb",
                "web",
                "web",
                "db",
                "db",
                // Beside its database: Prometheus's scrapes enter the database's group.
                "db",
                // Beside its nginx, on a web server.
                "web",
                // On every server: host, the group every instance is in.
                "host",
                // Beside its Prometheus, on a load balancer.
                "lb",
            ],
        );
    });

    const RULES: ReadonlyArray<[string, Record<string, unknown>, string[]]> = [
        [
            "self-managed (staging)",
            { aws: { vpcCidr: "10.20.0.0/16" } },
            [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
                "ingress web 80 sg:lb",
                "egress lb 80 sg:web",
                "ingress db 3306 sg:web",
                "egress web 3306 sg:db",
                ...APP_METRICS,
                "ingress db 3306 sg:db",
                "egress db 3306 sg:db",
                // Prometheus on server-3 scrapes the replicas' exporters; the primary's is on loopback.
                "ingress db 9104 sg:lb",
                "egress lb 9104 sg:db",
                ...HOST_SCRAPES,
                ...HOST_EGRESS,
            ],
        ],
        [
            "self-managed without replicas: no replication rule",
            { database: { replicas: 0 }, aws: { vpcCidr: "10.20.0.0/16" } },
            [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
                "ingress web 80 sg:lb",
                "egress lb 80 sg:web",
                "ingress db 3306 sg:web",
                "egress web 3306 sg:db",
                ...APP_METRICS,
                // The primary's exporter is on server-3 with Prometheus: loopback, no rule.
                ...HOST_SCRAPES,
                ...HOST_EGRESS,
            ],
        ],
        [
            "managed (prod)",
            { database: { mode: "managed" }, aws: { vpcCidr: "10.30.0.0/16", privateSubnets: true } },
            [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
                "ingress web 80 sg:lb",
                "egress lb 80 sg:web",
                "ingress db 3306 sg:web",
                "egress web 3306 sg:db",
                ...APP_METRICS,
                ...HOST_SCRAPES,
                // server-3 bootstraps RDS (schema and app user) at first boot.
                "ingress db 3306 sg:lb",
                "egress lb 3306 sg:db",
                ...HOST_EGRESS,
            ],
        ],
        [
            "monitoring off: no Prometheus port",
            { monitoring: { enabled: false }, database: { replicas: 0 }, aws: { vpcCidr: "10.20.0.0/16" } },
            [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
                "ingress web 80 sg:lb",
                "egress lb 80 sg:web",
                "ingress db 3306 sg:web",
                "egress web 3306 sg:db",
                ...HOST_EGRESS,
            ],
        ],
        [
            "adminCidr opens SSH from that range only",
            { aws: { vpcCidr: "10.20.0.0/16", adminCidr: "203.0.113.7/32" } },
            [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
                "ingress web 80 sg:lb",
                "egress lb 80 sg:web",
                "ingress db 3306 sg:web",
                "egress web 3306 sg:db",
                ...APP_METRICS,
                "ingress db 3306 sg:db",
                "egress db 3306 sg:db",
                // Prometheus on server-3 scrapes the replicas' exporters; the primary's is on loopback.
                "ingress db 9104 sg:lb",
                "egress lb 9104 sg:db",
                ...HOST_SCRAPES,
                ...HOST_EGRESS,
                "ingress host 22 203.0.113.7/32",
            ],
        ],
    ];
    for (const [name, args, expected] of RULES) {
        it(`security group rules: ${name}`, () => {
            const rules = planOf(args).rules;
            assert.deepEqual(rules.map(rule), expected);
            // The internet reaches HAProxy's 80 and 443, nothing else.
            assert.deepEqual(rules.filter((r) => r.direction === "ingress" && "cidr" in r.peer && r.peer.cidr === "0.0.0.0/0").map(rule), [
                "ingress lb 80 0.0.0.0/0",
                "ingress lb 443 0.0.0.0/0",
            ]);
        });
    }

    it("needs no rule for loopback flows: 3 web servers with their own replicas need the same rules as 1", () => {
        const rulesFor = (webServers: number) => planOf({ webServers, aws: { vpcCidr: "10.20.0.0/16" } }).rules.map(rule);
        assert.deepEqual(rulesFor(3), rulesFor(1));
    });

    const described = (p: AwsPlan, port: number) => p.rules.filter((r) => r.port === port).map((r) => [rule(r), r.description]);

    it("managed: server-3 (lb) may reach RDS (db) on 3306 to create the schema and users, and nothing else is added", () => {
        const lbOn3306 = (p: AwsPlan) =>
            p.rules.filter((r) => r.port === 3306 && (r.group === "lb" || ("group" in r.peer && r.peer.group === "lb")));
        assert.deepEqual(lbOn3306(planOf({ database: { mode: "managed" }, aws: { vpcCidr: "10.30.0.0/16", privateSubnets: true } })), [
            { group: "db", direction: "ingress", port: 3306, peer: { group: "lb" }, description: "schema and users on RDS, at first boot" },
            { group: "lb", direction: "egress", port: 3306, peer: { group: "db" }, description: "schema and users on RDS, at first boot" },
        ]);
        // The self-managed primary runs on server-3 itself: no lb <-> db rule there.
        assert.deepEqual(lbOn3306(planOf({ aws: { vpcCidr: "10.20.0.0/16" } })), []);
    });

    it('a rule several flows map to names all their purposes, de-duplicated, sorted, joined with "; "', () => {
        // Managed: the apps' writes and reads both go from web to db on 3306.
        assert.deepEqual(
            described(planOf({ database: { mode: "managed" }, aws: { vpcCidr: "10.30.0.0/16", privateSubnets: true } }), 3306),
            [
                ["ingress db 3306 sg:web", "reads; writes (and reads when no replica answers)"],
                ["egress web 3306 sg:db", "reads; writes (and reads when no replica answers)"],
                ["ingress db 3306 sg:lb", "schema and users on RDS, at first boot"],
                ["egress lb 3306 sg:db", "schema and users on RDS, at first boot"],
            ],
        );
        // Managed without a replica: writes only.
        assert.deepEqual(
            described(planOf({ database: { mode: "managed", replicas: 0 }, aws: { vpcCidr: "10.30.0.0/16", privateSubnets: true } }), 3306),
            [
                ["ingress db 3306 sg:web", "writes (and reads when no replica answers)"],
                ["egress web 3306 sg:db", "writes (and reads when no replica answers)"],
                ["ingress db 3306 sg:lb", "schema and users on RDS, at first boot"],
                ["egress lb 3306 sg:db", "schema and users on RDS, at first boot"],
            ],
        );
        // Self-managed with 3 web servers: one purpose per rule, named once however many flows share it;
        // the reads stay on each instance and name no rule.
        const staging = planOf({ webServers: 3, aws: { vpcCidr: "10.20.0.0/16" } });
        assert.deepEqual(described(staging, 3306), [
            ["ingress db 3306 sg:web", "writes (and reads when no replica answers)"],
            ["egress web 3306 sg:db", "writes (and reads when no replica answers)"],
            ["ingress db 3306 sg:db", "GTID replication"],
            ["egress db 3306 sg:db", "GTID replication"],
        ]);
        assert.deepEqual(described(staging, 80), [
            ["ingress lb 80 0.0.0.0/0", "HTTP, redirected to HTTPS"],
            ["ingress web 80 sg:lb", "load-balanced requests and health checks"],
            ["egress lb 80 sg:web", "load-balanced requests and health checks"],
            ["egress host 80 0.0.0.0/0", "the Debian archive"],
        ]);
        // The hosts' way out on 443 is the blackbox exporter's way to the public URL too: one rule naming both
        // purposes; without monitoring there is no probe, and the rule names its first purpose alone.
        assert.deepEqual(described(staging, 443), [
            ["ingress lb 443 0.0.0.0/0", "HTTPS"],
            ["egress host 443 0.0.0.0/0", "SSM, the AWS APIs and the Debian security archive; the probe of the public URL"],
        ]);
        assert.deepEqual(described(planOf({ monitoring: { enabled: false }, aws: { vpcCidr: "10.20.0.0/16" } }), 443), [
            ["ingress lb 443 0.0.0.0/0", "HTTPS"],
            ["egress host 443 0.0.0.0/0", "SSM, the AWS APIs and the Debian security archive"],
        ]);
    });
});

describe("security group descriptions", () => {
    // EC2 refuses other characters in group and rule descriptions (an apostrophe fails `pulumi up`).
    const AWS_DESCRIPTION = /^[a-zA-Z0-9. _\-:/()#,@[\]+=&;{}!$*]*$/;

    it("use only the characters EC2 accepts, on staging and prod", async () => {
        for (const stack of ["staging", "prod"]) {
            const run = await runUnderMocks(loadStackConfig(stack), defineStack, { stack });
            const described = run.resources.filter(
                (r) => /securityGroup|SecurityGroup(Ingress|Egress)Rule/.test(r.type) && r.inputs.description !== undefined,
            );
            assert.ok(described.length > 10, `${stack}: ${described.length} described`);
            for (const r of described) assert.match(r.inputs.description, AWS_DESCRIPTION, `${stack} ${r.name}`);
        }
    });
});
