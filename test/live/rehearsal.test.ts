// The boot rehearsal: the staging stack's EC2 user data, run the way EC2 would run it (Debian's
// cloud-init, NoCloud seed) in systemd containers standing in for the three instances, at the
// private addresses the plan gives them, on a docker network standing in for the VPC. The SSM
// reads go to a local stand-in through the boot helper's documented seam. Then the site is
// probed through server-3 as the docker live test probes it.
import * as assert from "node:assert/strict";
import * as yaml from "js-yaml";
import * as path from "path";
import * as tls from "tls";
import { gunzipSync } from "zlib";
import { Cidr, intToIpv4, parseCidr } from "../../components/config/net";
import { RecordedResource } from "../helpers/pulumiMocks";
import { CapturedStack, captureStack } from "./capture";
import { docker, sleep } from "./docker";
import {
    Instance,
    STANDIN_IMAGE,
    StandinVpc,
    bootInstance,
    buildStandinImage,
    createVpc,
    removeVpcLeftovers,
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
import { SsmStandin, startSsmStandin } from "./ssmStandin";

const ROOT = path.join(__dirname, "..", "..");
const NETWORK = "foobar-rehearsal-vpc";
const LABEL = { key: "foobar.stack", value: "foobar-rehearsal" };
const INSTANCE = "aws:ec2/instance:Instance";
const PARAMETER = "aws:ssm/parameter:Parameter";

const serverOf = (r: RecordedResource) => r.inputs.tags["foobar:server"] as string;

describe("live: boot rehearsal of the staging stack's EC2 user data", function () {
    let captured: CapturedStack;
    let ssm: SsmStandin | undefined;
    const instances = new Map<string, Instance>();
    let site: Site;
    let vpc: StandinVpc | undefined;

    before(async function () {
        this.timeout(40 * 60_000);
        captured = await captureStack("staging", {}, "staging");
        // The VPC stand-in: one network over the VPC's range, with a route out for Debian's archive.
        const vpcCidr = captured.resources.find((r) => r.type === "aws:ec2/vpc:Vpc")?.inputs.cidrBlock as string;
        const range = parseCidr(vpcCidr) as Cidr;
        // The host's side of the network: the range's last usable address, clear of any instance.
        vpc = { name: NETWORK, subnet: vpcCidr, gateway: intToIpv4(range.base + 2 ** (32 - range.prefix) - 2), label: LABEL };
        await removeVpcLeftovers(vpc);
        await buildStandinImage(ROOT);
        await createVpc(vpc);
        const parameters = Object.fromEntries(
            captured.resources.filter((r) => r.type === PARAMETER).map((r) => [r.inputs.name, r.inputs.value]),
        );
        ssm = await startSsmStandin({ host: vpc.gateway, port: 0, parameters });
        const started = Date.now();
        for (const r of captured.resources.filter((x) => x.type === INSTANCE)) {
            const instance = await bootInstance({
                name: `foobar-rehearsal-${serverOf(r)}`,
                image: STANDIN_IMAGE,
                network: NETWORK,
                ipv4Address: r.inputs.privateIp,
                userData: Buffer.from(r.inputs.userDataBase64, "base64"),
                ssmEndpoint: ssm.url,
                labels: { [LABEL.key]: LABEL.value, "foobar.server": serverOf(r) },
            });
            instances.set(serverOf(r), instance);
        }
        await waitForCloudInitAll([...instances.values()], 30 * 60_000);
        console.log(`      ${instances.size} instances booted their user data in ${Math.round((Date.now() - started) / 1000)} s`);
        const lb = captured.resources.find((r) => r.type === INSTANCE && serverOf(r) === "server-3") as RecordedResource;
        site = {
            domain: "www.foobar.com",
            address: lb.inputs.privateIp,
            httpsPort: 443,
            httpPort: 80,
            ca: captured.outputs.caCertificatePem,
        };
        await waitServing(site, ["server-1", "server-2"], 180_000);
        const replicating = await waitReplicating(replicaNames(), 60_000);
        const reading = await waitReadingFromReplica(site, ["server-1", "server-2"], 30_000);
        console.log(
            `      both replicas replicating ${replicating} ms after the site served; both apps reading from them ${reading} ms later`,
        );
    });

    after(async function () {
        this.timeout(5 * 60_000);
        for (const i of instances.values()) await i.remove();
        await ssm?.close();
        if (vpc) await removeVpcLeftovers(vpc);
    });

    const replicaNames = () => ["server-1", "server-2"].map((s) => (instances.get(s) as Instance).name);
    const replicaStates = async () => (await Promise.all(replicaNames().map(replicationState))).map((s) => s.summary).join("\n");

    it("read each instance's secrets from SSM, exactly those its own files need", () => {
        const byInstance = new Map<string, string[]>();
        for (const req of ssm?.requests ?? [])
            byInstance.set(req.sourceAddress, [...(byInstance.get(req.sourceAddress) ?? []), req.name].sort());
        const expected = new Map(
            captured.resources.filter((r) => r.type === INSTANCE).map((r) => [r.inputs.privateIp as string, readsOf(r)]),
        );
        assert.deepEqual(Object.fromEntries(byInstance), Object.fromEntries(expected));
        assert.ok((ssm?.requests ?? []).every((r) => r.operation === "GetParameter" && r.withDecryption));
    });

    it("serves HTTPS through server-3 that verifies against the CA from the outputs (for the domain and the Elastic IP), and redirects HTTP", async () => {
        const r = await getHttps(site);
        assert.equal(r.status, 200);
        assert.match(r.body, /<title>www\.foobar\.com<\/title>/);
        const http = await getHttp({ ...site }, "/a?b=1");
        assert.equal(http.status, 301);
        // The probe's Host carries ":80"; the redirect must not.
        assert.equal(http.headers.location, "https://www.foobar.com/a?b=1");
        // The same certificate is valid for the Elastic IP (checked offline: nothing is sent there).
        const elasticIp = captured.outputs.loadBalancerAddress.split(":")[0];
        const served = await servedCertificate(site);
        assert.equal(tls.checkServerIdentity(elasticIp, served), undefined);
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

    it("runs Prometheus on server-3 from Debian's package and unit, scraping HAProxy's private stats address and every exporter", async () => {
        // On EC2 an SSM port forward ends on the instance; here the stand-in's own address plays it
        // (no security group exists here to keep others off).
        assert.equal(captured.outputs.monitoringUrl, "http://127.0.0.1:9090/");
        const url = withLogin(`http://${site.address}:9090/`, captured.outputs.monitoringPassword);
        const up = await waitTargetsUp(url, ["haproxy", "mysqld", "prometheus"], 60_000);
        // HAProxy's stats stay on loopback: Prometheus scrapes them on its own instance.
        assert.ok(up.some((t) => t.job === "haproxy" && t.scrapeUrl === "http://127.0.0.1:8404/metrics"));
        // Replicas' exporters on their private addresses; the primary's beside Prometheus, on loopback.
        const privateIp = (server: string) =>
            (captured.resources.find((r) => r.type === INSTANCE && serverOf(r) === server) as RecordedResource).inputs.privateIp as string;
        assert.deepEqual(
            up
                .filter((t) => t.job === "mysqld")
                .map((t) => [t.host, t.scrapeUrl])
                .sort(),
            [
                ["server-1", `http://${privateIp("server-1")}:9104/metrics`],
                ["server-2", `http://${privateIp("server-2")}:9104/metrics`],
                ["server-3", "http://127.0.0.1:9104/metrics"],
            ],
        );
        const byHost = (promql: string) => valuesByHost(url, promql);
        await waitFor("every database answering its exporter", 30_000, async () =>
            Object.keys(await byHost("mysql_up == 1")).length === 3 ? true : undefined,
        );
        assert.deepEqual(await byHost("mysql_slave_status_slave_sql_running"), { "server-1": 1, "server-2": 1 });
        assert.deepEqual(await alerts(url), [], "no alert while all is well");
        // Debian's units, with the flags from the rendered /etc/default files.
        const lb = (instances.get("server-3") as Instance).name;
        assert.match(await execIn(lb, ["systemctl", "show", "-p", "ActiveState", "prometheus"]), /ActiveState=active/);
        const cmdline = (name: string, unit: string) =>
            execIn(name, ["sh", "-c", `tr '\\0' ' ' < /proc/$(systemctl show -p MainPID --value ${unit})/cmdline`]);
        assert.match(await cmdline(lb, "prometheus"), /--storage\.tsdb\.retention\.time=15d/);
        assert.match(await cmdline(lb, "prometheus-mysqld-exporter"), /--web\.listen-address=127\.0\.0\.1:9104/);
        const web1 = (instances.get("server-1") as Instance).name;
        assert.match(await cmdline(web1, "prometheus-mysqld-exporter"), new RegExp(`--web\\.listen-address=${privateIp("server-1")}:9104`));
        // Its login is readable by the exporter's user alone.
        assert.equal(await execIn(web1, ["stat", "-c", "%U:%G %a", "/etc/foobar/mysqld-exporter.cnf"]), "prometheus:prometheus 400");
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
