// FoobarInfra: the three-server web infrastructure of www.foobar.com as one component. It
// validates its args, builds the topology and hands it to the platform they name.
import * as pulumi from "@pulumi/pulumi";
import { FoobarInfraArgs, Platform as PlatformName } from "./config/args";
import { createCredentials } from "./credentials";
import { validateArgs } from "./foobarSchema";
import { FoobarOutputs, ServerSummary, outputsOf } from "./outputs";
import { awsPlatform } from "./platforms/aws";
import { dockerPlatform } from "./platforms/docker";
import { Platform } from "./platforms/platform";
import { renderDiagram } from "./render/diagram";
import { buildTopology } from "./topology";

export const FOOBAR_INFRA_TYPE = "foobar:index:FoobarInfra";

/** Every platform, by the name `platform` takes; adding one adds its folder under platforms/ and a line here. */
const PLATFORMS: Record<PlatformName, Platform> = { docker: dockerPlatform, aws: awsPlatform };

/**
 * The three-server web infrastructure of www.foobar.com: web servers with Nginx and the app, HAProxy
 * terminating TLS, a MariaDB primary with replicas (or RDS), Prometheus; on Docker or AWS.
 */
export class FoobarInfra extends pulumi.ComponentResource implements FoobarOutputs {
    /**
     * The site, e.g. https://www.foobar.com:8443/ (map the domain to the load balancer to open it);
     * a docker pair (lb.count 2): its virtual IP, https://10.77.0.254/.
     */
    public readonly url!: pulumi.Output<string>;
    /**
     * Where the load balancer accepts HTTPS: host:port (a docker pair: its virtual IP's 443). Behind an AWS Network Load Balancer
     * (lb.count 2), each of its Elastic IPs, one per zone, comma-separated
     * ("203.0.113.11:443, 203.0.113.12:443"): the domain's DNS record names them all.
     */
    public readonly loadBalancerAddress!: pulumi.Output<string>;
    /** Each server with its role, and its services with their addresses per network (docker) or "private"/"public" (aws). */
    public readonly servers!: pulumi.Output<ServerSummary[]>;
    /**
     * host:port where every write goes: the primary (dev: 10.77.2.3:3306), a Galera cluster's write address
     * (docker: 10.77.2.254:3306), or RDS's writer endpoint.
     */
    public readonly databaseWriterEndpoint!: pulumi.Output<string>;
    /**
     * host:port of each read replica (dev: 10.77.2.31:3306 and 10.77.2.32:3306; a Galera cluster's other nodes;
     * a Multi-AZ DB cluster's reader endpoint).
     */
    public readonly databaseReaderEndpoints!: pulumi.Output<string[]>;
    /** PEM of the CA to trust for the site's certificate (the provided certificate's chain with `tls.mode: provided`). */
    public readonly caCertificatePem!: pulumi.Output<string>;
    /**
     * PEM of the site's certificate chain as HAProxy serves it, leaf first (public): the blackbox probe trusts it alone,
     * and FoobarCertificateExpiresSoon fires 14 days before its leaf expires.
     */
    public readonly certificatePem!: pulumi.Output<string>;
    /** Mermaid flowchart of servers, services and allowed flows. */
    public readonly diagram!: pulumi.Output<string>;
    /** aws: names of the SSM parameters holding the secrets (never their values); docker: none (`[]`). */
    public readonly ssmParameterNames!: pulumi.Output<string[]>;
    /**
     * Prometheus (UI, API, alerts): on docker published on docker.bindAddress; on aws the load
     * balancer's private address, open to the VPC only. With two load balancers, the first's (the
     * second's: the next port on docker, its own instance on aws). Empty with monitoring off.
     */
    public readonly monitoringUrl!: pulumi.Output<string>;
    /**
     * The password Prometheus asks of operators (user "operator"), secret: `pulumi stack output --show-secrets
     * monitoringPassword`; "" with monitoring off.
     */
    public readonly monitoringPassword!: pulumi.Output<string>;
    /**
     * aws: the names of the CloudWatch alarms that watch the stack from outside it (each instance's status checks;
     * RDS's replica lag, free storage, CPU and connections; each NLB target group's unhealthy hosts); docker: none (`[]`).
     */
    public readonly monitoringAlarms!: pulumi.Output<string[]>;
    /**
     * aws: the ARN of the SNS topic every alarm notifies, going into ALARM and back to OK (subscribe e-mail with
     * `aws.alarmEmail`, or anything SNS delivers to); docker: "".
     */
    public readonly monitoringAlertTopic!: pulumi.Output<string>;

    constructor(name: string, args: FoobarInfraArgs = {}, opts?: pulumi.ComponentResourceOptions) {
        // Validate before super(): an invalid config must not register even the component.
        const resolved = validateArgs(args);
        const platform = PLATFORMS[resolved.platform];
        platform.preflight();
        super(FOOBAR_INFRA_TYPE, name, {}, opts);
        const topology = buildTopology(resolved);
        const deployment = platform.deploy({
            name,
            topology,
            credentials: (addresses) => createCredentials(name, resolved, this, addresses),
            parent: this,
        });
        const outputs = outputsOf({ ...deployment, diagram: pulumi.output(renderDiagram(topology)) });
        Object.assign(this, outputs);
        this.registerOutputs(outputs);
    }
}
