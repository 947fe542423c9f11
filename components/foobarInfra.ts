// FoobarInfra: the three-server web infrastructure of www.foobar.com as one component.
import * as pulumi from "@pulumi/pulumi";
import type * as aws from "@pulumi/aws";
import { FoobarInfraArgs, ResolvedArgs } from "./config/args";
import { validateArgs } from "./config/validate";
import { createCredentials } from "./credentials";
import { deployDocker } from "./backends/docker";
import { allocatePublicAddress, deployAws } from "./backends/aws";
import { ConfigError } from "./config/problems";
import { renderDiagram } from "./render/diagram";
import { PORTS, Topology, buildTopology, service } from "./topology";

export const FOOBAR_INFRA_TYPE = "foobar:index:FoobarInfra";

export interface ServiceSummary {
    readonly service: string;
    readonly kind: string;
    /** Network name -> address (docker), or "private" -> address. */
    readonly addresses: Record<string, string>;
}

export interface ServerSummary {
    readonly name: string;
    readonly role: string;
    readonly services: ServiceSummary[];
}

/** The aws provider's region, required before anything is created on platform aws. */
function awsRegion(): string {
    const region = new pulumi.Config("aws").get("region");
    if (!region) {
        throw new ConfigError([
            {
                key: "aws:region",
                value: undefined,
                fix: "platform aws needs a region; set it with `pulumi config set aws:region eu-west-1`.",
            },
        ]);
    }
    return region;
}

export class FoobarInfra extends pulumi.ComponentResource {
    private readonly region: string;
    /** The site, e.g. https://www.foobar.com:8443/ (map the domain to the load balancer to open it). */
    public readonly url!: pulumi.Output<string>;
    /** Where the load balancer accepts HTTPS: host:port. */
    public readonly loadBalancerAddress!: pulumi.Output<string>;
    public readonly servers!: pulumi.Output<ServerSummary[]>;
    /** host:port of the MariaDB primary, which takes every write. */
    public readonly databaseWriterEndpoint!: pulumi.Output<string>;
    /** host:port of each read replica. */
    public readonly databaseReaderEndpoints!: pulumi.Output<string[]>;
    /** PEM of the CA to trust for the site's certificate. */
    public readonly caCertificatePem!: pulumi.Output<string>;
    /** Mermaid flowchart of servers, services and allowed flows. */
    public readonly diagram!: pulumi.Output<string>;
    /** aws: names of the SSM parameters holding the secrets (never their values); docker: none. */
    public readonly ssmParameterNames!: pulumi.Output<string[]>;
    /**
     * Prometheus (UI, API, alerts): on docker published on docker.bindAddress; on aws the load
     * balancer's private address, open to the VPC only. Empty with monitoring off.
     */
    public readonly monitoringUrl!: pulumi.Output<string>;

    constructor(name: string, args: FoobarInfraArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        // Validate before super(): an invalid config must not register even the component.
        const resolved: ResolvedArgs = validateArgs(args);
        const region = resolved.platform === "aws" ? awsRegion() : "";
        super(FOOBAR_INFRA_TYPE, name, {}, opts);
        this.region = region;
        const topology = buildTopology(resolved);
        // On aws the certificate names the Elastic IP too, so it exists before the certificate.
        const publicAddress = resolved.platform === "aws" ? allocatePublicAddress(name, this) : undefined;
        const credentials = createCredentials(name, resolved, this, publicAddress ? [publicAddress.publicIp] : []);
        const outputs = this.deploy(name, topology, credentials, publicAddress);
        Object.assign(this, outputs);
        this.registerOutputs(outputs);
    }

    private deploy(name: string, topology: Topology, credentials: ReturnType<typeof createCredentials>, publicAddress?: aws.ec2.Eip) {
        const { args } = topology;
        switch (args.platform) {
            case "docker": {
                const { plan, containers } = deployDocker(name, topology, credentials, this);
                const dataAddress = (key: string) => plan.reach(topology.web[0].app, key);
                const httpsPort = args.docker.httpsPort;
                const servers = summarize(topology, (_server, key) =>
                    Object.fromEntries(plan.segmentsOf(key).map((s) => [s.name, s.members.get(key) as string])),
                );
                // The outputs wait for the containers: a URL is only reported for a running site.
                const ready = pulumi.all([...containers.values()].map((c) => c.id));
                return {
                    url: ready.apply(() => `https://${args.domain}${httpsPort === 443 ? "" : `:${httpsPort}`}/`),
                    loadBalancerAddress: pulumi.output(`${args.docker.bindAddress}:${httpsPort}`),
                    servers: pulumi.output(servers),
                    databaseWriterEndpoint: pulumi.output(`${dataAddress(topology.primary)}:${PORTS.mysql}`),
                    databaseReaderEndpoints: pulumi.output(
                        topology.replicas.map((r) => `${plan.reach(topology.primary, r)}:${PORTS.mysql}`),
                    ),
                    caCertificatePem: credentials.caCertificatePem,
                    diagram: pulumi.output(renderDiagram(topology)),
                    ssmParameterNames: pulumi.output([] as string[]),
                    monitoringUrl: pulumi.output(monitoringUrl(topology, args.docker.bindAddress, args.docker.prometheusPort)),
                };
            }
            case "aws": {
                if (!publicAddress) throw new Error("the aws platform needs the load balancer's Elastic IP");
                const deployment = deployAws(name, pulumi.getStack(), this.region, topology, credentials, publicAddress, this);
                const host = deployment.publicIp;
                const servers = host.apply((publicIp) =>
                    summarize(topology, (server) => ({
                        private: deployment.plan.instance(server).privateIp,
                        ...(server === topology.lbServer ? { public: publicIp } : {}),
                    })),
                );
                const ready = pulumi.all([...deployment.instances.values()].map((i) => i.id));
                return {
                    // The certificate names the domain: point its DNS record at loadBalancerAddress.
                    url: ready.apply(() => `https://${args.domain}/`),
                    loadBalancerAddress: pulumi.interpolate`${host}:${PORTS.https}`,
                    servers,
                    databaseWriterEndpoint: deployment.writerEndpoint,
                    databaseReaderEndpoints: deployment.readerEndpoints,
                    caCertificatePem: credentials.caCertificatePem,
                    diagram: pulumi.output(renderDiagram(topology)),
                    ssmParameterNames: deployment.parameterNames,
                    monitoringUrl: pulumi.output(
                        monitoringUrl(topology, deployment.plan.instance(topology.lbServer).privateIp, PORTS.prometheus),
                    ),
                };
            }
            default: {
                const never: never = args.platform;
                throw new Error(`unknown platform ${String(never)}`);
            }
        }
    }
}

function monitoringUrl(topology: Topology, host: string, port: number): string {
    return topology.prometheus ? `http://${host}:${port}/` : "";
}

/** Each server with its services and their addresses, as the `servers` output shows them. */
function summarize(topology: Topology, addressesOf: (server: string, serviceKey: string) => Record<string, string>): ServerSummary[] {
    return topology.servers.map((server) => ({
        name: server.name,
        role: server.role,
        services: server.services.map((key) => ({
            service: key,
            kind: service(topology, key).kind,
            addresses: addressesOf(server.name, key),
        })),
    }));
}
