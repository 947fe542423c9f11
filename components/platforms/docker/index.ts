// The docker platform: the whole site as local containers on one Docker engine, no cloud account.
import * as pulumi from "@pulumi/pulumi";
import { monitoringUrlOf, summarizeServers } from "../../outputs";
import { PORTS, primaryOf, replicasOf } from "../../topology";
import { DeployContext, Deployment, Platform } from "../platform";
import { createContainers } from "./containers";
import { planDockerNetworks } from "./plan";

export const dockerPlatform: Platform = {
    // Nothing to check beyond stack config: the Docker engine answers at `pulumi up`.
    preflight() {},

    deploy({ name, topology, credentials: makeCredentials, parent }: DeployContext): Deployment {
        const { args } = topology;
        const plan = planDockerNetworks(topology);
        // Each database server's certificate names the address its clients use: its data-network one.
        const databases = topology.databases.filter((d) => d.kind === "mariadb");
        // A keepalived pair is reached on its virtual IP: the site certificate names it too.
        const floatingIp = plan.floatingAddress?.split("/")[0];
        // Every node of a Galera cluster may hold the write address: each certificate names it too.
        const writeIp = plan.writeAddress?.split("/")[0];
        const credentials = makeCredentials({
            public: floatingIp ? [floatingIp] : [],
            database: new Map(databases.map((d) => [d.key, [plan.addressOn("data", d), ...(writeIp ? [writeIp] : [])]])),
        });
        const containers = createContainers(name, topology, plan, credentials, parent);
        const { httpsPort, bindAddress, prometheusPort } = args.docker;
        // The outputs wait for the containers: a URL is only reported for a running site.
        const ready = pulumi.all([...containers.values()].map((c) => c.id));
        const servers = summarizeServers(topology, (s) =>
            Object.fromEntries(plan.segmentsOf(s).map((n) => [n.name, plan.addressOn(n.name, s)])),
        );
        return {
            url: ready.apply(() =>
                floatingIp ? `https://${floatingIp}/` : `https://${args.domain}${httpsPort === PORTS.https ? "" : `:${httpsPort}`}/`,
            ),
            loadBalancerAddress: pulumi.output(floatingIp ? `${floatingIp}:${PORTS.https}` : `${bindAddress}:${httpsPort}`),
            servers: pulumi.output(servers),
            databaseWriterEndpoint: pulumi.output(`${writeIp ?? plan.addressOn("data", primaryOf(topology))}:${PORTS.mysql}`),
            databaseReaderEndpoints: pulumi.output(replicasOf(topology).map((r) => `${plan.addressOn("data", r)}:${PORTS.mysql}`)),
            caCertificatePem: credentials.caCertificatePem,
            certificatePem: credentials.certificatePem,
            ssmParameterNames: pulumi.output<string[]>([]),
            monitoringUrl: pulumi.output(monitoringUrlOf(topology, bindAddress, prometheusPort)),
            monitoringPassword: pulumi.secret(credentials.prometheusPassword ?? pulumi.output("")),
            // CloudWatch alarms and their SNS topic are the aws platform's (alarms.ts); Prometheus alerts here.
            monitoringAlarms: pulumi.output<string[]>([]),
            monitoringAlertTopic: pulumi.output(""),
        };
    },
};
