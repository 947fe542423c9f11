// Entry point of the foobar-infra Pulumi program: one FoobarInfra per stack, configured by the
// `foobar:` namespace of Pulumi.<stack>.yaml (see README.md for every key).
import { defineStack } from "./components/stack";

export const {
    url,
    loadBalancerAddress,
    servers,
    databaseWriterEndpoint,
    databaseReaderEndpoints,
    caCertificatePem,
    diagram,
    ssmParameterNames,
} = defineStack();
