// The program behind index.ts: read the stack config, build the component, return its outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stack";
import { FoobarInfra } from "./foobarInfra";

export function defineStack() {
    const infra = new FoobarInfra(`foobar-${pulumi.getStack()}`, readStackConfig() as never);
    return {
        url: infra.url,
        loadBalancerAddress: infra.loadBalancerAddress,
        servers: infra.servers,
        databaseWriterEndpoint: infra.databaseWriterEndpoint,
        databaseReaderEndpoints: infra.databaseReaderEndpoints,
        caCertificatePem: infra.caCertificatePem,
        diagram: infra.diagram,
    };
}
