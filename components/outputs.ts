// The stack outputs, declared once: the component's fields, defineStack's return, index.ts's
// exports, the package schema and the README's outputs table (test/unit/outputs.test.ts) all follow it.
import * as pulumi from "@pulumi/pulumi";
import { ServicePlan, Topology, serviceLabel } from "./topology";

/** One service of a server. */
export interface ServiceSummary {
    /** Its name on the server, e.g. "nginx", "mariadb". */
    readonly service: string;
    /** The service's kind, for a database with its role ("mariadb-primary"). */
    readonly kind: string;
    /** Network name -> address (docker), or "private"/"public" -> address (aws). */
    readonly addresses: Record<string, string>;
}

/** One server of the stack. */
export interface ServerSummary {
    /** "server-1" … "server-N". */
    readonly name: string;
    /** What it is for: "web", "lb-db" (the load balancer beside the primary) or "lb" (the second load balancer). */
    readonly role: string;
    /** What runs on it. */
    readonly services: ServiceSummary[];
}

/**
 * Every output of FoobarInfra, and of the program. Documented on the FoobarInfra class
 * (components/foobarInfra.ts), where the package schema's analyzer reads each output's description.
 */
export interface FoobarOutputs {
    readonly url: pulumi.Output<string>;
    readonly loadBalancerAddress: pulumi.Output<string>;
    readonly servers: pulumi.Output<ServerSummary[]>;
    readonly databaseWriterEndpoint: pulumi.Output<string>;
    readonly databaseReaderEndpoints: pulumi.Output<string[]>;
    readonly caCertificatePem: pulumi.Output<string>;
    readonly certificatePem: pulumi.Output<string>;
    readonly diagram: pulumi.Output<string>;
    readonly ssmParameterNames: pulumi.Output<string[]>;
    readonly monitoringUrl: pulumi.Output<string>;
    readonly monitoringPassword: pulumi.Output<string>;
    readonly monitoringAlarms: pulumi.Output<string[]>;
    readonly monitoringAlertTopic: pulumi.Output<string>;
}

/** The outputs in the order the README lists them; the compiler checks that each is named once. */
export const OUTPUT_NAMES = [
    "url",
    "loadBalancerAddress",
    "servers",
    "databaseWriterEndpoint",
    "databaseReaderEndpoints",
    "caCertificatePem",
    "certificatePem",
    "diagram",
    "ssmParameterNames",
    "monitoringUrl",
    "monitoringPassword",
    "monitoringAlarms",
    "monitoringAlertTopic",
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
