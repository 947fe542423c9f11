// The aws platform: one EC2 instance per server, booted by cloud-init with the same rendered
// configs as the docker platform; secrets in SSM Parameter Store; the app's code base in S3;
// optionally RDS. Thin: layout from plan.ts and firewall.ts, boot from boot.ts, files from the
// shared renderers.
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { ConfigError } from "../../config/problems";
import { monitoringUrlOf, summarizeServers } from "../../outputs";
import { PORTS, primaryOf, replicasOf } from "../../topology";
import { BundleName, bundleOf } from "../../vm/boot";
import { alertRulesOf } from "../../services/monitoring";
import { DeployContext, Deployment, Platform } from "../platform";
import { createAlarms } from "./alarms";
import { AppArtifact, appArtifact, createArtifactStore, monitoringArtifact } from "./artifacts";
import { renderBoot } from "./boot";
import { createDatabase } from "./database";
import { createInstance } from "./instances";
import { attachPublicFront, createPublicAddresses } from "./loadBalancer";
import { createFlowLogs } from "./logging";
import { createNetwork } from "./network";
import { planAws } from "./plan";
import { InstanceReadiness, createReadinessParameter, readinessParameterName } from "./readiness";
import { RDS_ADMIN_USER, createParameters } from "./secrets";
import { attachDataVolume, createDataVolumes, createSnapshotPolicy } from "./storage";
import { writeRouteStatements } from "./writeAddress";
import { createWriteRoutes, writeRouteTables } from "./writeRoutes";

/** The newest image of this name pattern is used unless aws.amiId names one. */
export const DEBIAN_AMI_NAME_PATTERN = "debian-12-amd64-*";

const tagsOf = (name: string) => ({ "foobar:stack": name, "managed-by": "pulumi" });

/** The aws provider's region, required before anything is created on platform aws. */
function awsRegion(): string {
    const region = new pulumi.Config("aws").get("region");
    if (region) return region;
    throw new ConfigError([
        {
            key: "aws:region",
            value: undefined,
            fix: "platform aws needs a region; set it with `pulumi config set aws:region eu-west-1`.",
        },
    ]);
}

/**
 * The image every instance boots from: aws.amiId as given, or the newest Debian 12 as it was at the
 * stack's first `up`, kept in a Stash: the lookup runs on every `up`, but only the stored value
 * reaches the instances, so a new Debian image replaces nothing until you move on (set aws.amiId,
 * or `pulumi up --replace` the stash; README, "Updating the stacks").
 * https://www.pulumi.com/docs/iac/concepts/stash/
 */
function amiOf(name: string, amiId: string | undefined, owner: string, parent: pulumi.Resource): pulumi.Input<string> {
    if (amiId) return amiId;
    const filters = [
        { name: "name", values: [DEBIAN_AMI_NAME_PATTERN] },
        { name: "architecture", values: ["x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
    ];
    const newest = aws.ec2.getAmiOutput({ mostRecent: true, owners: [owner], filters }, { parent }).id;
    return new pulumi.Stash(`${name}-ami`, { input: newest }, { parent }).output as pulumi.Output<string>;
}

export const awsPlatform: Platform = {
    preflight() {
        awsRegion();
    },

    deploy({ name, topology, credentials: makeCredentials, parent }: DeployContext): Deployment {
        const region = awsRegion();
        const plan = planAws(topology);
        const tags = tagsOf(name);
        // The site's Elastic IPs come first (the load balancer's, or the NLB's per zone), so the
        // self-signed certificate can name them.
        const addresses = createPublicAddresses(name, plan, tags, parent);
        const publicIps = [...addresses.values()].map((a) => a.publicIp);
        // The site certificate names the Elastic IPs; each database server's, the private address its clients use.
        // In a Galera cluster each node's names the write address too: whichever node holds it answers there.
        const databases = topology.databases.filter((d) => d.kind === "mariadb");
        const writeIp = plan.writeAddress?.split("/")[0];
        const credentials = makeCredentials({
            public: publicIps,
            database: new Map(databases.map((d) => [d.key, [plan.instance(d.server).privateIp, ...(writeIp ? [writeIp] : [])]])),
        });
        const network = createNetwork(name, plan, tags, parent);
        const writeTables = writeRouteTables(plan, topology, network);
        const tableIds = pulumi.all(writeTables.map((t) => t.id));
        const galeraServers = new Set(topology.galera?.nodes.map((n) => n.server) ?? []);
        createFlowLogs(name, network.vpcId, plan.aws.flowLogRetentionDays, tags, parent);
        const managed = topology.args.database.mode === "managed";
        const secrets = createParameters(name, pulumi.getStack(), credentials, managed, tags, parent);
        // Managed mode: RDS (a DB instance or a Multi-AZ DB cluster), with the master password the parameters hold.
        const database = secrets.rdsAdminPassword
            ? createDatabase(name, plan, topology, network, secrets.rdsAdminPassword, RDS_ADMIN_USER, tags, parent)
            : undefined;
        const databaseHosts = database ? database.hosts : pulumi.output<string[]>([]);
        const ami = amiOf(name, plan.aws.amiId, plan.aws.amiOwner, parent);
        const volumes = createDataVolumes(name, plan, network, topology.args.production, tags, parent);
        // The app and its static assets: an object in the stack's bucket, fetched by the web servers at
        // boot; Prometheus's alert rules another, fetched by the servers that run it.
        const bundles = new Set(topology.servers.map((s) => bundleOf(s.services)));
        const wanted = new Map<BundleName, AppArtifact>([
            ...(bundles.has("app") ? [["app", appArtifact()] as const] : []),
            ...(bundles.has("monitoring") ? [["monitoring", monitoringArtifact(alertRulesOf(topology))] as const] : []),
        ]);
        const artifacts = wanted.size > 0 ? createArtifactStore(name, wanted, topology.args.production, tags, parent) : undefined;
        const profile = new pulumi.Config("aws").get("profile");
        // Web servers one at a time: each instance waits, through dependsOn, until the previous web
        // server's readiness exists, i.e. until that server serves again (readiness.ts). The engine
        // registers (and so creates or replaces) it only then. A pair of load balancers behind the
        // NLB likewise, so that a change to both never takes both out of the NLB at once.
        // A Galera cluster's first node boots (and is replaced) before the other nodes, which wait for
        // its readiness: it starts the cluster on the stack's first boot and they join it, and a
        // change to every node never takes two of three out at once (no majority left).
        const previous = new Map<string, InstanceReadiness>();
        const first = topology.galera?.bootstrap.server;
        let galeraGate: InstanceReadiness | undefined;
        const bootOrder = [...topology.servers].sort((a, b) => Number(b.name === first) - Number(a.name === first));
        const created = new Map(
            bootOrder.map((server) => {
                const chain =
                    server.role === "web"
                        ? "web"
                        : plan.nlb?.targets.includes(server.name)
                          ? "lb"
                          : server.name === first
                            ? "galera"
                            : undefined;
                const bundle = bundleOf(server.services);
                const artifact = bundle ? artifacts?.objects.get(bundle) : undefined;
                const readyParameter = chain ? createReadinessParameter(name, pulumi.getStack(), server.name, tags, parent) : undefined;
                const volume = volumes.get(server.name);
                const boot = renderBoot({
                    topology,
                    plan,
                    server,
                    region,
                    credentials,
                    databaseHosts,
                    parameterNames: secrets.names,
                    dataVolumeId: volume?.id,
                    readinessParameter: chain ? readinessParameterName(pulumi.getStack(), server.name) : undefined,
                    artifact: artifact?.location,
                    ...(galeraServers.has(server.name) ? { writeRouteTables: tableIds } : {}),
                });
                const dependsOn = [
                    ...(database ? [database.writer] : []),
                    // The parameter exists before the boot can write it (a write first would create it under Pulumi's feet).
                    ...(readyParameter ? [readyParameter] : []),
                    ...(chain ? [previous.get(chain)].filter((r): r is InstanceReadiness => r !== undefined) : []),
                    ...(galeraGate && galeraServers.has(server.name) ? [galeraGate] : []),
                ];
                const writeRoute = galeraServers.has(server.name) ? tableIds.apply((ids) => writeRouteStatements(region, ids)) : undefined;
                const input = { plan: plan.instance(server.name), ami, network, boot, parameters: secrets.parameters, tags, writeRoute };
                const fetched = artifact ? { object: artifact.object, arn: artifact.objectArn } : undefined;
                const instance = createInstance(name, { ...input, readiness: readyParameter, artifact: fetched, dependsOn }, parent);
                if (volume) attachDataVolume(name, server.name, volume, instance, parent);
                if (readyParameter && chain) {
                    const readiness = new InstanceReadiness(
                        `${name}-${server.name}-ready`,
                        { server: server.name, parameterName: readyParameter.name, instanceId: instance.id, region, profile },
                        { parent },
                    );
                    previous.set(chain, readiness);
                    if (server.name === first) galeraGate = readiness;
                }
                return [server.name, instance] as const;
            }),
        );
        const instances = topology.servers.map((s) => created.get(s.name) ?? missingInstance(s.name));
        const bootstrapNode = topology.galera
            ? instances[topology.servers.findIndex((s) => s.name === topology.galera?.bootstrap.server)]
            : undefined;
        if (bootstrapNode) createWriteRoutes(name, writeTables, bootstrapNode, parent);
        if (volumes.size > 0) createSnapshotPolicy(name, plan.aws.snapshotRetentionDays, tags, parent);
        const front = attachPublicFront(
            name,
            {
                plan,
                network,
                addresses,
                instances: new Map(topology.servers.map((s, i) => [s.name, instances[i]])),
                production: topology.args.production,
                tags,
            },
            parent,
        );

        // Watched from outside: CloudWatch alarms on the instances, RDS and the NLB, to one SNS topic.
        const alarms = createAlarms(name, { plan, topology, region, instances: created, database, nlb: front.nlb, tags }, parent);

        const privateIp = (server: string) => plan.instance(server).privateIp;
        // A single load balancer's services show its Elastic IP; behind the NLB, no server is public.
        const publicServer = plan.instances.find((i) => i.elasticIp)?.server;
        const ready = pulumi.all([...instances.map((i) => i.id), ...front.ready]);
        return {
            // The certificate names the domain: point its DNS record at loadBalancerAddress (each address).
            url: ready.apply(() => `https://${topology.args.domain}/`),
            loadBalancerAddress: pulumi.all(publicIps).apply((ips) => ips.map((ip) => `${ip}:${PORTS.https}`).join(", ")),
            servers: pulumi.all(publicIps).apply(([publicIp]) =>
                summarizeServers(topology, (s) => ({
                    private: privateIp(s.server),
                    ...(s.server === publicServer ? { public: publicIp } : {}),
                })),
            ),
            databaseWriterEndpoint: database
                ? pulumi.interpolate`${database.writerHost}:${PORTS.mysql}`
                : pulumi.output(`${writeIp ?? privateIp(primaryOf(topology).server)}:${PORTS.mysql}`),
            databaseReaderEndpoints: database
                ? database.readerHosts.apply((hosts) => hosts.map((host) => `${host}:${PORTS.mysql}`))
                : pulumi.output(replicasOf(topology).map((r) => `${privateIp(r.server)}:${PORTS.mysql}`)),
            caCertificatePem: credentials.caCertificatePem,
            certificatePem: credentials.certificatePem,
            ssmParameterNames: pulumi.output(Object.values(secrets.names)),
            // Prometheus answers on its instance only: operators forward the port with SSM (README).
            monitoringUrl: pulumi.output(monitoringUrlOf(topology, "127.0.0.1", PORTS.prometheus)),
            monitoringPassword: pulumi.secret(credentials.prometheusPassword ?? pulumi.output("")),
            monitoringAlarms: pulumi.output(alarms.names),
            monitoringAlertTopic: alarms.topicArn,
        };
    },
};

function missingInstance(server: string): never {
    throw new Error(`the aws platform created no instance for ${server}`);
}
