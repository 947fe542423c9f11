// defineStack on variants of the staging and prod stack files: sizes and existing VPCs with
// lb.count 1 (the pair's: awsLoadBalancerPair.test.ts), a fixed AMI, SSH from an admin range.
// Staging's database is a Galera cluster (failover automatic: awsGalera.test.ts) wherever it may
// be: with 2 web servers or more, in a VPC of its own.
import assert from "node:assert/strict";
import { byType, findResource, unwrap } from "../helpers/pulumiMocks";
import {
    AMI_CALL,
    AWS_TYPES,
    RDS_ALARMS,
    ZONES_CALL,
    awsConfig,
    countAws,
    instance,
    instances,
    manualFailover,
    runStack,
    sgRules,
    singleLb,
    userData,
    withAlarms,
    withDataVolumes,
    withDatabaseTls,
    withFlowLogs,
    withGalera,
    withRdsExtras,
    withArtifacts,
    withReadiness,
    writtenFile,
} from "./awsHelpers";

const perServer = (n: number) => ({ role: n, rolePolicy: 2 * n, instanceProfile: n, instance: n });
/**
 * Staging with GTID replication (failover manual); STAGING_GALERA: the stack file's own, a node per database server.
 * The app bundle for the web servers, the monitoring bundle (the alert rules) for the one load balancer's Prometheus.
 */
const STAGING = (webServers: number) => withAlarms(withArtifacts(STAGING_BASE(webServers), webServers, 1), webServers + 1);
const STAGING_GALERA = (webServers: number) => withGalera(STAGING(webServers), webServers + 1);
const STAGING_BASE = (webServers: number) =>
    withDataVolumes(
        withReadiness(
            withDatabaseTls(
                withFlowLogs({
                    // The app's, the replicator's, the exporters' (monitor) and Prometheus's operator passwords.
                    password: 4,
                    vpc: 1,
                    defaultSecurityGroup: 1,
                    subnet: 2,
                    internetGateway: 1,
                    routeTable: 1,
                    routeTableAssociation: 2,
                    securityGroup: 4,
                    // Among them Prometheus's scrapes of the replicas' exporters: 9104 from lb into db; of the
                    // apps' metrics (9301) and the nginx exporters (9113) from lb into web; and of the node
                    // exporters (9100) from lb into host, which every instance is in. Each in and out.
                    ingress: 9,
                    egress: 9,
                    parameter: 6,
                    ...perServer(webServers + 1),
                    eip: 1,
                    eipAssociation: 1,
                    // The Debian image as first looked up, pinned.
                    stash: 1,
                }),
                webServers + 1,
            ),
            webServers,
        ),
        webServers + 1,
    );
const PROD = (webServers: number) => withAlarms(withArtifacts(PROD_BASE(webServers), webServers, 1), webServers + 1, RDS_ALARMS(1));
const PROD_BASE = (webServers: number) =>
    withReadiness(
        withRdsExtras(
            withFlowLogs({
                // The app's and the RDS admin's passwords; the final snapshot's name suffix.
                password: 3,
                randomId: 1,
                vpc: 1,
                defaultSecurityGroup: 1,
                subnet: 4,
                internetGateway: 1,
                routeTable: 2,
                routeTableAssociation: 4,
                natGateway: 1,
                eip: 2,
                eipAssociation: 1,
                securityGroup: 4,
                // Among them the scrapes from lb of the apps' metrics (9301), the nginx exporters (9113)
                // into web and the node exporters (9100) into host, in and out.
                ingress: 8,
                egress: 8,
                parameter: 5,
                ...perServer(webServers + 1),
                dbSubnetGroup: 1,
                dbParameterGroup: 1,
                db: 2,
                stash: 1,
            }),
        ),
        webServers,
    );

const SIZES: ReadonlyArray<{
    file: "staging" | "prod";
    webServers: number;
    overrides?: Record<string, unknown>;
    counts: Record<string, number>;
    addresses: string[];
}> = [
    // Two database servers make no quorum: failover manual (automatic is refused: galeraTopology.test.ts).
    {
        file: "staging",
        webServers: 1,
        overrides: manualFailover("staging"),
        counts: STAGING(1),
        addresses: ["10.20.0.11", "10.20.0.10"],
    },
    { file: "staging", webServers: 2, counts: STAGING_GALERA(2), addresses: ["10.20.0.11", "10.20.1.12", "10.20.0.10"] },
    { file: "staging", webServers: 3, counts: STAGING_GALERA(3), addresses: ["10.20.0.11", "10.20.1.12", "10.20.0.13", "10.20.0.10"] },
    { file: "prod", webServers: 1, counts: PROD(1), addresses: ["10.30.2.11", "10.30.0.10"] },
    { file: "prod", webServers: 2, counts: PROD(2), addresses: ["10.30.2.11", "10.30.3.12", "10.30.0.10"] },
    { file: "prod", webServers: 3, counts: PROD(3), addresses: ["10.30.2.11", "10.30.3.12", "10.30.2.13", "10.30.0.10"] },
];

describe("defineStack: aws sizes, lb.count 1", () => {
    for (const s of SIZES) {
        it(`${s.file} with ${s.webServers} web server(s): resources, addresses, HAProxy's backend servers`, async () => {
            const overrides = {
                ...singleLb(s.file),
                ...(s.webServers === 2 ? {} : { "foobar:webServers": s.webServers }),
                ...s.overrides,
            };
            const run = await runStack(s.file, overrides);
            assert.deepEqual(countAws(run.resources), s.counts);
            assert.deepEqual(
                instances(run).map((i) => i.inputs.privateIp),
                s.addresses,
            );
            const lb = `server-${s.webServers + 1}`;
            const cfg = writtenFile(userData(instance(run, `foobar-${s.file}`, lb)).config, "/etc/haproxy/haproxy.cfg");
            assert.deepEqual(
                cfg.split("\n").filter((l) => l.startsWith("    server ")),
                s.addresses.slice(0, -1).map((ip, i) => `    server server-${i + 1} ${ip}:80`),
            );
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.eipAssociation).map((a) => [a.inputs.allocationId, a.inputs.instanceId]),
                [[`eipalloc-foobar-${s.file}-lb`, `foobar-${s.file}-${lb}-id`]],
            );
        });
    }
});

describe("defineStack: aws variants", () => {
    it("a fixed amiId: no AMI lookup, every instance boots from it", async () => {
        const run = await runStack("staging", awsConfig("staging", { amiId: "ami-0123456789abcdef0" }));
        assert.deepEqual(
            run.calls.map((c) => c.token),
            [ZONES_CALL],
        );
        assert.ok(!run.calls.some((c) => c.token === AMI_CALL));
        assert.deepEqual(
            instances(run).map((i) => i.inputs.ami),
            ["ami-0123456789abcdef0", "ami-0123456789abcdef0", "ami-0123456789abcdef0", "ami-0123456789abcdef0"],
        );
    });

    it("adminCidr: SSH on every instance (host group) from that range only", async () => {
        const run = await runStack("staging", awsConfig("staging", { adminCidr: "203.0.113.7/32" }));
        const rules = sgRules(run, "foobar-staging");
        assert.deepEqual(
            rules.filter((r) => r.split(" ")[2] === "22"),
            ["ingress host 22 203.0.113.7/32"],
        );
        // The staging stack's 37 rules (awsLoadBalancerPair.test.ts) and SSH; behind the NLB nothing is open to anywhere.
        assert.equal(rules.length, 38);
        assert.deepEqual(
            rules.filter((r) => r.startsWith("ingress") && r.endsWith(" 0.0.0.0/0")),
            [],
        );
        for (const i of instances(run)) assert.equal(i.inputs.vpcSecurityGroupIds[0], "foobar-staging-host-id", i.name);
    });

    const PUBLIC = [
        { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.20.10.0/24", availabilityZone: "eu-west-1a" },
        { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.20.11.0/24", availabilityZone: "eu-west-1b" },
    ];
    const PRIVATE = [
        { id: "subnet-0ccccccccccccccc3", cidr: "10.30.20.0/24", availabilityZone: "eu-west-1a" },
        { id: "subnet-0ddddddddddddddd4", cidr: "10.30.21.0/24", availabilityZone: "eu-west-1b" },
    ];
    const NETWORK_TYPES = [
        AWS_TYPES.vpc,
        AWS_TYPES.subnet,
        AWS_TYPES.internetGateway,
        AWS_TYPES.routeTable,
        AWS_TYPES.routeTableAssociation,
        AWS_TYPES.route,
        AWS_TYPES.natGateway,
        AWS_TYPES.defaultSecurityGroup,
    ];

    it("an existing VPC (lb.count 1): no VPC, subnet, gateway or route resources; groups in that VPC; instances in its subnets", async () => {
        const vpcId = "vpc-0123456789abcdef0";
        // With failover manual, as awsConfig sets it with existingVpc: the write address needs a VPC of the stack's own.
        const run = await runStack("staging", {
            ...awsConfig("staging", { existingVpc: { vpcId, publicSubnets: PUBLIC } }),
            ...singleLb("staging"),
        });
        for (const type of NETWORK_TYPES) assert.deepEqual(byType(run.resources, type), [], type);
        assert.deepEqual(
            run.calls.map((c) => c.token),
            [AMI_CALL],
            "no availability zone lookup",
        );
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.securityGroup).map((g) => g.inputs.vpcId),
            [vpcId, vpcId, vpcId, vpcId],
        );
        assert.deepEqual(
            instances(run).map((i) => [i.name, i.inputs.subnetId, i.inputs.privateIp, i.inputs.associatePublicIpAddress]),
            [
                ["foobar-staging-server-1", PUBLIC[0].id, "10.20.10.11", true],
                ["foobar-staging-server-2", PUBLIC[1].id, "10.20.11.12", true],
                ["foobar-staging-server-3", PUBLIC[0].id, "10.20.10.10", undefined],
            ],
        );
        assert.deepEqual(
            countAws(run.resources),
            // The stack still logs the flows of the VPC it runs in, and alarms on its instances.
            withAlarms(
                withArtifacts(
                    withDataVolumes(
                        withReadiness(
                            withDatabaseTls(
                                withFlowLogs({
                                    password: 4,
                                    securityGroup: 4,
                                    // As STAGING_BASE's: the scrapes of 9104, 9301, 9113 and 9100 among them.
                                    ingress: 9,
                                    egress: 9,
                                    parameter: 6,
                                    ...perServer(3),
                                    eip: 1,
                                    eipAssociation: 1,
                                    stash: 1,
                                }),
                                3,
                            ),
                            2,
                        ),
                        3,
                    ),
                    2,
                    1,
                ),
                3,
            ),
        );
        // The volumes are made in the existing subnets' zones.
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.volume)
                .map((v) => [v.name, v.inputs.availabilityZone])
                .sort(),
            [
                ["foobar-staging-server-1-db", "eu-west-1a"],
                ["foobar-staging-server-2-db", "eu-west-1b"],
                ["foobar-staging-server-3-db", "eu-west-1a"],
            ],
        );
        assert.deepEqual(await unwrap(run.outputs.databaseReaderEndpoints), ["10.20.10.11:3306", "10.20.11.12:3306"]);
    });

    it("an existing VPC with private subnets (lb.count 1): web servers and RDS there, and no NAT gateway of ours", async () => {
        const vpcId = "vpc-0fedcba9876543210";
        const pub = [
            { id: "subnet-0aaaaaaaaaaaaaaa1", cidr: "10.30.10.0/24", availabilityZone: "eu-west-1a" },
            { id: "subnet-0bbbbbbbbbbbbbbb2", cidr: "10.30.11.0/24", availabilityZone: "eu-west-1b" },
        ];
        const run = await runStack("prod", {
            ...awsConfig("prod", { existingVpc: { vpcId, publicSubnets: pub, privateSubnets: PRIVATE } }),
            ...singleLb("prod"),
        });
        for (const type of NETWORK_TYPES) assert.deepEqual(byType(run.resources, type), [], type);
        assert.deepEqual(
            instances(run).map((i) => [i.inputs.subnetId, i.inputs.privateIp, i.inputs.associatePublicIpAddress]),
            [
                [PRIVATE[0].id, "10.30.20.11", false],
                [PRIVATE[1].id, "10.30.21.12", false],
                [pub[0].id, "10.30.10.10", undefined],
            ],
        );
        assert.deepEqual(findResource(run.resources, AWS_TYPES.dbSubnetGroup, "foobar-prod-db").inputs.subnetIds, [
            PRIVATE[0].id,
            PRIVATE[1].id,
        ]);
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.eip).map((e) => e.name),
            ["foobar-prod-lb"],
        );
    });
});
