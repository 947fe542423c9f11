// defineStack on the prod stack file (aws, RDS MySQL with a read replica, private subnets) with
// lb.count 1 (one load balancer and its Elastic IP, as before lb.count), under mocks: network,
// firewall, RDS, secrets and outputs. The file itself sets lb.count 2: awsLoadBalancerPair.test.ts.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { DEBIAN_AMI_QUERY, MOCK_AMI_ID, StackRun, TYPES, byType, findResource, unwrap } from "../helpers/pulumiMocks";
import {
    AMI_CALL,
    AWS_TYPES,
    generatedSecrets,
    instance,
    instances,
    manifestOf,
    parameterArn,
    policyResources,
    runStack,
    singleLb,
    sgRules,
    sitePem,
    userData,
} from "./awsHelpers";
import { Outputs, isSecretAt, stringLeaves } from "./stackHelpers";

const P = "foobar-prod";
const RDS = `${P}-db.abcdefghijkl.eu-west-1.rds.amazonaws.com`;
const RDS_REPLICA = `${P}-db-replica-1.abcdefghijkl.eu-west-1.rds.amazonaws.com`;
// No replication password: RDS replicates by itself.
const KEYS = ["db-app-password", "tls-private-key", "prometheus-password", "prometheus-password-hash", "rds-admin-password"];

/** server, subnet, private address, groups */
const INSTANCES: ReadonlyArray<[string, string, string, string[]]> = [
    ["server-1", "private-a", "10.30.2.11", ["host", "web"]],
    ["server-2", "private-b", "10.30.3.12", ["host", "web"]],
    ["server-3", "public-a", "10.30.0.10", ["host", "lb"]],
];

const SECRETS_OF: Record<string, string[]> = {
    "server-1": ["db-app-password"],
    "server-2": ["db-app-password"],
    "server-3": ["db-app-password", "prometheus-password", "prometheus-password-hash", "rds-admin-password", "tls-private-key"],
};

// No replication rule: RDS replicates by itself. server-3 (lb) reaches RDS to create the schema and users.
// Its Prometheus scrapes each web server's app metrics (9301), nginx exporter (9113) and node exporter
// (9100, group host); its own node exporter and blackbox exporter are on loopback, and the probe of the
// public URL goes out on host's 443 and comes back as any visitor's request.
const RULES = [
    "ingress lb 80 0.0.0.0/0",
    "ingress lb 443 0.0.0.0/0",
    "ingress web 80 sg:lb",
    "ingress db 3306 sg:web",
    "ingress db 3306 sg:lb",
    "ingress web 9301 sg:lb",
    "ingress web 9113 sg:lb",
    "ingress host 9100 sg:lb",
    "egress host 80 0.0.0.0/0",
    "egress host 443 0.0.0.0/0",
    "egress lb 80 sg:web",
    "egress web 3306 sg:db",
    "egress lb 3306 sg:db",
    "egress lb 9301 sg:web",
    "egress lb 9113 sg:web",
    "egress lb 9100 sg:host",
];

describe("defineStack: the prod stack (aws, managed RDS, private subnets) with lb.count 1", () => {
    let run: StackRun<Outputs>;
    before(async () => {
        run = await runStack("prod", singleLb("prod"));
    });

    it("puts web servers in private subnets behind a NAT gateway, the load balancer in a public one", () => {
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.subnet).map((s) => [
                s.name,
                s.inputs.cidrBlock,
                s.inputs.availabilityZone,
                s.inputs.tags["foobar:tier"],
            ]),
            [
                [`${P}-public-a`, "10.30.0.0/24", "eu-west-1a", "public"],
                [`${P}-public-b`, "10.30.1.0/24", "eu-west-1b", "public"],
                [`${P}-private-a`, "10.30.2.0/24", "eu-west-1a", "private"],
                [`${P}-private-b`, "10.30.3.0/24", "eu-west-1b", "private"],
            ],
        );
        const nat = findResource(run.resources, AWS_TYPES.natGateway, `${P}-nat`);
        assert.deepEqual([nat.inputs.subnetId, nat.inputs.allocationId], [`${P}-public-a-id`, `${P}-nat-id`]);
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.routeTable).map((t) => [t.name, t.inputs.routes]),
            [
                [`${P}-public`, [{ cidrBlock: "0.0.0.0/0", gatewayId: `${P}-igw-id` }]],
                [`${P}-private`, [{ cidrBlock: "0.0.0.0/0", natGatewayId: `${P}-nat-id` }]],
            ],
        );
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.routeTableAssociation)
                .map((a) => [a.inputs.subnetId, a.inputs.routeTableId])
                .sort(),
            [
                [`${P}-private-a-id`, `${P}-private-id`],
                [`${P}-private-b-id`, `${P}-private-id`],
                [`${P}-public-a-id`, `${P}-public-id`],
                [`${P}-public-b-id`, `${P}-public-id`],
            ],
        );
        for (const [server, subnet, ip, groups] of INSTANCES) {
            const i = instance(run, P, server);
            assert.deepEqual(
                [
                    i.inputs.subnetId,
                    i.inputs.privateIp,
                    i.inputs.associatePublicIpAddress,
                    i.inputs.vpcSecurityGroupIds,
                    i.inputs.instanceType,
                    i.inputs.ami,
                ],
                // server-3 gets the Elastic IP, so associatePublicIpAddress stays unset there (awsLifecycle.test.ts).
                [
                    `${P}-${subnet}-id`,
                    ip,
                    server === "server-3" ? undefined : false,
                    groups.map((g) => `${P}-${g}-id`),
                    "t3.small",
                    MOCK_AMI_ID,
                ],
                server,
            );
            assert.deepEqual(i.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.deepEqual([i.inputs.rootBlockDevice.encrypted, i.inputs.rootBlockDevice.volumeType], [true, "gp3"]);
            assert.equal(i.inputs.iamInstanceProfile, `${P}-${server}`);
        }
        // The load balancer's address is allocated first (the certificate names it), then associated.
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.eip).map((e) => e.name),
            [`${P}-lb`, `${P}-nat`],
        );
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.eipAssociation).map((a) => [a.name, a.inputs.allocationId, a.inputs.instanceId]),
            [[`${P}-lb`, `eipalloc-${P}-lb`, `${P}-server-3-id`]],
        );
        assert.deepEqual(
            run.calls.filter((c) => c.token === AMI_CALL).map((c) => c.inputs),
            [DEBIAN_AMI_QUERY],
        );
    });

    it("allows exactly the flows' rules; the internet reaches only HAProxy's 80 and 443; no SSH", () => {
        assert.deepEqual(sgRules(run, P), [...RULES].sort());
        assert.deepEqual(
            sgRules(run, P).filter((r) => r.startsWith("ingress") && r.endsWith(" 0.0.0.0/0")),
            ["ingress lb 443 0.0.0.0/0", "ingress lb 80 0.0.0.0/0"],
        );
        assert.deepEqual(Object.keys(findResource(run.resources, AWS_TYPES.defaultSecurityGroup, `${P}-default-sg`).inputs).sort(), [
            "tags",
            "vpcId",
        ]);
    });

    it("lets server-3 reach RDS on 3306 for its first-boot bootstrap; the apps' rule names both their purposes", () => {
        const rule = (type: typeof AWS_TYPES.ingress | typeof AWS_TYPES.egress, name: string) => {
            const r = findResource(run.resources, type, `${P}-${name}`).inputs;
            return [r.securityGroupId, r.referencedSecurityGroupId, r.fromPort, r.toPort, r.ipProtocol, r.description];
        };
        assert.deepEqual(rule(AWS_TYPES.ingress, "db-ingress-3306-lb"), [
            `${P}-db-id`,
            `${P}-lb-id`,
            3306,
            3306,
            "tcp",
            "schema and users on RDS, at first boot",
        ]);
        assert.deepEqual(rule(AWS_TYPES.egress, "lb-egress-3306-db"), [
            `${P}-lb-id`,
            `${P}-db-id`,
            3306,
            3306,
            "tcp",
            "schema and users on RDS, at first boot",
        ]);
        assert.deepEqual(rule(AWS_TYPES.ingress, "db-ingress-3306-web"), [
            `${P}-db-id`,
            `${P}-web-id`,
            3306,
            3306,
            "tcp",
            "reads; writes (and reads when no replica answers)",
        ]);
        assert.deepEqual(rule(AWS_TYPES.egress, "web-egress-3306-db"), [
            `${P}-web-id`,
            `${P}-db-id`,
            3306,
            3306,
            "tcp",
            "reads; writes (and reads when no replica answers)",
        ]);
        // RDS sits in the db group, server-3 in lb: the rules above are what lets the bootstrap through.
        assert.deepEqual(findResource(run.resources, AWS_TYPES.db, `${P}-db`).inputs.vpcSecurityGroupIds, [`${P}-db-id`]);
        assert.deepEqual(instance(run, P, "server-3").inputs.vpcSecurityGroupIds, [`${P}-host-id`, `${P}-lb-id`]);
    });

    it("runs RDS MySQL 8.4: encrypted, private, multi-AZ, backed up, protected, with a final snapshot and an own admin password", () => {
        const dbs = byType(run.resources, AWS_TYPES.db);
        assert.deepEqual(
            dbs.map((d) => d.name),
            [`${P}-db`, `${P}-db-replica-1`],
        );
        const writer = findResource(run.resources, AWS_TYPES.db, `${P}-db`);
        const w = writer.inputs;
        assert.deepEqual(
            [
                w.engine,
                w.engineVersion,
                w.instanceClass,
                w.allocatedStorage,
                w.storageType,
                w.storageEncrypted,
                w.publiclyAccessible,
                w.multiAz,
            ],
            ["mysql", "8.4", "db.t4g.small", 20, "gp3", true, false, true],
        );
        assert.deepEqual(
            [w.backupRetentionPeriod, w.deletionProtection, w.skipFinalSnapshot, w.finalSnapshotIdentifier, w.copyTagsToSnapshot],
            [14, true, false, `${P}-db-final-${randomIdHex(run, `${P}-db-final-snapshot`)}`, true],
        );
        assert.match(w.finalSnapshotIdentifier, /^foobar-prod-db-final-[0-9a-f]{8}$/);
        assert.deepEqual(
            [w.username, w.dbSubnetGroupName, w.parameterGroupName, w.vpcSecurityGroupIds],
            ["foobar_admin", `${P}-db`, `${P}-db`, [`${P}-db-id`]],
        );
        // AWS refuses MySQL read replicas of a source whose master password it manages.
        assert.ok(!("manageMasterUserPassword" in w));
        assert.equal(w.password, generatedSecrets(run).passwords[`${P}-rds-admin-password`]);
        assert.equal(w.password, findResource(run.resources, AWS_TYPES.parameter, `${P}-rds-admin-password`).inputs.value);
        assert.deepEqual(writer.secretPaths, ["password"]);

        const r = findResource(run.resources, AWS_TYPES.db, `${P}-db-replica-1`).inputs;
        assert.equal(r.replicateSourceDb, writer.state.identifier);
        assert.equal(r.replicateSourceDb, `${P}-db`);
        assert.deepEqual(
            [r.storageEncrypted, r.publiclyAccessible, r.instanceClass, r.vpcSecurityGroupIds],
            [true, false, "db.t4g.small", [`${P}-db-id`]],
        );
        assert.deepEqual(
            [r.engine, r.username, r.password, r.dbSubnetGroupName],
            [undefined, undefined, undefined, undefined],
            "all from the source",
        );

        const subnets = findResource(run.resources, AWS_TYPES.dbSubnetGroup, `${P}-db`);
        assert.deepEqual(subnets.inputs.subnetIds, [`${P}-private-a-id`, `${P}-private-b-id`]);
        const params = findResource(run.resources, AWS_TYPES.dbParameterGroup, `${P}-db`);
        assert.equal(params.inputs.family, "mysql8.4");
        assert.deepEqual(params.inputs.parameters, [
            { name: "authentication_policy", value: "*:mysql_native_password", applyMethod: "pending-reboot" },
            { name: "require_secure_transport", value: "1" },
            { name: "slow_query_log", value: "1" },
            { name: "long_query_time", value: "1" },
            { name: "log_output", value: "FILE" },
        ]);
    });

    it("keeps the replicas like the writer, and logs and monitors every database instance", () => {
        const options = findResource(run.resources, AWS_TYPES.dbOptionGroup, `${P}-db`).inputs;
        assert.deepEqual(
            [options.engineName, options.majorEngineVersion, options.options],
            ["mysql", "8.4", [{ optionName: "MARIADB_AUDIT_PLUGIN", optionSettings: [{ name: "SERVER_AUDIT_EVENTS", value: "CONNECT" }] }]],
        );
        const monitoring = findResource(run.resources, AWS_TYPES.role, `${P}-db-monitoring`);
        assert.deepEqual(JSON.parse(monitoring.inputs.assumeRolePolicy).Statement[0].Principal, {
            Service: "monitoring.rds.amazonaws.com",
        });
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.rolePolicyAttachment).map((a) => [a.inputs.role, a.inputs.policyArn]),
            [[`${P}-db-monitoring`, "arn:aws:iam::aws:policy/service-role/AmazonRDSEnhancedMonitoringRole"]],
        );
        for (const db of byType(run.resources, AWS_TYPES.db)) {
            const i = db.inputs;
            assert.deepEqual(
                [
                    i.deletionProtection,
                    i.copyTagsToSnapshot,
                    i.optionGroupName,
                    i.enabledCloudwatchLogsExports,
                    i.monitoringInterval,
                    i.monitoringRoleArn,
                ],
                [true, true, `${P}-db`, ["audit", "error", "slowquery"], 60, monitoring.state.arn],
                db.name,
            );
        }
    });

    it("logs every flow of the VPC to CloudWatch Logs for aws.flowLogRetentionDays, through a role that may write only there", () => {
        const group = findResource(run.resources, AWS_TYPES.logGroup, `${P}-flow-logs`);
        assert.deepEqual([group.inputs.name, group.inputs.retentionInDays], [`/foobar/${P}/vpc-flow-logs`, 90]);
        const flow = findResource(run.resources, AWS_TYPES.flowLog, `${P}-vpc`).inputs;
        assert.deepEqual(
            [flow.vpcId, flow.trafficType, flow.logDestinationType, flow.logDestination],
            [`${P}-vpc-id`, "ALL", "cloud-watch-logs", group.state.arn],
        );
        const role = findResource(run.resources, AWS_TYPES.role, `${P}-flow-logs`);
        assert.equal(flow.iamRoleArn, role.state.arn);
        assert.deepEqual(JSON.parse(role.inputs.assumeRolePolicy).Statement[0].Principal, { Service: "vpc-flow-logs.amazonaws.com" });
        const policy = JSON.parse(findResource(run.resources, AWS_TYPES.rolePolicy, `${P}-flow-logs`).inputs.policy);
        assert.deepEqual(policy.Statement[0].Resource, [group.state.arn, `${group.state.arn}:*`]);
    });

    it("keeps three SecureString parameters (no replication password); each role reads exactly what its manifest lists", () => {
        const { passwords } = generatedSecrets(run);
        // Besides them, the web servers' readiness parameters (plain String: awsLifecycle.test.ts).
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.parameter)
                .map((p) => p.inputs.name)
                .sort(),
            [...KEYS.map((k) => `/foobar/prod/${k}`), "/foobar/prod/ready/server-1", "/foobar/prod/ready/server-2"].sort(),
        );
        for (const key of KEYS) {
            const p = findResource(run.resources, AWS_TYPES.parameter, `${P}-${key}`);
            assert.deepEqual([p.inputs.type, p.secretPaths], ["SecureString", ["value"]]);
            const hashOf = (name: string) => findResource(run.resources, TYPES.password, name).state.bcryptHash;
            const expected: Record<string, string> = {
                "tls-private-key": p.inputs.value,
                "prometheus-password-hash": hashOf(`${P}-prometheus-password`),
            };
            assert.equal(p.inputs.value, expected[key] ?? passwords[`${P}-${key}`], key);
        }
        for (const [server] of INSTANCES) {
            const manifest = manifestOf(userData(instance(run, P, server)).config);
            assert.deepEqual(manifest.parameters, Object.fromEntries(SECRETS_OF[server].map((k) => [k, `/foobar/prod/${k}`])), server);
            assert.deepEqual(
                policyResources(run, P, server),
                SECRETS_OF[server].map((k) => parameterArn(run, P, k)),
                server,
            );
        }
    });

    it("puts no password (the RDS admin's included) or key in user data or in any non-secret input", () => {
        const { passwords, keys } = generatedSecrets(run);
        // The app's, Prometheus's operator and the RDS admin's: with RDS there is no replication user, so no password for one.
        assert.deepEqual(Object.keys(passwords).sort(), [`${P}-db-app-password`, `${P}-prometheus-password`, `${P}-rds-admin-password`]);
        const secretLines = [
            ...Object.values(passwords),
            ...keys.flatMap((k) => k.split("\n").filter((l) => l !== "" && !l.startsWith("-----"))),
        ];
        for (const i of instances(run)) {
            const { text, gzipBytes } = userData(i);
            for (const s of secretLines) assert.ok(!text.includes(s), `${i.name}'s user data holds a secret`);
            assert.ok(gzipBytes <= 16384, `${i.name}: ${gzipBytes} bytes`);
        }
        const secrets = [...Object.values(passwords), ...keys];
        for (const r of run.resources) {
            for (const [path, value] of stringLeaves(r.inputs)) {
                assert.ok(
                    isSecretAt(r, path) || !secrets.some((s) => value.includes(s)),
                    `${r.name} ${path} carries a secret in the clear`,
                );
            }
        }
    });

    it("exports the RDS endpoints, the elastic IP and the parameter names", async () => {
        const o = await unwrap(run.outputs);
        assert.equal(o.url, "https://www.foobar.com/");
        assert.equal(o.loadBalancerAddress, "203.0.113.10:443");
        assert.equal(o.databaseWriterEndpoint, `${RDS}:3306`);
        assert.deepEqual(o.databaseReaderEndpoints, [`${RDS_REPLICA}:3306`]);
        assert.deepEqual(o.ssmParameterNames, [
            "/foobar/prod/db-app-password",
            "/foobar/prod/tls-private-key",
            "/foobar/prod/prometheus-password",
            "/foobar/prod/prometheus-password-hash",
            "/foobar/prod/rds-admin-password",
        ]);
        const svc = (service: string, kind: string, ip: string, publicIp?: string) => ({
            service,
            kind,
            addresses: publicIp === undefined ? { private: ip } : { private: ip, public: publicIp },
        });
        // Monitoring's exporters: an nginx exporter beside each nginx, a blackbox exporter beside Prometheus, a node exporter on every server.
        const web = (n: number, ip: string) => ({
            name: `server-${n}`,
            role: "web",
            services: [
                svc(`server-${n}-nginx`, "nginx", ip),
                svc(`server-${n}-app`, "app", ip),
                svc(`server-${n}-nginx-exporter`, "nginx-exporter", ip),
                svc(`server-${n}-node-exporter`, "node-exporter", ip),
            ],
        });
        assert.deepEqual(o.servers, [
            web(1, "10.30.2.11"),
            web(2, "10.30.3.12"),
            {
                name: "server-3",
                role: "lb",
                services: [
                    svc("server-3-haproxy", "haproxy", "10.30.0.10", "203.0.113.10"),
                    svc("server-3-prometheus", "prometheus", "10.30.0.10", "203.0.113.10"),
                    svc("server-3-alertmanager", "alertmanager", "10.30.0.10", "203.0.113.10"),
                    svc("server-3-blackbox-exporter", "blackbox-exporter", "10.30.0.10", "203.0.113.10"),
                    svc("server-3-node-exporter", "node-exporter", "10.30.0.10", "203.0.113.10"),
                ],
            },
        ]);
        // The site's certificate as HAProxy serves it (public): what the blackbox probe trusts; its CA's apart.
        assert.equal(o.certificatePem, sitePem("prod"));
        assert.equal(o.caCertificatePem, "-----BEGIN CERTIFICATE-----\nFAKE-foobar-prod-ca\n-----END CERTIFICATE-----\n");
        // Prometheus answers on its instance only, through an SSM port forward.
        assert.equal(o.monitoringUrl, "http://127.0.0.1:9090/");
        // Its password is the one output that holds a secret, and it is a secret output.
        const { passwords, keys } = generatedSecrets(run);
        assert.equal(o.monitoringPassword, passwords[`${P}-prometheus-password`]);
        assert.equal(await pulumi.isSecret(run.outputs.monitoringPassword), true);
        const json = JSON.stringify({ ...o, monitoringPassword: undefined });
        for (const s of [...Object.values(passwords), ...keys]) assert.ok(!json.includes(s), "an output holds a secret");
    });
});

/** The hex of the RandomId the program registered under `name`. */
function randomIdHex(
    run: { resources: ReadonlyArray<{ type: string; name: string; state: Record<string, unknown> }> },
    name: string,
): string {
    const id = run.resources.find((r) => r.type === "random:index/randomId:RandomId" && r.name === name);
    assert.ok(id, `no RandomId ${name}`);
    return id.state.hex as string;
}
