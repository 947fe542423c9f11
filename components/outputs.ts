// The stack outputs, declared once: the component's fields, defineStack's return, index.ts's
// exports and the README's outputs table (checked by test/unit/outputs.test.ts) all follow it.
import * as pulumi from "@pulumi/pulumi";
import { ServicePlan, Topology, serviceLabel } from "./topology";

export interface ServiceSummary {
    readonly service: string;
    /** The service's kind, for a database with its role ("mariadb-primary"). */
    readonly kind: string;
    /** Network name -> address (docker), or "private"/"public" -> address (aws). */
    readonly addresses: Record<string, string>;
}

export interface ServerSummary {
    readonly name: string;
    readonly role: string;
    readonly services: ServiceSummary[];
}

/** Every output of FoobarInfra, and of the program. */
export interface FoobarOutputs {
    /**
     * The site, e.g. https://www.foobar.com:8443/ (map the domain to the load balancer to open it);
     * a docker pair (lb.count 2): its virtual IP, https://10.77.0.254/.
     */
    readonly url: pulumi.Output<string>;
    /**
     * Where the load balancer accepts HTTPS: host:port (a docker pair: its virtual IP's 443). Behind an AWS Network Load Balancer
     * (lb.count 2), each of its Elastic IPs, one per zone, comma-separated
     * ("203.0.113.11:443, 203.0.113.12:443"): the domain's DNS record names them all.
     */
    readonly loadBalancerAddress: pulumi.Output<string>;
    /** Each server with its role, services and their addresses. */
    readonly servers: pulumi.Output<ServerSummary[]>;
    /** host:port where every write goes: the primary, a Galera cluster's write address, or RDS's writer endpoint. */
    readonly databaseWriterEndpoint: pulumi.Output<string>;
    /** host:port of each read replica (a Galera cluster's other nodes; a Multi-AZ DB cluster's reader endpoint). */
    readonly databaseReaderEndpoints: pulumi.Output<string[]>;
    /** PEM of the CA to trust for the site's certificate. */
    readonly caCertificatePem: pulumi.Output<string>;
    /** Mermaid flowchart of servers, services and allowed flows. */
    readonly diagram: pulumi.Output<string>;
    /** aws: names of the SSM parameters holding the secrets (never their values); docker: none. */
    readonly ssmParameterNames: pulumi.Output<string[]>;
    /**
     * Prometheus (UI, API, alerts): on docker published on docker.bindAddress; on aws the load
     * balancer's private address, open to the VPC only. With two load balancers, the first's (the
     * second's: the next port on docker, its own instance on aws). Empty with monitoring off.
     */
    readonly monitoringUrl: pulumi.Output<string>;
    /** The password Prometheus asks of operators (user "operator"), secret; "" with monitoring off. */
    readonly monitoringPassword: pulumi.Output<string>;
}

/** The outputs in the order the README lists them; the compiler checks that each is named once. */
export const OUTPUT_NAMES = [
    "url",
    "loadBalancerAddress",
    "servers",
    "databaseWriterEndpoint",
    "databaseReaderEndpoints",
    "caCertificatePem",
    "diagram",
    "ssmParameterNames",
    "monitoringUrl",
    "monitoringPassword",
] as const satisfies ReadonlyArray<keyof FoobarOutputs>;
type Unlisted = Exclude<keyof FoobarOutputs, (typeof OUTPUT_NAMES)[number]>;
/** Fails to compile, naming it, when an output of FoobarOutputs is missing from OUTPUT_NAMES. */
export const EVERY_OUTPUT_LISTED: [Unlisted] extends [never] ? true : Unlisted = true;

/** Exactly the outputs, as a plain object, from anything that has them (the component). */
export const outputsOf = (source: FoobarOutputs): FoobarOutputs => pick(source, OUTPUT_NAMES);

function pick<T extends object, K extends keyof T>(source: T, keys: readonly K[]): Pick<T, K> {
    return Object.fromEntries(keys.map((key) => [key, source[key]])) as Pick<T, K>;
}

/** Each server with its services and their addresses, as the `servers` output shows them. */
export function summarizeServers(topology: Topology, addressesOf: (service: ServicePlan) => Record<string, string>): ServerSummary[] {
    return topology.servers.map((server) => ({
        name: server.name,
        role: server.role,
        services: server.services.map((s) => ({ service: s.key, kind: serviceLabel(s), addresses: addressesOf(s) })),
    }));
}

/** Prometheus's address for operators, or "" with monitoring off. */
export function monitoringUrlOf(topology: Topology, host: string, port: number): string {
    return topology.monitors.length > 0 ? `http://${host}:${port}/` : "";
}
