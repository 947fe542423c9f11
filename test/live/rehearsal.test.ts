// The boot rehearsal: the staging stack's EC2 user data, run the way EC2 would run it (Debian's
// cloud-init, NoCloud seed) in systemd containers standing in for its four instances (two web
// servers; a pair of load balancers, lb.count 2), at the private addresses the plan gives them, on a
// docker network standing in for the VPC. The SSM reads, and the web servers' fetch of the app
// bundle from S3, go to a local stand-in through the boot helper's documented seam. The stack runs
// with database.failover automatic: server-3 and the web servers form a Galera cluster, and the
// write address's role hook (aws-vpc-move-ip) asks the instance metadata service (a stand-in inside
// each instance, imdsStandin.ts) and EC2's API (ec2Standin.ts, through the same seam:
// /etc/foobar/ec2-endpoint); the VPC's routing of that address follows the stand-in's route table
// (rehearsalGalera.ts). No Network Load
// Balancer can run here: the site is probed through server-3 (and the pair's checks through each
// load balancer) as the NLB would pass connections on, behind a PROXY protocol v2 header
// (rehearsalNlb.ts); what the NLB itself decides (its health checks' verdicts, its Elastic IPs, its
// nodes in two zones) is the unit tests' (awsLoadBalancerPair.test.ts).
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import * as path from "path";
import * as tls from "tls";
import { gunzipSync } from "zlib";
import { Cidr, intToIpv4, parseCidr } from "../../components/config/net";
import { RecordedResource, loadStackConfig } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack } from "./capture";
import { docker, sleep } from "./docker";
import { SSM } from "@aws-sdk/client-ssm";
import { waitForReadiness } from "../../components/platforms/aws/readiness";
import {
    FAKE_ACCESS_KEY_ID,
    Instance,
    STANDIN_IMAGE,
    StandinVpc,
    bootInstance,
    buildStandinImage,
    createVpc,
    removeVpcLeftovers,
    waitForCloudInit,
    waitForCloudInitAll,
} from "./instances";
import {
    Site,
    execIn,
    getHttp,
    getHttps,
    replicationState,
    requestLoop,
    servedCertificate,
    visitLag,
    waitOnlyFrom,
    waitReadingFromReplica,
    waitServing,
} from "./probes";
import { waitFor } from "./poll";
import { alertsButUnsyncedClock, valuesByHost, waitTargetsUp, withLogin } from "./prometheusProbe";
import { ProxyRelay } from "./rehearsalNlb";
import { HEALTH_PATH, HEALTH_PORT, PairMember, checkHealthy, checkServesThroughProxy, checkSoftStop, siteThrough } from "./rehearsalPair";
import { NLB_STOP_GRACE_MS } from "../../components/platforms/aws/view";
import { SsmStandin, startSsmStandin } from "./ssmStandin";
import { bundleObjects, checkBundle } from "./rehearsalArtifact";
import { visitsPresent } from "./rehearsalReplace";
import { StandinVolume, createStandinVolumes, removeStandinVolumes, volumeState } from "./rehearsalVolumes";
import { Ec2Standin, startEc2Standin } from "./ec2Standin";
import { interfaceIdOf } from "./imdsStandin";
import { Node, checksums, clusterSize, holdsWriteAddress, readOnly, waitWriter } from "./galeraProbes";
import { VpcRouter, WRITE_IP, bootstrapServer, registeredRouteTables, waitCluster } from "./rehearsalGalera";

const ROOT = path.join(__dirname, "..", "..");
const NETWORK = "foobar-rehearsal-vpc";
const LABEL = { key: "foobar.stack", value: "foobar-rehearsal" };
const INSTANCE = "aws:ec2/instance:Instance";
const PARAMETER = "aws:ssm/parameter:Parameter";
/** The stand-in data volumes' files: /tmp/foobar-rehearsal-<server>.img. */
const VOLUMES = "foobar-rehearsal";
/** The volume's mount point and MariaDB's datadir on it (components/vm/dataVolume.ts). */
const MOUNT = "/srv/foobar-db";
const FIRST_USE = /no filesystem on \S+: formatting it \(first use\)/;

const serverOf = (r: RecordedResource) => r.inputs.tags["foobar:server"] as string;

describe("live: boot rehearsal of the staging stack's EC2 user data", function () {
    let captured: CapturedStack;
    let ssm: SsmStandin | undefined;
    const instances = new Map<string, Instance>();
    let site: Site;
    let vpc: StandinVpc | undefined;
    /** The NLB stand-in's relays for the site (to server-3's HAProxy). */
    let relays: ProxyRelay[] = [];
    let volumes: StandinVolume[] = [];
    /** Boots a server's instance from its user data, with its data volume if it has one. */
    let ec2: Ec2Standin | undefined;
    let router: VpcRouter;
    /** Each server's instance id and network interface id now (IMDS reports them; a replacement has new ones). */
    const identity = new Map<string, { instanceId: string; interfaceId: string }>();
    /** Boots a server's instance from its user data, with its data volume if it has one, and routes the write address in it. */
    const boot = async (r: RecordedResource, instanceId = `i-foobar-rehearsal-${serverOf(r)}`) => {
        const server = serverOf(r);
        const subnet = captured.resources.find((s) => s.type === "aws:ec2/subnet:Subnet" && `${s.name}-id` === r.inputs.subnetId);
        const instance = await bootInstance({
            name: `foobar-rehearsal-${server}`,
            image: STANDIN_IMAGE,
            network: NETWORK,
            ipv4Address: r.inputs.privateIp,
            userData: Buffer.from(r.inputs.userDataBase64, "base64"),
            ssmEndpoint: ssm?.url,
            s3Endpoint: ssm?.url,
            ec2Endpoint: ec2?.url,
            metadataService: {
                instanceId,
                interfaceId: interfaceIdOf(instanceId),
                privateIp: r.inputs.privateIp,
                availabilityZone: subnet?.inputs.availabilityZone ?? "eu-west-1a",
                region: "eu-west-1",
            },
            // keepalived adds the write address; aws-vpc-move-ip runs `ip` (metadataService grants NET_ADMIN too).
            capAdd: ["NET_ADMIN"],
            labels: { [LABEL.key]: LABEL.value, "foobar.server": server },
            volumes: volumes.filter((v) => v.server === server).map((v) => ({ hostDevice: v.loopDevice, path: v.path })),
            metaData: { "instance-id": instanceId },
        });
        identity.set(server, { instanceId, interfaceId: interfaceIdOf(instanceId) });
        router.set(server, {
            instance,
            privateIp: r.inputs.privateIp,
            subnetId: r.inputs.subnetId,
            interfaceId: interfaceIdOf(instanceId),
        });
        await router.apply(server);
        return instance;
    };

    before(async function () {
        this.timeout(40 * 60_000);
        // The staging stack with automatic failover (a Galera cluster of server-3 and the web servers), whatever its file says.
        const database = loadStackConfig("staging")["foobar:database"] as Record<string, unknown>;
        captured = await captureStack("staging", { "foobar:database": { ...database, failover: "automatic" } }, "staging");
        // The VPC stand-in: one network over the VPC's range, with a route out for Debian's archive.
        const vpcCidr = captured.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")?.inputs.cidrBlock as string;
        const range = parseCidr(vpcCidr) as Cidr;
        // The host's side of the network: the range's last usable address, clear of any instance.
        vpc = { name: NETWORK, subnet: vpcCidr, gateway: intToIpv4(range.base + 2 ** (32 - range.prefix) - 2), label: LABEL };
        await removeVpcLeftovers(vpc);
        await removeStandinVolumes(VOLUMES);
        await buildStandinImage(ROOT);
        await createVpc(vpc);
        // An empty volume per database, as Pulumi creates them (storage.ts).
        volumes = await createStandinVolumes(captured.resources, VOLUMES);
        const parameters = (type: string) =>
            Object.fromEntries(
                captured.resources
                    .filter((r) => r.type === PARAMETER && r.inputs.type === type)
                    .map((r) => [r.inputs.name, r.inputs.value]),
            );
        ssm = await startSsmStandin({
            host: vpc.gateway,
            port: 0,
            parameters: parameters("SecureString"),
            plainParameters: parameters("String"),
            objects: bundleObjects(captured.resources),
        });
        // EC2's API for the write address's role hook, and the VPC's routing of that address.
        const servers = captured.resources.filter((x) => x.type === INSTANCE);
        const first = interfaceIdOf(`i-foobar-rehearsal-${bootstrapServer(servers)}`);
        const vpcId = captured.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")?.name;
        ec2 = await startEc2Standin({
            host: vpc.gateway,
            port: 0,
            vpcId: `${vpcId}-id`,
            routeTables: registeredRouteTables(captured.resources, first),
            onRouteReplaced: () =>
                void router.apply().catch((e: unknown) => console.error(`      routing the write address: ${String(e)}`)),
        });
        router = new VpcRouter(captured.resources, ec2.routeTables);
        const started = Date.now();
        // As the engine creates them (each other node waits for the bootstrap node's readiness gate,
        // aws/index.ts): the Galera cluster's bootstrap node first, until its boot is done; then the
        // others together. Booted all at once, another node's MariaDB could answer the bootstrap node's
        // peer check (a cluster seems to run) before any cluster exists, and no node would start one.
        const bootstrap = bootstrapServer(servers);
        instances.set(bootstrap, await boot(servers.find((r) => serverOf(r) === bootstrap) as RecordedResource));
        await waitForCloudInitAll([...instances.values()], 30 * 60_000);
        for (const r of servers.filter((x) => serverOf(x) !== bootstrap)) instances.set(serverOf(r), await boot(r));
        await waitForCloudInitAll([...instances.values()], 30 * 60_000);
        console.log(`      ${instances.size} instances booted their user data in ${Math.round((Date.now() - started) / 1000)} s`);
        // Through server-3's HAProxy, as the NLB passes a connection on: the relays listen on the host's side of the VPC.
        ({ site, relays } = await siteThrough(vpc.gateway, member("server-3"), siteBase()));
        await waitServing(site, ["server-1", "server-2"], 180_000);
        const servedAt = Date.now();
        const cluster = await waitCluster(galeraNodes(), 3, 120_000);
        const reading = await waitReadingFromReplica(site, ["server-1", "server-2"], 30_000);
        console.log(
            `      a Galera cluster of 3 (writer ${cluster.writer}) ${Date.now() - servedAt - reading} ms after the site served; both apps reading from their own node ${reading} ms later`,
        );
    });

    after(async function () {
        this.timeout(5 * 60_000);
        for (const r of relays) await r.close();
        for (const i of instances.values()) await i.remove();
        await ssm?.close();
        await ec2?.close();
        if (vpc) await removeVpcLeftovers(vpc);
        await removeStandinVolumes(VOLUMES);
    });

    const replicaNames = () => ["server-1", "server-2"].map((s) => (instances.get(s) as Instance).name);
    /** The Galera cluster's nodes: the web servers' and server-3's databases. */
    const galeraNodes = (): Node[] =>
        ["server-1", "server-2", "server-3"].map((server) => ({
            server,
            container: (instances.get(server) as Instance).name,
            address: privateIpOf(server),
        }));
    const nodeNames = () => galeraNodes().map((n) => n.container);
    const siteBase = () => ({ domain: "www.foobar.com", ca: captured.outputs.caCertificatePem });
    const privateIpOf = (server: string) =>
        (captured.resources.find((r) => r.type === INSTANCE && serverOf(r) === server) as RecordedResource).inputs.privateIp as string;
    const member = (server: string): PairMember => ({
        server,
        instance: instances.get(server) as Instance,
        privateIp: privateIpOf(server),
    });
    const pair = () => ["server-3", "server-4"].map(member);
    const replicaStates = async () => (await Promise.all(replicaNames().map(replicationState))).map((s) => s.summary).join("\n");

    it("read each instance's secrets from SSM, exactly those its own files need", () => {
        const byInstance = new Map<string, string[]>();
        const reads = (ssm?.requests ?? []).filter((r) => r.operation !== "PutParameter");
        for (const req of reads) byInstance.set(req.sourceAddress, [...(byInstance.get(req.sourceAddress) ?? []), req.name].sort());
        const expected = new Map(
            captured.resources.filter((r) => r.type === INSTANCE).map((r) => [r.inputs.privateIp as string, readsOf(r)]),
        );
        assert.deepEqual(Object.fromEntries(byInstance), Object.fromEntries(expected));
        assert.ok(reads.every((r) => r.operation === "GetParameter" && r.withDecryption));
    });

    it("each web server fetched the app bundle from S3 at boot, only the object its role may read, and runs and serves it", async () => {
        console.log(`      ${await checkBundle(captured.resources, ssm as SsmStandin, instances, site)}`);
    });

    it("formatted each empty database volume at first boot and keeps MariaDB's datadir on it", async () => {
        for (const v of volumes) {
            const name = (instances.get(v.server) as Instance).name;
            assert.equal(await execIn(name, ["findmnt", "-n", "-o", "SOURCE,FSTYPE", MOUNT]), `${v.path} ext4`, v.server);
            // The datadir the rendered config names is the volume's directory, bind-mounted.
            assert.equal(await execIn(name, ["findmnt", "-n", "-o", "SOURCE", "/var/lib/mysql"]), `${v.path}[/mysql]`, v.server);
            const log = await execIn(name, ["cat", "/var/log/cloud-init-output.log"]);
            assert.match(log, FIRST_USE, v.server);
            assert.match(log, /first use: seeding \/srv\/foobar-db\/mysql from \/var\/lib\/mysql/, v.server);
        }
        assert.deepEqual(volumes.map((v) => v.server).sort(), ["server-1", "server-2", "server-3"]);
    });

    it("each web server and each load balancer of the pair wrote its instance id to its own readiness parameter, which the readiness wait reads through the AWS SDK", async () => {
        const puts = (ssm?.requests ?? []).filter((r) => r.operation === "PutParameter");
        // Every instance of the staging stack is gated: the web servers, and the pair (one at a time behind the NLB).
        const gated = captured.resources.filter((r) => r.type === INSTANCE);
        assert.deepEqual(gated.map(serverOf).sort(), ["server-1", "server-2", "server-3", "server-4"]);
        assert.deepEqual(
            puts.map((p) => [p.sourceAddress, p.name, p.value]).sort(),
            gated.map((r) => [r.inputs.privateIp, `/foobar/staging/ready/${serverOf(r)}`, `i-foobar-rehearsal-${serverOf(r)}`]).sort(),
        );
        const client = new SSM({
            region: "eu-west-1",
            endpoint: ssm?.url,
            credentials: { accessKeyId: FAKE_ACCESS_KEY_ID, secretAccessKey: "x" },
        });
        try {
            for (const r of gated) {
                const wait = {
                    parameterName: `/foobar/staging/ready/${serverOf(r)}`,
                    timeoutMs: 2000,
                    intervalMs: 500,
                    label: serverOf(r),
                };
                const ready = await waitForReadiness(client, { ...wait, instanceId: `i-foobar-rehearsal-${serverOf(r)}` });
                assert.equal(ready.polls, 1);
                // A replacement's new id is not there yet: the wait would hold the next web server back.
                await assert.rejects(waitForReadiness(client, { ...wait, instanceId: "i-0new" }), /holds "i-foobar-rehearsal-server-\d"/);
            }
        } finally {
            client.destroy();
        }
        // At shutdown the app stops (drains) before nginx: it is ordered after it.
        const app = await execIn((instances.get("server-1") as Instance).name, [
            "systemctl",
            "show",
            "-p",
            "After",
            "--value",
            "foobar-app",
        ]);
        assert.ok(app.split(" ").includes("nginx.service"), app);
    });

    it("forms one Galera cluster from the staging user data: three members on each node, one writer holding the write address, whose route the program pointed at it; IMDS and the EC2 stand-in answered the role hook through the seam", async () => {
        const cluster = await waitCluster(galeraNodes(), 3, 30_000);
        assert.deepEqual(cluster.sizes, { "server-1": 3, "server-2": 3, "server-3": 3 });
        // The bootstrap node is the first writer (highest priority, no preemption), and the route is still where the program put it.
        assert.equal(cluster.writer, "server-3");
        const route = (ec2 as Ec2Standin).routeTables
            .get("foobar-staging-public-id")
            ?.find((r) => r.destinationCidrBlock === `${WRITE_IP}/32`);
        assert.equal(route?.networkInterfaceId, identity.get("server-3")?.interfaceId);
        // The writer's hook asked EC2 (through the seam, signed with the stand-in credentials) where the route points.
        const calls = (ec2 as Ec2Standin).requests;
        assert.ok(calls.length > 0, "the role hook reached the EC2 stand-in");
        assert.ok(
            calls.every((c) => c.accessKeyId === FAKE_ACCESS_KEY_ID && c.status === 200),
            JSON.stringify(calls),
        );
        assert.ok(
            calls.some((c) => c.action === "DescribeRouteTables" && c.sourceAddress === privateIpOf("server-3")),
            JSON.stringify(calls),
        );
        // IMDS answered the agent: a token, the instance id, the interface id behind eth0's MAC.
        const imds = await execIn((instances.get("server-3") as Instance).name, [
            "journalctl",
            "-u",
            "foobar-imds-standin",
            "--no-pager",
            "-o",
            "cat",
        ]);
        assert.match(imds, /"PUT \/latest\/api\/token HTTP\/1\.1" 200/);
        const mac = await execIn((instances.get("server-3") as Instance).name, ["cat", "/sys/class/net/eth0/address"]);
        assert.match(imds, new RegExp(`"GET /latest/meta-data/network/interfaces/macs/${mac}/interface-id HTTP/1\\.1" 200`));
        // The app's writes reach the writer through the route: the site records visits (the HTTPS checks below), and the
        // writer's visits table has them.
        const id = Number((await getHttps(site)).headers["x-visit-id"]);
        await visitLag(nodeNames(), id, 5000);
        console.log(`      EC2 stand-in calls at boot: ${calls.map((c) => `${c.action} from ${c.sourceAddress}`).join(", ")}`);
    });

    it("serves HTTPS through server-3 that verifies against the CA from the outputs (for the domain and the NLB's Elastic IPs), and redirects HTTP", async () => {
        const r = await getHttps(site);
        assert.equal(r.status, 200);
        assert.match(r.body, /<title>www\.foobar\.com<\/title>/);
        const http = await getHttp({ ...site }, "/a?b=1");
        assert.equal(http.status, 301);
        // The probe's Host carries ":80"; the redirect must not.
        assert.equal(http.headers.location, "https://www.foobar.com/a?b=1");
        // The same certificate is valid for each of the NLB's Elastic IPs (checked offline: nothing is sent there).
        const elasticIps = captured.outputs.loadBalancerAddress.split(", ").map((a) => a.split(":")[0]);
        assert.equal(elasticIps.length, 2, captured.outputs.loadBalancerAddress);
        const served = await servedCertificate(site);
        for (const ip of elasticIps) assert.equal(tls.checkServerIdentity(ip, served), undefined, ip);
        assert.ok(tls.checkServerIdentity("198.51.100.7", served) instanceof Error, "not for any address");
    });

    it("balances round-robin over the two web servers, each reading from its replica", async () => {
        const order: string[] = [];
        for (let i = 0; i < 10; i++) {
            const r = await getHttps(site);
            order.push(String(r.headers["x-served-by"]));
            // A refused replica would only show here: the app falls back to the primary quietly.
            if (r.headers["x-read-from"] !== "replica")
                assert.fail(`${String(r.headers["x-served-by"])} read from ${String(r.headers["x-read-from"])}: ${await replicaStates()}`);
        }
        assert.equal(order.filter((o) => o === "server-1").length, 5, order.join(" "));
        assert.equal(order.filter((o) => o === "server-2").length, 5, order.join(" "));
    });

    it("replicates a visit to the replica on every web server within 2 s", async () => {
        const id = Number((await getHttps(site)).headers["x-visit-id"]);
        assert.ok(id > 0);
        const started = Date.now();
        await visitLag(replicaNames(), id, 2000);
        console.log(`      visit ${id} on both replicas after ${Date.now() - started} ms`);
    });

    it("runs Prometheus on each load balancer from Debian's package and unit, each scraping both HAProxies' private stats addresses and every exporter", async () => {
        // On EC2 an SSM port forward ends on the instance; here the stand-in's own address plays it
        // (no security group exists here to keep others off).
        assert.equal(captured.outputs.monitoringUrl, "http://127.0.0.1:9090/");
        const privateIp = privateIpOf;
        for (const lbServer of ["server-3", "server-4"]) {
            const url = withLogin(`http://${privateIp(lbServer)}:9090/`, captured.outputs.monitoringPassword);
            const up = await waitTargetsUp(
                url,
                ["haproxy", "mysqld", "prometheus", "node", "app", "nginx", "blackbox", "alertmanager"],
                90_000,
            );
            const scraped = (job: string) =>
                up
                    .filter((t) => t.job === job)
                    .map((t) => [t.host, t.scrapeUrl])
                    .sort();
            // Each HAProxy's stats on its private address: both Prometheus servers scrape both.
            assert.deepEqual(scraped("haproxy"), [
                ["server-3", `http://${privateIp("server-3")}:8404/metrics`],
                ["server-4", `http://${privateIp("server-4")}:8404/metrics`],
            ]);
            // Every exporter on its private address, the primary's too: server-4's Prometheus scrapes it from another instance.
            assert.deepEqual(scraped("mysqld"), [
                ["server-1", `http://${privateIp("server-1")}:9104/metrics`],
                ["server-2", `http://${privateIp("server-2")}:9104/metrics`],
                ["server-3", `http://${privateIp("server-3")}:9104/metrics`],
            ]);
            const byHost = (promql: string) => valuesByHost(url, promql);
            await waitFor(`every database answering its exporter (${lbServer}'s Prometheus)`, 30_000, async () =>
                Object.keys(await byHost("mysql_up == 1")).length === 3 ? true : undefined,
            );
            // One Galera cluster of three, seen by every exporter.
            assert.deepEqual(await byHost("mysql_global_status_wsrep_cluster_size"), { "server-1": 3, "server-2": 3, "server-3": 3 });
            // A node exporter on every instance, each app's /metrics and each nginx's exporter, on private addresses.
            assert.deepEqual(
                scraped("node").map(([host]) => host),
                ["server-1", "server-2", "server-3", "server-4"],
            );
            assert.deepEqual(scraped("app"), [
                ["server-1", `http://${privateIp("server-1")}:9301/metrics`],
                ["server-2", `http://${privateIp("server-2")}:9301/metrics`],
            ]);
            assert.deepEqual(await byHost('nginx_up{job="nginx"}'), { "server-1": 1, "server-2": 1 });
            // The probe of the public URL asks public DNS, which has no record of the domain here: it
            // fails, and says so (on EC2 it succeeds once the domain's record names the stack).
            assert.deepEqual(await byHost('probe_success{job="blackbox"}'), { [lbServer]: 0 });
            assert.deepEqual(
                (await alertsButUnsyncedClock(url)).filter((a) => a.name !== "FoobarSiteUnreachable"),
                [],
                `no other alert while all is well (${lbServer}'s Prometheus)`,
            );
        }
        // Debian's units, with the flags from the rendered /etc/default files.
        const cmdline = (name: string, unit: string) =>
            execIn(name, ["sh", "-c", `tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value ${unit})/cmdline`]);
        for (const lbServer of ["server-3", "server-4"]) {
            const lb = (instances.get(lbServer) as Instance).name;
            assert.match(await execIn(lb, ["systemctl", "show", "-p", "ActiveState", "prometheus"]), /ActiveState=active/);
            assert.match(await cmdline(lb, "prometheus"), /--storage\.tsdb\.retention\.time=15d/);
        }
        const lb = (instances.get("server-3") as Instance).name;
        assert.match(await cmdline(lb, "prometheus-mysqld-exporter"), new RegExp(`--web\\.listen-address=${privateIp("server-3")}:9104`));
        const web1 = (instances.get("server-1") as Instance).name;
        assert.match(await cmdline(web1, "prometheus-mysqld-exporter"), new RegExp(`--web\\.listen-address=${privateIp("server-1")}:9104`));
        // Its login is readable by the exporter's user alone.
        assert.equal(await execIn(web1, ["stat", "-c", "%U:%G %a", "/etc/foobar/mysqld-exporter.cnf"]), "prometheus:prometheus 400");
    });

    it("boots both load balancers from the staging user data: each serves through PROXY protocol v2 as the NLB passes connections on, logs the client the header names, and refuses a connection without one", async () => {
        const timings: string[] = [];
        for (const [i, m] of pair().entries()) {
            // An internet client's address (TEST-NET-2), as the NLB would pass it on.
            const client = { address: `198.51.100.${23 + i}`, port: 40_000 + i };
            timings.push(`${m.server} ${await checkServesThroughProxy((vpc as StandinVpc).gateway, m, siteBase(), client)} ms`);
        }
        console.log(`      both load balancers serve through PROXY protocol v2: ${timings.join(", ")}`);
    });

    it(`answers the NLB's health check on both load balancers: GET ${HEALTH_PATH} on ${HEALTH_PORT}, after a PROXY v2 header (LOCAL), 200`, async () => {
        await checkHealthy(pair());
    });

    it("stops server-4's HAProxy softly: the NLB's health check gets 503 at once, while it serves through its grace (Connection: close), then nothing; it starts again", async () => {
        const stop = await checkSoftStop((vpc as StandinVpc).gateway, member("server-4"), siteBase(), NLB_STOP_GRACE_MS);
        console.log(
            `      soft stop of server-4's HAProxy: 503 after ${stop.failingAfterMs} ms, ${stop.servedInGrace} requests served in the grace, gone after ${stop.goneAfterMs} ms; back ${stop.backAfterMs} ms after its start`,
        );
        await checkHealthy(pair());
    });

    it("loses no request when the server-1 instance stops, and serves from it again when it starts", async () => {
        const name = (instances.get("server-1") as Instance).name;
        const loop = requestLoop(site);
        await sleep(1500);
        await docker(["stop", name]);
        await waitOnlyFrom(site, ["server-2"], 30_000);
        await docker(["start", name]);
        // A new network namespace: the VPC stand-in routes the write address in it again.
        await router.apply("server-1");
        const started = Date.now();
        await waitServing(site, ["server-1"], 180_000);
        const result = await loop.stop();
        console.log(
            `      instance failover: ${result.ok} ok, ${result.failures.length} failed, server-1 back ${Date.now() - started} ms after start`,
        );
        assert.deepEqual(result.failures, []);
        // A reboot mounts the data volume from fstab before MariaDB starts on it (its drop-in requires it).
        const volume = volumes.find((v) => v.server === "server-1") as StandinVolume;
        assert.equal(await execIn(name, ["findmnt", "-n", "-o", "SOURCE", "/var/lib/mysql"]), `${volume.path}[/mysql]`);
        // It rejoins the cluster by itself (foobar-galera: MariaDB recovers its position, then an incremental transfer).
        const rejoined = await waitCluster(galeraNodes(), 3, 120_000);
        console.log(`      server-1 back in the cluster ${Date.now() - started} ms after its start (writer ${rejoined.writer})`);
        assert.equal(await execIn(name, ["systemctl", "is-active", "mariadb"]), "active");
    });

    it("replaces server-3's instance on the same data volume: its node rejoins the cluster from its data (no new cluster, no crash recovery), every visit is there, the write address moves off it and back never", async function () {
        this.timeout(20 * 60_000);
        const old = instances.get("server-3") as Instance;
        const volume = volumes.find((v) => v.server === "server-3") as StandinVolume;
        const lb = captured.resources.find((r) => r.type === INSTANCE && serverOf(r) === "server-3") as RecordedResource;
        const ids: number[] = [];
        for (let i = 0; i < 40; i++) ids.push(Number((await getHttps(site)).headers["x-visit-id"]));
        await visitLag(nodeNames(), Math.max(...ids), 10_000);
        const before = await waitCluster(galeraNodes(), 3, 30_000);
        const uuid = await execIn(old.name, ["blkid", "-p", "-o", "value", "-s", "UUID", volume.path]);
        const calls = (ec2 as Ec2Standin).requests.length;
        // As the attachment's delete does (stopInstanceBeforeDetaching): a clean stop (keepalived gives the
        // address up first, then MariaDB leaves the cluster), the volume is unmounted; then the instance goes.
        const stopped = Date.now();
        await docker(["stop", "--time", "120", old.name], { timeoutMs: 180_000 });
        const detached = await volumeState(volume);
        await old.remove();
        router.set("server-3", undefined);
        await router.apply();
        // The other two carry on: one of them holds the address, and its hook moved the route to itself.
        const rest = galeraNodes().filter((n) => n.server !== "server-3");
        const during = await waitCluster(rest, 2, 60_000);
        const moved = (ec2 as Ec2Standin).requests.slice(calls).filter((c) => c.action === "ReplaceRoute");
        if (before.writer === "server-3") {
            // The last ReplaceRoute is the new writer's, to its own interface: the route ends where the writer is
            // (a node that was MASTER for a moment during the election may have moved it before).
            const last = moved[moved.length - 1];
            assert.deepEqual(
                [last?.sourceAddress, last?.routeTableIds[0], last?.destinationCidrBlock, last?.networkInterfaceId],
                [privateIpOf(during.writer), "foobar-staging-public-id", `${WRITE_IP}/32`, identity.get(during.writer)?.interfaceId],
                JSON.stringify(moved),
            );
            assert.equal(
                (ec2 as Ec2Standin).routeTables.get("foobar-staging-public-id")?.find((r) => r.destinationCidrBlock === `${WRITE_IP}/32`)
                    ?.networkInterfaceId,
                identity.get(during.writer)?.interfaceId,
            );
        }
        // A new instance from the same user data, the same volume attached.
        const replacement = await boot(lb, "i-foobar-rehearsal-server-3-replacement");
        instances.set("server-3", replacement);
        await waitForCloudInit(replacement, 15 * 60_000);
        await waitServing(site, ["server-1", "server-2"], 180_000);
        const serving = Date.now() - stopped;
        const after = await waitCluster(galeraNodes(), 3, 120_000);
        // New visits reach every node.
        const more: number[] = [];
        for (let i = 0; i < 10; i++) more.push(Number((await getHttps(site)).headers["x-visit-id"]));
        await visitLag(nodeNames(), Math.max(...more), 10_000);
        const sums = await Promise.all(galeraNodes().map(checksums));
        console.log(`      volume ${volume.path}: UUID ${uuid}, ${detached.state} when detached; site back ${serving} ms after the stop`);
        console.log(
            `      writer before ${before.writer}, while server-3 was gone ${during.writer} (ReplaceRoute from ${moved.map((c) => c.sourceAddress).join(", ") || "none"}), after ${after.writer}; checksums: ${sums.join(" | ").replace(/\s+/g, " ")}`,
        );

        // The volume was detached clean, and the boot found its filesystem: no format, no seeding.
        assert.deepEqual([detached.uuid, detached.state], [uuid, "clean"]);
        const log = await replacement.exec(["cat", "/var/log/cloud-init-output.log"]);
        assert.doesNotMatch(log, FIRST_USE);
        assert.doesNotMatch(log, /first use: seeding/);
        assert.match(log, /existing data in \/srv\/foobar-db\/mysql: mariadb starts on it/);
        // It joined the running cluster (its grastate.dat is not safe_to_bootstrap: the others ran on); it started no new one.
        const start = await replacement.exec(["journalctl", "-u", "foobar-galera", "--no-pager", "-o", "cat"]);
        assert.match(start, /foobar-galera: joining the cluster \(mariadb\.service recovers the position first\)/);
        assert.doesNotMatch(start, /starting (a new cluster|the cluster again)/);
        assert.equal(await execIn(replacement.name, ["blkid", "-p", "-o", "value", "-s", "UUID", volume.path]), uuid);
        assert.doesNotMatch(await execIn(replacement.name, ["journalctl", "-u", "mariadb", "--no-pager", "-o", "cat"]), /crash recovery/i);
        // No preemption: the address stays where it went; the returning node reads.
        assert.equal(after.writer, during.writer);
        assert.equal(await readOnly(galeraNodes().find((n) => n.server === "server-3") as Node), 1);
        // Every visit on every node, identical tables.
        for (const n of galeraNodes())
            assert.equal(await visitsPresent(n.container, [...ids, ...more]), ids.length + more.length, n.server);
        assert.equal(new Set(sums).size, 1, sums.join("\n"));
    });

    it("fails over when the writer's MariaDB is SIGKILLed: another node takes the write address within 30 s, its role hook's ReplaceRoute reaches the EC2 stand-in with that node's network interface, and the site records visits again", async function () {
        this.timeout(5 * 60_000);
        const nodes = galeraNodes();
        const { writer } = await waitCluster(nodes, 3, 60_000);
        const old = nodes.find((n) => n.server === writer) as Node;
        const survivors = nodes.filter((n) => n !== old);
        const calls = (ec2 as Ec2Standin).requests.length;
        const pid = await execIn(old.container, ["systemctl", "show", "-p", "MainPID", "--value", "mariadb"]);
        assert.match(pid, /^[1-9]\d*$/);
        const killed = Date.now();
        await execIn(old.container, ["kill", "-KILL", pid]);
        const next = await waitWriter(survivors, WRITE_IP, 30_000);
        const newWriterMs = Date.now() - killed;
        assert.equal(await holdsWriteAddress(old, WRITE_IP), false, `${old.server} still holds ${WRITE_IP}`);
        // Its hook moved the route: ReplaceRoute from the new writer, for the overlay route, to the interface IMDS reports it.
        const eni = identity.get(next.server)?.interfaceId as string;
        assert.equal(
            await execIn(next.container, [
                "sh",
                "-c",
                "curl -s http://169.254.169.254/latest/meta-data/network/interfaces/macs/$(cat /sys/class/net/eth0/address)/interface-id -H \"X-aws-ec2-metadata-token: $(curl -sX PUT http://169.254.169.254/latest/api/token -H 'X-aws-ec2-metadata-token-ttl-seconds: 60')\"",
            ]),
            eni,
        );
        // The new writer's own call (a node that was MASTER for a moment during the election may have called before it).
        const replaced = await waitFor("the new writer's ReplaceRoute", 30_000, async () =>
            (ec2 as Ec2Standin).requests.slice(calls).find((c) => c.action === "ReplaceRoute" && c.sourceAddress === next.address),
        );
        assert.deepEqual(
            [replaced.sourceAddress, replaced.routeTableIds, replaced.destinationCidrBlock, replaced.networkInterfaceId, replaced.status],
            [next.address, ["foobar-staging-public-id"], `${WRITE_IP}/32`, eni, 200],
        );
        const others = (ec2 as Ec2Standin).requests.slice(calls).filter((c) => c.action === "ReplaceRoute" && c !== replaced);
        assert.ok(
            others.every((c) => c.at < replaced.at),
            `a ReplaceRoute after the writer's: ${JSON.stringify(others)}`,
        );
        // A visit through the site: the app writes through the route to the new writer.
        const visit = await waitFor(
            "a visit recorded through the site",
            30_000,
            async () => {
                const r = await getHttps(site, "/", { timeoutMs: 5000 }).catch(() => undefined);
                return r?.status === 200 && Number(r.headers["x-visit-id"]) > 0 ? Number(r.headers["x-visit-id"]) : undefined;
            },
            200,
        );
        const visitMs = Date.now() - killed;
        assert.equal(await visitsPresent(next.container, [visit]), 1);
        console.log(
            `      SIGKILL of ${old.server}'s mariadbd: ${next.server} the writer after ${newWriterMs} ms, its ReplaceRoute (${eni}) after ${replaced.at - killed} ms, a visit recorded through the site after ${visitMs} ms`,
        );
        // systemd restarts the killed server (on-abort): it rejoins, as a reader. Whoever writes then, the route is at it.
        const back = await waitCluster(nodes, 3, 120_000);
        assert.notEqual(back.writer, old.server);
        const writerEni = identity.get(back.writer)?.interfaceId;
        await waitFor(`the write route at ${back.writer}'s interface`, 30_000, async () =>
            (ec2 as Ec2Standin).routeTables.get("foobar-staging-public-id")?.find((r) => r.destinationCidrBlock === `${WRITE_IP}/32`)
                ?.networkInterfaceId === writerEni
                ? true
                : undefined,
        );
        const moves = (ec2 as Ec2Standin).requests.slice(calls).filter((c) => c.action === "ReplaceRoute");
        console.log(
            `      ${old.server} back in the cluster (read_only) ${Date.now() - killed} ms after the kill; writer then ${back.writer}; ReplaceRoute from ${moves.map((c) => `${c.sourceAddress} at +${c.at - killed} ms`).join(", ")}`,
        );
        assert.ok((await clusterSize(old)) === 3);
    });
});

/** The SSM parameter names an instance's secrets manifest lists (from its own user data). */
function readsOf(instance: RecordedResource): string[] {
    const config = yaml.load(gunzipSync(Buffer.from(instance.inputs.userDataBase64, "base64")).toString()) as {
        write_files: Array<{ path: string; content: string }>;
    };
    const manifest = JSON.parse((config.write_files.find((f) => f.path === "/etc/foobar/secrets.json") as { content: string }).content);
    return (Object.values(manifest.parameters) as string[]).sort();
}
