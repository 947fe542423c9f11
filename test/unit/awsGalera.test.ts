// database.failover automatic on EC2 (self-managed), as the staging stack file sets it: the Galera
// nodes' write address is an overlay address routed by the stack's route table (writeAddress.ts,
// writeRoutes.ts). Under mocks: the route and what it ignores, source/destination checks, the nodes'
// IAM, the exact firewall rules of the cluster, the user data of a node, the certificates; and that
// prod (RDS) has none of it.
import assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { StackRun, TYPES, byType, findResource, loadStackConfig, unwrap } from "../helpers/pulumiMocks";
import { AWS_TYPES, instance, runStack, sgRules, uncommented, userData, writtenFile } from "./awsHelpers";
import { Outputs } from "./stackHelpers";
import { errorOf, one } from "./configErrors";

const P = "foobar-staging";
const ROUTE = AWS_TYPES.route;
const OVERLAY = "100.127.255.254";
const NODES = ["server-1", "server-2", "server-3"];
const ROOT = path.join(__dirname, "..", "..");
const read = (file: string) => fs.readFileSync(path.join(ROOT, file), "utf8");

/** The staging stack file: database { mode: self-managed, failover: automatic }. */
const automatic = () => runStack("staging");
const policyOf = (run: StackRun<Outputs>, name: string) =>
    JSON.parse(findResource(run.resources, AWS_TYPES.rolePolicy, name).inputs.policy as string) as unknown;

describe("aws: automatic database failover (Galera, an overlay write address)", function () {
    this.timeout(60_000);

    it("routes the overlay address in the one route table of the servers, to server-3's interface, ignoring the target", async () => {
        const run = await automatic();
        const routes = byType(run.resources, ROUTE);
        assert.deepEqual(
            routes.map((r) => [r.name, r.inputs, r.options.ignoreChanges]),
            [
                [
                    `${P}-write-address-public`,
                    { destinationCidrBlock: `${OVERLAY}/32`, routeTableId: `${P}-public-id` },
                    ["networkInterfaceId"],
                ],
            ],
        );
        // Its target, server-3's primary interface, is an output the mocks leave unset (writeRoutes.ts).
        // The table's own inline routes never claim the overlay route.
        assert.deepEqual(findResource(run.resources, AWS_TYPES.routeTable, `${P}-public`).options.ignoreChanges, ["routes"]);
    });

    it("turns source/destination checks off on the database nodes only", async () => {
        const run = await automatic();
        const checks = byType(run.resources, AWS_TYPES.instance)
            .map((i) => [i.name, i.inputs.sourceDestCheck])
            .sort();
        assert.deepEqual(checks, [
            [`${P}-server-1`, false],
            [`${P}-server-2`, false],
            [`${P}-server-3`, false],
            [`${P}-server-4`, undefined],
        ]);
    });

    it("lets each node's role describe route tables and replace routes in the stack's table only", async () => {
        const run = await automatic();
        for (const server of NODES) {
            assert.deepEqual(policyOf(run, `${P}-${server}-write-route`), {
                Version: "2012-10-17",
                Statement: [
                    { Effect: "Allow", Action: ["ec2:DescribeRouteTables"], Resource: "*" },
                    { Effect: "Allow", Action: ["ec2:ReplaceRoute"], Resource: [`arn:aws:ec2:eu-west-1:*:route-table/${P}-public-id`] },
                ],
            });
        }
        assert.equal(byType(run.resources, AWS_TYPES.rolePolicy).filter((p) => p.name.endsWith("-write-route")).length, NODES.length);
    });

    it("opens Galera's ports and VRRP between the database nodes only, and the app's writes to the overlay", async () => {
        const run = await automatic();
        const galera = sgRules(run, P).filter((r) => / (4567|4568|4444|vrrp) /.test(r) || r.includes(OVERLAY));
        assert.deepEqual(galera, [
            "egress db 4444 sg:db",
            "egress db 4567 sg:db",
            "egress db 4568 sg:db",
            "egress db vrrp sg:db",
            `egress web 3306 ${OVERLAY}/32`,
            "ingress db 4444 sg:db",
            "ingress db 4567 sg:db",
            "ingress db 4568 sg:db",
            "ingress db vrrp sg:db",
        ]);
        const vrrp = findResource(run.resources, AWS_TYPES.ingress, `${P}-db-ingress-vrrp-db`);
        assert.deepEqual([vrrp.inputs.ipProtocol, vrrp.inputs.fromPort, vrrp.inputs.toPort], ["112", undefined, undefined]);
        // The app reaches every node on 3306 (reads on its own, writes wherever the address is).
        assert.ok(sgRules(run, P).includes("ingress db 3306 sg:web"));
    });

    it("boots each node with Galera, keepalived, the image's scripts, the route hook and its units, in order", async () => {
        const run = await automatic();
        for (const server of NODES) {
            const { config } = userData(instance(run, P, server));
            for (const pkg of ["galera-4", "mariadb-backup", "keepalived", "socat", "resource-agents", "awscli", "curl"]) {
                assert.ok(config.packages.includes(pkg), `${server} installs ${pkg}`);
            }
            // The scripts as in the repository (the docker image's own check and notify scripts), without
            // their comment lines: user data is limited to 16 KiB (awsArtifacts.test.ts, the headroom).
            for (const [file, source] of [
                ["/usr/local/bin/foobar-galera-check", "images/mariadb/galera/check.sh"],
                ["/usr/local/bin/foobar-galera-role", "images/mariadb/galera/role.sh"],
                ["/usr/local/sbin/foobar-galera-start", "components/vm/files/foobar-galera-start.sh"],
                ["/etc/foobar/galera-role.d/50-aws-write-route", "components/platforms/aws/files/foobar-aws-write-route.sh"],
                ["/usr/local/sbin/foobar-aws", "components/platforms/aws/files/foobar-aws.sh"],
            ]) {
                const shipped = writtenFile(config, file);
                assert.equal(shipped, uncommented(read(source)), file);
                assert.ok(shipped.startsWith("#!/bin/") && shipped.length < read(source).length, file);
            }
            for (const exe of ["/usr/local/bin/foobar-galera-check", "/etc/foobar/galera-role.d/50-aws-write-route"]) {
                assert.equal(config.write_files.find((f) => f.path === exe)?.permissions, "0755", exe);
            }
            const own = instance(run, P, server).inputs.privateIp as string;
            assert.equal(
                writtenFile(config, "/etc/foobar/aws-write-route.env"),
                [
                    "# Rendered by foobar-infra (components/platforms/aws/writeAddress.ts).",
                    `FOOBAR_WRITE_IP="${OVERLAY}"`,
                    `FOOBAR_ROUTE_TABLES="${P}-public-id"`,
                    'FOOBAR_REGION="eu-west-1"',
                    `FOOBAR_OWN_ADDRESS="${own}"`,
                    "",
                ].join("\n"),
            );
            assert.equal(writtenFile(config, "/etc/foobar/aws-write-route.cfg"), "[default]\nregion = eu-west-1\n");
            const env = writtenFile(config, "/etc/foobar/galera.env");
            assert.match(env, new RegExp(`^FOOBAR_GALERA_BOOTSTRAP="${server === "server-3" ? 1 : 0}"$`, "m"));
            assert.match(env, new RegExp(`^KEEPALIVED_UNICAST_SOURCE="${own}"$`, "m"));
            assert.match(
                writtenFile(config, "/etc/keepalived/keepalived.conf"),
                new RegExp(`^ {8}${OVERLAY}/32 dev \\$DATA_INTERFACE$`, "m"),
            );
            assert.match(writtenFile(config, "/etc/mysql/mariadb.conf.d/90-foobar.cnf"), /^wsrep_on = ON$/m);
            // The app beside the writer reaches the overlay as a local address: its connections come from it.
            const sql = writtenFile(config, "/etc/mysql/foobar/bootstrap.sql");
            for (const grant of [
                `GRANT SELECT, INSERT ON foobar.visits TO 'app'@'${OVERLAY}';`,
                `GRANT SELECT, INSERT, UPDATE ON foobar.visit_totals TO 'app'@'${OVERLAY}';`,
            ]) {
                assert.ok(sql.split("\n").includes(grant), `${server}: ${grant}`);
            }
            assert.match(sql, new RegExp(`^CREATE USER IF NOT EXISTS 'app'@'${OVERLAY}' IDENTIFIED BY .* REQUIRE SSL;$`, "m"));
            assert.match(
                writtenFile(config, "/etc/systemd/system/keepalived.service.d/foobar-galera.conf"),
                /^After=mariadb.service foobar-galera.service$/m,
            );
            assert.match(
                writtenFile(config, "/etc/systemd/system/foobar-galera.service"),
                /^ExecStart=\/usr\/local\/sbin\/foobar-galera-start$/m,
            );
            // The data volume first, then the node (the decision, MariaDB, the SQL once synced), then keepalived.
            const cmds = config.runcmd.map((c) => c.join(" "));
            const at = (c: string) => cmds.findIndex((x) => x.startsWith(c));
            const order = [
                "/usr/local/sbin/foobar-data-volume",
                "systemctl disable mariadb",
                "systemctl enable --now foobar-galera",
                "systemctl enable keepalived",
                "systemctl restart keepalived",
            ];
            assert.deepEqual(
                order.map(at),
                [...order.map(at)].sort((a, b) => a - b),
                cmds.join("\n"),
            );
            assert.ok(
                order.every((c) => at(c) >= 0),
                cmds.join("\n"),
            );
            assert.ok(!cmds.includes("systemctl restart mariadb"), `${server}: Debian's unit never starts a node alone`);
        }
        // The load balancer without a database has none of it.
        const lb = userData(instance(run, P, "server-4")).config;
        assert.ok(!lb.packages.includes("galera-4") && !lb.write_files.some((f) => f.path.includes("galera")));
    });

    it("names the overlay address in each node's certificate, beside its private address", async () => {
        const run = await automatic();
        const csrs = byType(run.resources, TYPES.certRequest).filter((c) => c.name.includes("mariadb"));
        assert.deepEqual(
            csrs.map((c) => [c.name, c.inputs.ipAddresses]).sort(),
            [
                [`${P}-server-3-mariadb-primary-tls-csr`, ["10.20.0.10", OVERLAY]],
                [`${P}-server-1-mariadb-replica-tls-csr`, ["10.20.0.11", OVERLAY]],
                [`${P}-server-2-mariadb-replica-tls-csr`, ["10.20.1.12", OVERLAY]],
            ].sort(),
        );
        assert.equal(await unwrap(run.outputs.databaseWriterEndpoint), `${OVERLAY}:3306`);
    });

    it("refuses automatic failover in an existing VPC, whose route tables are not the stack's", () => {
        const foobar = Object.fromEntries(
            Object.entries(loadStackConfig("staging"))
                .filter(([k]) => k.startsWith("foobar:"))
                .map(([k, v]) => [k.slice("foobar:".length), v]),
        );
        const subnet = (id: string, cidr: string, zone: string) => ({ id, cidr, availabilityZone: zone });
        const existingVpc = {
            vpcId: "vpc-0123456789abcdef0",
            publicSubnets: [
                subnet("subnet-0aaaaaaaa", "10.20.0.0/24", "eu-west-1a"),
                subnet("subnet-0bbbbbbbb", "10.20.1.0/24", "eu-west-1b"),
            ],
        };
        const err = errorOf({
            ...foobar,
            database: { mode: "self-managed", failover: "automatic" },
            aws: { ...(foobar.aws as object), existingVpc },
        });
        assert.equal(
            err.message,
            one(
                `  - foobar:aws.existingVpc: got "vpc-0123456789abcdef0"; cannot be used with database.failover automatic: the write address (${OVERLAY}) is routed by the route tables of the VPC the stack creates; remove aws.existingVpc, or set database.failover manual.`,
            ),
        );
    });

    it("leaves prod (RDS) without any of it", async () => {
        const run = await runStack("prod");
        assert.deepEqual(byType(run.resources, ROUTE), []);
        assert.ok(!byType(run.resources, AWS_TYPES.rolePolicy).some((p) => p.name.endsWith("-write-route")));
        assert.ok(byType(run.resources, AWS_TYPES.instance).every((i) => i.inputs.sourceDestCheck === undefined));
        assert.ok(!sgRules(run, "foobar-prod").some((r) => / (4567|vrrp) /.test(r)));
        assert.ok(byType(run.resources, AWS_TYPES.routeTable).every((t) => t.options.ignoreChanges.length === 0));
    });
});
