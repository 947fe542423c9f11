// defineStack on the staging stack file (aws, self-managed MariaDB as a Galera cluster: failover
// automatic, awsGalera.test.ts) with lb.count 1 (one load balancer and its Elastic IP, as before
// lb.count), under mocks: every resource, address, firewall rule, secret and output. The file itself
// sets lb.count 2: awsLoadBalancerPair.test.ts.
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { DEBIAN_AMI_QUERY, MOCK_AMI_ID, StackRun, TYPES, byType, findResource, unwrap } from "../helpers/pulumiMocks";
import {
    AMI_CALL,
    AWS_TYPES,
    ZONES_CALL,
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

const P = "foobar-staging";
/** The elastic IP the mocks give the load balancer. */
const LB_IP = "203.0.113.10";
/** The Galera cluster's write address (writeAddress.ts). */
const WRITE_IP = "100.127.255.254";
/** No replication password: Galera's nodes need none (state transfers log in through the socket). */
const KEYS = [
    "db-app-password",
    "db-monitor-password",
    "db-tls-key-server-1-mariadb-replica",
    "db-tls-key-server-2-mariadb-replica",
    "db-tls-key-server-3-mariadb-primary",
    "prometheus-password",
    "prometheus-password-hash",
    "tls-private-key",
];

/** server, subnet, private address, public address, instance type, groups, role */
const INSTANCES: ReadonlyArray<[string, string, string, boolean, string, string[], string]> = [
    ["server-1", "public-a", "10.20.0.11", true, "t3.micro", ["host", "web", "db"], "web"],
    ["server-2", "public-b", "10.20.1.12", true, "t3.micro", ["host", "web", "db"], "web"],
    ["server-3", "public-a", "10.20.0.10", false, "t3.small", ["host", "lb", "db"], "lb-db"],
];

/** Secrets each instance's files hold, so its role may read exactly these. */
const SECRETS_OF: Record<string, string[]> = {
    "server-1": ["db-app-password", "db-monitor-password", "db-tls-key-server-1-mariadb-replica"],
    "server-2": ["db-app-password", "db-monitor-password", "db-tls-key-server-2-mariadb-replica"],
    "server-3": [
        "db-app-password",
        "db-monitor-password",
        "db-tls-key-server-3-mariadb-primary",
        "prometheus-password",
        "prometheus-password-hash",
        "tls-private-key",
    ],
};

const RULES = [
    "ingress lb 80 0.0.0.0/0",
    "ingress lb 443 0.0.0.0/0",
    "ingress web 80 sg:lb",
    "ingress db 3306 sg:web",
    "ingress db 9104 sg:lb",
    "egress host 80 0.0.0.0/0",
    "egress host 443 0.0.0.0/0",
    "egress lb 80 sg:web",
    "egress web 3306 sg:db",
    "egress lb 9104 sg:db",
    // Prometheus (lb) scrapes each app's metrics and nginx exporter on the web servers, and the node
    // exporter of every other instance (group host); server-3's own exporters are on loopback.
    "ingress web 9301 sg:lb",
    "egress lb 9301 sg:web",
    "ingress web 9113 sg:lb",
    "egress lb 9113 sg:web",
    "ingress host 9100 sg:lb",
    "egress lb 9100 sg:host",
    // The Galera cluster: its ports and VRRP between the nodes, the apps' writes to the write address.
    ...["4444", "4567", "4568", "vrrp"].flatMap((port) => [`ingress db ${port} sg:db`, `egress db ${port} sg:db`]),
    `egress web 3306 ${WRITE_IP}/32`,
];

describe("defineStack: the staging stack (aws, a Galera cluster) with lb.count 1", () => {
    let run: StackRun<Outputs>;
    before(async () => {
        run = await runStack("staging", singleLb("staging"));
    });

    it("names every resource after the component; one VPC with two public subnets, no NAT gateway", () => {
        assert.deepEqual(
            run.resources.filter((r) => r.name !== P && !r.name.startsWith(`${P}-`)).map((r) => r.name),
            [],
        );
        assert.deepEqual(byType(run.resources, AWS_TYPES.natGateway), [], "public subnets need no NAT gateway");
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.subnet).map((s) => [
                s.name,
                s.inputs.cidrBlock,
                s.inputs.availabilityZone,
                s.inputs.mapPublicIpOnLaunch,
                s.inputs.vpcId,
            ]),
            [
                [`${P}-public-a`, "10.20.0.0/24", "eu-west-1a", false, `${P}-vpc-id`],
                [`${P}-public-b`, "10.20.1.0/24", "eu-west-1b", false, `${P}-vpc-id`],
            ],
        );
        assert.equal(findResource(run.resources, AWS_TYPES.vpc, `${P}-vpc`).inputs.cidrBlock, "10.20.0.0/16");
    });

    it("looks up the newest Debian 12 AMI once, with exactly the Debian query, and boots every instance from it", () => {
        assert.deepEqual(
            run.calls.filter((c) => c.token === AMI_CALL).map((c) => c.inputs),
            [DEBIAN_AMI_QUERY],
        );
        assert.deepEqual(run.calls.map((c) => c.token).sort(), [AMI_CALL, ZONES_CALL]);
        assert.deepEqual(
            instances(run).map((i) => i.inputs.ami),
            [MOCK_AMI_ID, MOCK_AMI_ID, MOCK_AMI_ID],
        );
    });

    for (const [server, subnet, ip, publicIp, type, groups, role] of INSTANCES) {
        it(`${server}: subnet, address, groups, IMDSv2, encrypted disk, instance profile`, () => {
            const i = instance(run, P, server);
            assert.equal(i.inputs.subnetId, `${P}-${subnet}-id`);
            assert.equal(i.inputs.privateIp, ip);
            // server-3 gets the Elastic IP: associatePublicIpAddress stays unset (read back true, it would replace the instance).
            if (server === "server-3") assert.ok(!("associatePublicIpAddress" in i.inputs), "set on the Elastic IP's instance");
            else assert.equal(i.inputs.associatePublicIpAddress, publicIp);
            assert.equal(i.inputs.instanceType, type);
            assert.deepEqual(
                i.inputs.vpcSecurityGroupIds,
                groups.map((g) => `${P}-${g}-id`),
            );
            assert.deepEqual(i.inputs.metadataOptions, { httpEndpoint: "enabled", httpTokens: "required", httpPutResponseHopLimit: 1 });
            assert.deepEqual(i.inputs.rootBlockDevice, { volumeType: "gp3", volumeSize: 16, encrypted: true, deleteOnTermination: true });
            assert.equal(i.inputs.iamInstanceProfile, `${P}-${server}`);
            assert.equal(findResource(run.resources, AWS_TYPES.instanceProfile, `${P}-${server}`).inputs.role, `${P}-${server}`);
            // Session Manager through an inline policy of its own, no managed policy (awsIam.test.ts).
            assert.deepEqual(
                byType(run.resources, AWS_TYPES.rolePolicy)
                    .filter((a) => a.inputs.role === `${P}-${server}-id`)
                    .map((a) => a.name)
                    .sort(),
                // Each may also read its bundle's object: a web server the app bundle's, the load balancer
                // (server-3, with Prometheus) the monitoring bundle's, its alert rules (awsIam.test.ts,
                // awsArtifacts.test.ts). The web servers and the Galera cluster's bootstrap node (server-3)
                // write their readiness parameter (awsIam.test.ts, awsLifecycle.test.ts); each Galera node
                // may move the write address's route (awsGalera.test.ts).
                [
                    `${P}-${server}-artifact`,
                    `${P}-${server}-parameters`,
                    `${P}-${server}-readiness`,
                    `${P}-${server}-session-manager`,
                    `${P}-${server}-write-route`,
                ],
            );
            assert.equal(i.inputs.userDataReplaceOnChange, true);
            assert.deepEqual(i.inputs.tags, {
                Name: `${P}-${server}`,
                "foobar:server": server,
                "foobar:role": role,
                "foobar:stack": P,
                "managed-by": "pulumi",
            });
        });
    }

    it("gives the load balancer (server-3) the elastic IP, and the site certificate names it", () => {
        const eips = byType(run.resources, AWS_TYPES.eip);
        assert.deepEqual(
            eips.map((e) => [e.name, e.inputs.domain, e.inputs.instance]),
            [[`${P}-lb`, "vpc", undefined]],
        );
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.eipAssociation).map((a) => [a.name, a.inputs.allocationId, a.inputs.instanceId]),
            [[`${P}-lb`, `eipalloc-${P}-lb`, `${P}-server-3-id`]],
        );
        // https://<elastic ip>/ verifies against the CA before DNS points the domain at it.
        const csr = findResource(run.resources, TYPES.certRequest, `${P}-site-csr`);
        assert.deepEqual(csr.inputs.dnsNames, ["www.foobar.com", "localhost"]);
        assert.deepEqual(csr.inputs.ipAddresses, ["127.0.0.1", "203.0.113.10"]);
    });

    it("allows exactly the flows' rules, by source group; the internet reaches only HAProxy's 80 and 443; no SSH", () => {
        assert.deepEqual(sgRules(run, P), [...RULES].sort());
        assert.deepEqual(
            byType(run.resources, AWS_TYPES.securityGroup).map((g) => [g.name, g.inputs.vpcId]),
            ["host", "lb", "web", "db"].map((g) => [`${P}-${g}`, `${P}-vpc-id`]),
        );
        const open = sgRules(run, P).filter((r) => r.startsWith("ingress") && r.endsWith(" 0.0.0.0/0"));
        assert.deepEqual(open, ["ingress lb 443 0.0.0.0/0", "ingress lb 80 0.0.0.0/0"]);
        assert.deepEqual(
            sgRules(run, P).filter((r) => r.split(" ")[2] === "22"),
            [],
        );
        const dsg = findResource(run.resources, AWS_TYPES.defaultSecurityGroup, `${P}-default-sg`);
        assert.deepEqual(Object.keys(dsg.inputs).sort(), ["tags", "vpcId"], "no ingress, no egress: the default group allows nothing");
    });

    it("keeps the secrets in SecureString parameters /foobar/staging/<key>, as secrets", () => {
        const { passwords, keys } = generatedSecrets(run);
        const values: Record<string, string> = {
            "db-app-password": passwords[`${P}-db-app-password`],
            "db-monitor-password": passwords[`${P}-db-monitor-password`],
            "prometheus-password": passwords[`${P}-prometheus-password`],
            "prometheus-password-hash": findResource(run.resources, TYPES.password, `${P}-prometheus-password`).state.bcryptHash,
            "tls-private-key": findResource(run.resources, "tls:index/privateKey:PrivateKey", `${P}-site-key`).state.privateKeyPem,
            ...Object.fromEntries(
                ["server-1-mariadb-replica", "server-2-mariadb-replica", "server-3-mariadb-primary"].map((db) => [
                    `db-tls-key-${db}`,
                    findResource(run.resources, "tls:index/privateKey:PrivateKey", `${P}-${db}-tls-key`).state.privateKeyPem,
                ]),
            ),
        };
        assert.ok(keys.includes(values["tls-private-key"]));
        // The secrets; besides them, only the readiness parameters (plain String, no secret: awsLifecycle.test.ts) of
        // the Galera cluster's bootstrap node, registered first (awsReadiness.test.ts), and of the web servers.
        const params = byType(run.resources, AWS_TYPES.parameter);
        assert.deepEqual(
            params
                .filter((p) => p.inputs.type === "SecureString")
                .map((p) => p.name)
                .sort(),
            KEYS.map((k) => `${P}-${k}`),
        );
        assert.deepEqual(
            params.filter((p) => p.inputs.type !== "SecureString").map((p) => [p.name, p.inputs.type, p.inputs.name]),
            [3, 1, 2].map((n) => [`${P}-ready-server-${n}`, "String", `/foobar/staging/ready/server-${n}`]),
        );
        for (const key of KEYS) {
            const p = findResource(run.resources, AWS_TYPES.parameter, `${P}-${key}`);
            assert.deepEqual([p.inputs.name, p.inputs.type], [`/foobar/staging/${key}`, "SecureString"]);
            assert.equal(p.inputs.value, values[key]);
            assert.deepEqual(p.secretPaths, ["value"]);
        }
    });

    it("lets each instance role read exactly the parameters its own secrets manifest lists", () => {
        for (const [server] of INSTANCES) {
            const manifest = manifestOf(userData(instance(run, P, server)).config);
            assert.deepEqual(manifest.region, "eu-west-1");
            assert.deepEqual(manifest.parameters, Object.fromEntries(SECRETS_OF[server].map((k) => [k, `/foobar/staging/${k}`])));
            assert.deepEqual(
                policyResources(run, P, server),
                SECRETS_OF[server].map((k) => parameterArn(run, P, k)),
                server,
            );
        }
        assert.deepEqual(
            parameterArn(run, P, "tls-private-key"),
            "arn:aws:ssm:eu-west-1:123456789012:parameter/foobar/staging/tls-private-key",
        );
    });

    it("puts no generated password or key in user data, only placeholders; user data fits EC2's limit", () => {
        const { passwords, keys } = generatedSecrets(run);
        const secretLines = [
            ...Object.values(passwords),
            ...keys.flatMap((k) => k.split("\n").filter((l) => l !== "" && !l.startsWith("-----"))),
        ];
        // Three passwords (app, monitor, Prometheus's operator), the site's two keys and the database's four.
        assert.equal(secretLines.length, 9);
        for (const i of instances(run)) {
            const { text, gzipBytes, config } = userData(i);
            for (const s of secretLines) assert.ok(!text.includes(s), `${i.name}'s user data holds a secret`);
            assert.ok(gzipBytes <= 16384, `${i.name}: ${gzipBytes} bytes`);
            assert.ok(text.startsWith("#cloud-config\n"));
            assert.ok(
                config.write_files.every((f) => f.defer === true && f.owner === "root:root"),
                i.name,
            );
            const server = i.name.slice(P.length + 1);
            const used = [...new Set([...text.matchAll(/@@FOOBAR_SECRET:([a-z0-9-]+)@@/g)].map((m) => m[1]))].sort();
            assert.deepEqual(used, SECRETS_OF[server], i.name);
        }
    });

    it("puts generated passwords and keys in no non-secret input", () => {
        const { passwords, keys } = generatedSecrets(run);
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

    it("exports the outputs: private addresses, the elastic IP, parameter names and never a value", async () => {
        const o = await unwrap(run.outputs);
        assert.equal(o.url, "https://www.foobar.com/");
        assert.equal(o.loadBalancerAddress, `${LB_IP}:443`);
        // Writes go to the write address, wherever keepalived put it.
        assert.equal(o.databaseWriterEndpoint, `${WRITE_IP}:3306`);
        assert.deepEqual(o.databaseReaderEndpoints, ["10.20.0.11:3306", "10.20.1.12:3306"]);
        assert.deepEqual(o.ssmParameterNames, [
            "/foobar/staging/db-app-password",
            "/foobar/staging/tls-private-key",
            "/foobar/staging/db-monitor-password",
            "/foobar/staging/prometheus-password",
            "/foobar/staging/prometheus-password-hash",
            "/foobar/staging/db-tls-key-server-3-mariadb-primary",
            "/foobar/staging/db-tls-key-server-1-mariadb-replica",
            "/foobar/staging/db-tls-key-server-2-mariadb-replica",
        ]);
        const svc = (service: string, kind: string, ip: string, publicIp?: string) => ({
            service,
            kind,
            addresses: publicIp === undefined ? { private: ip } : { private: ip, public: publicIp },
        });
        // Monitoring's exporters besides the mysqld exporters: an nginx exporter beside each nginx, a blackbox
        // exporter beside Prometheus, a node exporter on every server.
        const web = (n: number, ip: string) => ({
            name: `server-${n}`,
            role: "web",
            services: [
                svc(`server-${n}-nginx`, "nginx", ip),
                svc(`server-${n}-app`, "app", ip),
                svc(`server-${n}-mariadb-replica`, "mariadb-replica", ip),
                svc(`server-${n}-mysqld-exporter`, "mysqld-exporter", ip),
                svc(`server-${n}-nginx-exporter`, "nginx-exporter", ip),
                svc(`server-${n}-node-exporter`, "node-exporter", ip),
            ],
        });
        assert.deepEqual(o.servers, [
            web(1, "10.20.0.11"),
            web(2, "10.20.1.12"),
            {
                name: "server-3",
                role: "lb-db",
                services: [
                    svc("server-3-haproxy", "haproxy", "10.20.0.10", LB_IP),
                    svc("server-3-mariadb-primary", "mariadb-primary", "10.20.0.10", LB_IP),
                    svc("server-3-prometheus", "prometheus", "10.20.0.10", LB_IP),
                    svc("server-3-alertmanager", "alertmanager", "10.20.0.10", LB_IP),
                    svc("server-3-blackbox-exporter", "blackbox-exporter", "10.20.0.10", LB_IP),
                    svc("server-3-mysqld-exporter", "mysqld-exporter", "10.20.0.10", LB_IP),
                    svc("server-3-node-exporter", "node-exporter", "10.20.0.10", LB_IP),
                ],
            },
        ]);
        // The site's certificate as HAProxy serves it (public): what the blackbox probe trusts; its CA's apart.
        assert.equal(o.certificatePem, sitePem("staging"));
        assert.equal(o.caCertificatePem, "-----BEGIN CERTIFICATE-----\nFAKE-foobar-staging-ca\n-----END CERTIFICATE-----\n");
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
