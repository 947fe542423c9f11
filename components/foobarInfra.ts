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

export class FoobarInfra extends pulumi.ComponentResource implements FoobarOutputs {
    // The outputs, documented on FoobarOutputs (components/outputs.ts).
    public readonly url!: pulumi.Output<string>;
    public readonly loadBalancerAddress!: pulumi.Output<string>;
    public readonly servers!: pulumi.Output<ServerSummary[]>;
    public readonly databaseWriterEndpoint!: pulumi.Output<string>;
    public readonly databaseReaderEndpoints!: pulumi.Output<string[]>;
    public readonly caCertificatePem!: pulumi.Output<string>;
    public readonly diagram!: pulumi.Output<string>;
    public readonly ssmParameterNames!: pulumi.Output<string[]>;
    public readonly monitoringUrl!: pulumi.Output<string>;
    public readonly monitoringPassword!: pulumi.Output<string>;

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
