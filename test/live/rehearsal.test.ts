// The boot rehearsal: the staging stack's EC2 user data, run the way EC2 would run it (Debian's
// cloud-init, NoCloud seed) in systemd containers standing in for its four instances (two web
// servers; a pair of load balancers, lb.count 2), at the private addresses the plan gives them, on a
// docker network standing in for the VPC. The SSM reads, and the web servers' fetch of the app
// bundle from S3, go to a local stand-in through the boot helper's documented seam. No Network Load
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
import { RecordedResource } from "../helpers/pulumiMocks";
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
    waitReplicating,
    waitServing,
} from "./probes";
import { waitFor } from "./poll";
import { alerts, valuesByHost, waitTargetsUp, withLogin } from "./prometheusProbe";
import { ProxyRelay } from "./rehearsalNlb";
import { HEALTH_PATH, HEALTH_PORT, PairMember, checkHealthy, checkServesThroughProxy, checkSoftStop, siteThrough } from "./rehearsalPair";
import { NLB_STOP_GRACE_MS } from "../../components/platforms/aws/view";
import { SsmStandin, startSsmStandin } from "./ssmStandin";
import { bundleObjects, checkBundle } from "./rehearsalArtifact";
import { databaseFigures, describeFigures, gtidSeq, visitsPresent } from "./rehearsalReplace";
import { StandinVolume, createStandinVolumes, removeStandinVolumes, volumeState } from "./rehearsalVolumes";

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
    const boot = (r: RecordedResource, instanceId?: string) =>
        bootInstance({
            name: `foobar-rehearsal-${serverOf(r)}`,
            image: STANDIN_IMAGE,
            network: NETWORK,
            ipv4Address: r.inputs.privateIp,
            userData: Buffer.from(r.inputs.userDataBase64, "base64"),
            ssmEndpoint: ssm?.url,
            s3Endpoint: ssm?.url,
            labels: { [LABEL.key]: LABEL.value, "foobar.server": serverOf(r) },
            volumes: volumes.filter((v) => v.server === serverOf(r)).map((v) => ({ hostDevice: v.loopDevice, path: v.path })),
            ...(instanceId ? { metaData: { "instance-id": instanceId } } : {}),
        });

    before(async function () {
        this.timeout(40 * 60_000);
        captured = await captureStack("staging", {}, "staging");
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
        const started = Date.now();
        for (const r of captured.resources.filter((x) => x.type === INSTANCE)) instances.set(serverOf(r), await boot(r));
        await waitForCloudInitAll([...instances.values()], 30 * 60_000);
        console.log(`      ${instances.size} instances booted their user data in ${Math.round((Date.now() - started) / 1000)} s`);
        // Through server-3's HAProxy, as the NLB passes a connection on: the relays listen on the host's side of the VPC.
        ({ site, relays } = await siteThrough(vpc.gateway, member("server-3"), siteBase()));
        await waitServing(site, ["server-1", "server-2"], 180_000);
        const replicating = await waitReplicating(replicaNames(), 60_000);
        const reading = await waitReadingFromReplica(site, ["server-1", "server-2"], 30_000);
        console.log(
            `      both replicas replicating ${replicating} ms after the site served; both apps reading from them ${reading} ms later`,
        );
    });

    after(async function () {
        this.timeout(5 * 60_000);
        for (const r of relays) await r.close();
        for (const i of instances.values()) await i.remove();
        await ssm?.close();
        if (vpc) await removeVpcLeftovers(vpc);
        await removeStandinVolumes(VOLUMES);
    });

    const replicaNames = () => ["server-1", "server-2"].map((s) => (instances.get(s) as Instance).name);
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
            const up = await waitTargetsUp(url, ["haproxy", "mysqld", "prometheus"], 60_000);
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
            assert.deepEqual(await byHost("mysql_slave_status_slave_sql_running"), { "server-1": 1, "server-2": 1 });
            assert.deepEqual(await alerts(url), [], `no alert while all is well (${lbServer}'s Prometheus)`);
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
        assert.equal(await execIn(name, ["systemctl", "is-active", "mariadb"]), "active");
        await waitReplicating([name], 60_000);
    });

    it("replaces server-3's instance on the same data volume: the primary starts on its data, every visit is there, the replicas resume from their GTID positions", async function () {
        this.timeout(20 * 60_000);
        const old = instances.get("server-3") as Instance;
        const volume = volumes.find((v) => v.server === "server-3") as StandinVolume;
        const lb = captured.resources.find((r) => r.type === INSTANCE && serverOf(r) === "server-3") as RecordedResource;
        const ids: number[] = [];
        for (let i = 0; i < 40; i++) ids.push(Number((await getHttps(site)).headers["x-visit-id"]));
        await visitLag(replicaNames(), Math.max(...ids), 10_000);
        const before = await databaseFigures(old.name, replicaNames());
        const uuid = await execIn(old.name, ["blkid", "-p", "-o", "value", "-s", "UUID", volume.path]);
        // As the attachment's delete does (stopInstanceBeforeDetaching): a clean stop, MariaDB shuts down,
        // the volume is unmounted; then the instance goes.
        const stopped = Date.now();
        await docker(["stop", "--time", "120", old.name], { timeoutMs: 180_000 });
        const detached = await volumeState(volume);
        await old.remove();
        // A new instance from the same user data, the same volume attached.
        const replacement = await boot(lb, "i-foobar-rehearsal-server-3-replacement");
        instances.set("server-3", replacement);
        await waitForCloudInit(replacement, 15 * 60_000);
        await waitServing(site, ["server-1", "server-2"], 180_000);
        const serving = Date.now() - stopped;
        await waitReplicating(replicaNames(), 120_000);
        const after = await databaseFigures(replacement.name, replicaNames());
        // New visits reach both replicas, from where each stopped.
        const more: number[] = [];
        for (let i = 0; i < 10; i++) more.push(Number((await getHttps(site)).headers["x-visit-id"]));
        await visitLag(replicaNames(), Math.max(...more), 10_000);
        const final = await databaseFigures(replacement.name, replicaNames());
        console.log(`      volume ${volume.path}: UUID ${uuid}, ${detached.state} when detached; site back ${serving} ms after the stop`);
        for (const [label, f] of [
            ["before", before],
            ["after", after],
            ["10 visits later", final],
        ] as const)
            console.log(`      ${describeFigures(label, f)}`);

        // The volume was detached clean, and the boot found its filesystem: no format, no seeding.
        assert.deepEqual([detached.uuid, detached.state], [uuid, "clean"]);
        const log = await replacement.exec(["cat", "/var/log/cloud-init-output.log"]);
        assert.doesNotMatch(log, FIRST_USE);
        assert.doesNotMatch(log, /first use: seeding/);
        assert.match(log, /existing data in \/srv\/foobar-db\/mysql: mariadb starts on it/);
        assert.equal(await execIn(replacement.name, ["blkid", "-p", "-o", "value", "-s", "UUID", volume.path]), uuid);
        // MariaDB started on the data as it was left: no crash recovery, every visit, the binary log continued.
        assert.doesNotMatch(await execIn(replacement.name, ["journalctl", "-u", "mariadb", "--no-pager", "-o", "cat"]), /crash recovery/i);
        assert.equal(await visitsPresent(replacement.name, ids), ids.length);
        // Nothing lost, nothing restarted from scratch (the probes that waited for the site added visits after it).
        assert.ok(after.visits >= before.visits && after.maxId >= before.maxId, `${before.visits} -> ${after.visits}`);
        assert.equal(
            await visitsPresent(
                replacement.name,
                Array.from({ length: before.maxId }, (_, i) => i + 1),
            ),
            before.visits,
        );
        assert.ok(gtidSeq(after.binlogPos) >= gtidSeq(before.binlogPos), `${before.binlogPos} -> ${after.binlogPos}`);
        // The replicas were not re-seeded: they resumed from their own GTID positions and caught up.
        for (const name of replicaNames()) {
            const [b, f] = [before.replicas[name], final.replicas[name]];
            assert.ok(f.running && f.usingGtid === "Slave_Pos", `${name}: ${JSON.stringify(f)}`);
            assert.ok(gtidSeq(f.slavePos) > gtidSeq(b.slavePos), `${name}: ${b.slavePos} -> ${f.slavePos}`);
            assert.equal(f.visits, final.visits, name);
            assert.equal(await visitsPresent(name, [...ids, ...more]), ids.length + more.length, name);
        }
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
