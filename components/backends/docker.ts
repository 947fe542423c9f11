// The docker platform: maps the plan onto images, networks, volumes and one container per service.
// Thin on purpose: addresses come from dockerPlan, file contents from the shared renderers.
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Credentials } from "../credentials";
import { DockerPlan, planDockerNetworks } from "../dockerPlan";
import { PORTS, ServiceKind, ServicePlan, Topology, isFromOutside, service } from "../topology";
import { PROMETHEUS_DATA_PATH } from "../render/prometheus";
import { PlatformView, renderService } from "../services";

export const IMAGE_KINDS = ["haproxy", "nginx", "app", "mariadb", "prometheus", "mysqld-exporter"] as const;
type ImageKind = (typeof IMAGE_KINDS)[number];

/** Image build contexts are the repository root, relative to where the program runs. */
const REPO_ROOT = path.relative(process.cwd(), path.join(__dirname, "..", "..")) || ".";

const IMAGE_OF: Record<ServiceKind, ImageKind> = {
    haproxy: "haproxy",
    nginx: "nginx",
    app: "app",
    "mariadb-primary": "mariadb",
    "mariadb-replica": "mariadb",
    prometheus: "prometheus",
    "mysqld-exporter": "mysqld-exporter",
};

/** The signal each daemon finishes in-flight work on (nginx and HAProxy drop it on SIGTERM). */
const GRACEFUL_STOP: Record<ServiceKind, string> = {
    haproxy: "SIGUSR1",
    nginx: "SIGQUIT",
    app: "SIGTERM",
    "mariadb-primary": "SIGTERM",
    "mariadb-replica": "SIGTERM",
    prometheus: "SIGTERM",
    "mysqld-exporter": "SIGTERM",
};

/** Named volumes: data that must outlive its container. */
const DATA_PATH: Partial<Record<ServiceKind, string>> = {
    "mariadb-primary": "/var/lib/mysql",
    "mariadb-replica": "/var/lib/mysql",
    prometheus: PROMETHEUS_DATA_PATH,
};

export interface DockerDeployment {
    readonly plan: DockerPlan;
    readonly containers: ReadonlyMap<string, docker.Container>;
}

export function deployDocker(name: string, topology: Topology, credentials: Credentials, parent: pulumi.Resource): DockerDeployment {
    const plan = planDockerNetworks(topology);
    const opts = { parent };
    const stackLabel = { label: "foobar.stack", value: name };

    // Only the kinds this topology runs (no Prometheus image with monitoring off).
    const kinds = IMAGE_KINDS.filter((kind) => topology.services.some((s) => IMAGE_OF[s.kind] === kind));
    const images = new Map(
        kinds.map((kind) => [
            kind,
            new docker.Image(
                `${name}-image-${kind}`,
                {
                    imageName: `foobar-infra/${kind}:local`,
                    build: {
                        context: REPO_ROOT,
                        dockerfile: path.join(REPO_ROOT, "images", kind, "Dockerfile"),
                        builderVersion: "BuilderV1",
                    },
                    skipPush: true,
                },
                opts,
            ),
        ]),
    );
    const networks = new Map(
        plan.segments.map((segment) => [
            segment.name,
            new docker.Network(
                `${name}-${segment.name}`,
                {
                    name: `${name}-${segment.name}`,
                    driver: "bridge",
                    internal: segment.internal,
                    ipamConfigs: [{ subnet: segment.subnet, gateway: segment.gateway }],
                    labels: [stackLabel],
                },
                opts,
            ),
        ]),
    );

    const view = dockerView(topology, plan);
    const containers = new Map<string, docker.Container>();
    const create = (svc: ServicePlan, dependsOn: pulumi.Resource[]) => {
        const rendered = renderService(topology, svc, credentials, view);
        const labels = [stackLabel, { label: "foobar.server", value: svc.server }, { label: "foobar.service", value: svc.kind }];
        const attached = plan.segmentsOf(svc.key).map((segment) => ({
            name: (networks.get(segment.name) as docker.Network).name,
            ipv4Address: segment.members.get(svc.key) as string,
        }));
        const dataPath = DATA_PATH[svc.kind];
        const volumes = dataPath
            ? [
                  {
                      volumeName: new docker.Volume(
                          `${name}-${svc.key}-data`,
                          { name: `${name}-${svc.key}-data`, labels: [stackLabel] },
                          opts,
                      ).name,
                      containerPath: dataPath,
                  },
              ]
            : [];
        const container = new docker.Container(
            `${name}-${svc.key}`,
            {
                name: `${name}-${svc.key}`,
                image: (images.get(IMAGE_OF[svc.kind]) as docker.Image).repoDigest,
                hostname: svc.key,
                labels,
                // With networksAdvanced set, the provider takes the container off Docker's default
                // bridge before connecting these: no path around the firewall.
                networksAdvanced: attached,
                ports: publishedPorts(topology, svc),
                uploads: rendered.files.map((f) => ({ file: f.path, content: f.content })),
                envs: rendered.env?.map(([k, v]) => `${k}=${v}`),
                healthcheck: { tests: rendered.healthcheck, interval: "2s", timeout: "2s", retries: 3, startPeriod: "60s" },
                restart: "unless-stopped",
                stopSignal: GRACEFUL_STOP[svc.kind],
                // Longer than the app's drain: 3 s delay + 10 s grace (app/src/main.ts).
                stopTimeout: 20,
                volumes,
                logDriver: "json-file",
                logOpts: { "max-size": "10m", "max-file": "3" },
                // Dependants are created only once this answers its health check.
                wait: svc.kind === "mariadb-primary",
                waitTimeout: 120,
            },
            { parent, dependsOn },
        );
        containers.set(svc.key, container);
        return container;
    };

    const primary = create(service(topology, topology.primary), []);
    for (const key of topology.replicas) create(service(topology, key), [primary]);
    for (const key of topology.exporters) {
        const exporter = service(topology, key);
        create(exporter, [containers.get(exporter.watches as string) as docker.Container]);
    }
    const webContainers = topology.web.flatMap((w) => {
        const app = create(service(topology, w.app), [primary]);
        return [app, create(service(topology, w.nginx), [app])];
    });
    const haproxy = create(service(topology, topology.haproxy), webContainers);
    if (topology.prometheus) create(service(topology, topology.prometheus), [haproxy]);
    return { plan, containers };
}

/** How services see each other on docker: every service is its own host on the shared networks. */
function dockerView(topology: Topology, plan: DockerPlan): PlatformView {
    const segment = (name: string) => plan.segments.find((s) => s.name === name) as DockerPlan["segments"][number];
    const data = segment("data");
    return {
        reach: (from, to) => plan.reach(from, to),
        // Each app is alone in its container; the networks, not the bind address, keep it private.
        appListenHost: "0.0.0.0",
        statsAddress: segment("web").members.get(topology.haproxy) as string,
        publicHttpsPort: topology.args.docker.httpsPort,
        databaseClientHost: `${data.subnet.split(".").slice(0, 3).join(".")}.%`,
    };
}

/** Only what outside clients reach (the topology's internet and operator flows) is published. */
function publishedPorts(topology: Topology, svc: ServicePlan) {
    const { httpPort, httpsPort, prometheusPort, bindAddress } = topology.args.docker;
    const hostPort: Record<number, number> = { [PORTS.http]: httpPort, [PORTS.https]: httpsPort, [PORTS.prometheus]: prometheusPort };
    return topology.flows
        .filter((f) => isFromOutside(f) && f.to === svc.key)
        .map((f) => {
            const external = hostPort[f.port];
            if (external === undefined) throw new Error(`no docker.* host port is configured for ${f.to}'s port ${f.port}`);
            return { internal: f.port, external, ip: bindAddress, protocol: "tcp" };
        });
}
