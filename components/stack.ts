// The program behind index.ts: read the stack config, build the component, return its outputs.
import * as pulumi from "@pulumi/pulumi";
import { readStackConfig } from "./config/stack";
import { FoobarInfraArgs } from "./config/args";
import { FoobarInfra } from "./foobarInfra";

export function defineStack() {
    // Stack config is untyped JSON; FoobarInfra's validateArgs checks every key before use.
    const infra = new FoobarInfra(`foobar-${pulumi.getStack()}`, readStackConfig() as FoobarInfraArgs);
    return {
        url: infra.url,
        loadBalancerAddress: infra.loadBalancerAddress,
        servers: infra.servers,
        databaseWriterEndpoint: infra.databaseWriterEndpoint,
        databaseReaderEndpoints: infra.databaseReaderEndpoints,
        caCertificatePem: infra.caCertificatePem,
        diagram: infra.diagram,
        ssmParameterNames: infra.ssmParameterNames,
        monitoringUrl: infra.monitoringUrl,
    };
}
