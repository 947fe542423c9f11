// The docker platform's resources: images, networks, volumes and one container per service.
// Thin on purpose: addresses come from plan.ts, file contents from the shared renderers.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { Credentials, credentialOf } from "../../credentials";
import { SECRET_NAMES, ServiceFile, renderService } from "../../services";
import { PORTS, STOP_TIMEOUT_SECONDS, ServicePlan, Topology, isFromOutside, primaryOf, replicasOf, serviceLabel } from "../../topology";
import { CONTAINER_HEALTHCHECK, DATA_PATH, GRACEFUL_STOP, WATCHED_VOLUMES_ROOT } from "./containerSettings";
import { IMAGE_OF, createImages, dockerKind } from "./images";
import { DockerPlan } from "./plan";
import { dockerView } from "./view";

export { CONTAINER_HEALTHCHECK, WATCHED_VOLUMES_ROOT, goDuration } from "./containerSettings";

export function createContainers(
    name: string,
    topology: Topology,
    plan: DockerPlan,
    credentials: Credentials,
    parent: pulumi.Resource,
): ReadonlyMap<string, docker.Container> {
    const opts = { parent };
    const stackLabel = { label: "foobar.stack", value: name };
    const images = createImages(name, topology, opts);
    const networks = new Map(
        plan.segments.map((segment) => [
            segment.name,
            new docker.Network(
                `${name}-${segment.name}`,
                {
                    name: `${name}-${segment.name}`,
                    driver: "bridge",
                    internal: segment.internal,
                    ipamConfigs: [
                        { subnet: segment.subnet, gateway: segment.gateway, ...(segment.ipRange ? { ipRange: segment.ipRange } : {}) },
                    ],
                    labels: [stackLabel],
                },
                opts,
            ),
        ]),
    );
    const context = { topology, view: dockerView(topology, plan) };
    const containers = new Map<string, docker.Container>();
    // A HAProxy of a keepalived pair joins its keepalived's network namespace: the virtual IP
    // keepalived adds is then HAProxy's, and keepalived's track script reaches HAProxy on loopback.
    // keepalived's container holds the namespace (as a Kubernetes pod's pause container does): it
    // outlives a HAProxy that dies and restarts, and it alone needs NET_ADMIN.
    const placement = (svc: ServicePlan) => {
        const holder = topology.keepalived.find((k) => k.haproxy === svc);
        if (holder) {
            const keepalived = containers.get(holder.key) ?? missing(`container ${holder.key}`);
            return { networkMode: pulumi.interpolate`container:${keepalived.id}` };
        }
        return {
            hostname: svc.key,
            // The probe asks for the site by its public name, which leads here to the front address.
            ...(svc.kind === "blackbox-exporter" ? { hosts: [{ host: topology.args.domain, ip: frontAddress(topology, plan) }] } : {}),
            // With networksAdvanced set, the provider takes the container off Docker's default
            // bridge before connecting these: no path around the firewall.
            networksAdvanced: plan.segmentsOf(svc).map((segment) => ({
                name: networks.get(segment.name)?.name ?? missing(`network ${segment.name}`),
                ipv4Address: plan.addressOn(segment.name, svc),
            })),
            ports: publishedPorts(topology, svc),
            // keepalived adds and removes its virtual IP (a Galera node runs its own keepalived).
            ...(svc.kind === "keepalived" || (svc.kind === "mariadb" && topology.galera) ? { capabilities: { adds: ["NET_ADMIN"] } } : {}),
        };
    };
    const volumeNames = new Map<string, pulumi.Output<string>>();
    // A node exporter mounts the data volumes of the services on its server, each at its service's name.
    const watchedVolumes = (svc: ServicePlan) =>
        svc.kind === "node-exporter"
            ? topology.services
                  .filter((s) => s.server === svc.server && volumeNames.has(s.key))
                  .map((s) => ({
                      volumeName: volumeNames.get(s.key) ?? missing(`volume of ${s.key}`),
                      containerPath: `${WATCHED_VOLUMES_ROOT}/${serviceLabel(s)}`,
                      readOnly: true,
                  }))
            : [];
    const create = (svc: ServicePlan, dependsOn: pulumi.Resource[], waitHealthy: boolean) => {
        const kind = dockerKind(svc);
        const rendered = renderService(context, svc);
        const dataPath = DATA_PATH[kind];
        const volume = (containerPath: string) => {
            // The data outlives the container: a replaced container mounts the same volume.
            const volumeName = new docker.Volume(
                `${name}-${svc.key}-data`,
                { name: `${name}-${svc.key}-data`, labels: [stackLabel] },
                { parent, protect: topology.args.production },
            ).name;
            volumeNames.set(svc.key, volumeName);
            return { volumeName, containerPath };
        };
        const container = new docker.Container(
            `${name}-${svc.key}`,
            {
                name: `${name}-${svc.key}`,
                image: images.get(IMAGE_OF[kind])?.repoDigest ?? missing(`image ${IMAGE_OF[kind]}`),
                labels: [stackLabel, { label: "foobar.server", value: svc.server }, { label: "foobar.service", value: serviceLabel(svc) }],
                ...placement(svc),
                uploads: rendered.files.map((f) => ({ file: f.path, content: contentOf(f, credentials, svc) })),
                envs: rendered.env?.map(([k, v]) => `${k}=${v}`),
                healthcheck: {
                    tests: [...rendered.healthcheck],
                    ...CONTAINER_HEALTHCHECK,
                },
                restart: "unless-stopped",
                stopSignal: GRACEFUL_STOP[kind],
                stopTimeout: STOP_TIMEOUT_SECONDS,
                // The provider stops a container it deletes with this timeout, 0 (an immediate
                // SIGKILL) when unset: the graceful stop above needs it on every replace and destroy.
                destroyGraceSeconds: STOP_TIMEOUT_SECONDS,
                volumes: [...(dataPath ? [volume(dataPath)] : []), ...watchedVolumes(svc)],
                logDriver: "json-file",
                logOpts: { "max-size": "10m", "max-file": "3" },
                // Created means healthy: what depends on it starts only once it answers.
                wait: waitHealthy,
                waitTimeout: 120,
            },
            // The provider replaces containers delete-before-replace (a fixed name cannot exist
            // twice; pulumi-docker's resources.go sets it too): said here, where it is relied on.
            { parent, dependsOn, deleteBeforeReplace: true },
        );
        containers.set(svc.key, container);
        return container;
    };

    // Nothing waits for the primary to be healthy: replicas retry their connection every 2 s
    // (MASTER_CONNECT_RETRY) and the app connects per request, so they may start beside it. A
    // Galera cluster's other nodes do wait: the first node must have started the cluster alone
    // (images/mariadb/galera/start.sh starts one only when no other node answers).
    const primary = create(primaryOf(topology), [], topology.galera !== undefined);
    const exporterOf = (db: ServicePlan) => topology.exporters.find((e) => e.watches === db);
    const primaryExporter = exporterOf(primaryOf(topology));
    if (primaryExporter) create(primaryExporter, [primary], false);
    // Web servers one after another: every container of server-k waits for server-(k-1)'s to be
    // healthy, so a change to all of them replaces (deletes, then creates) one server at a time
    // and the others keep serving (README, "Updating the stacks"). Only what a later server waits
    // for waits to be healthy itself: the last server's containers count as created once started.
    let previousServer: docker.Container[] = [];
    const webContainers = topology.web.flatMap((w, index) => {
        const after = (...deps: docker.Container[]) => [...deps, ...previousServer];
        const waited = index < topology.web.length - 1;
        const onServer: docker.Container[] = [];
        for (const replica of replicasOf(topology).filter((r) => r.server === w.server)) {
            const db = create(replica, after(primary), waited);
            const exporter = exporterOf(replica);
            onServer.push(db, ...(exporter ? [create(exporter, after(primary), waited)] : []));
        }
        // nginx does not wait for its app either (it proxies to a fixed address): a server's
        // containers start together, and the next server waits one health interval, not a chain.
        onServer.push(create(w.app, after(primary), waited), create(w.nginx, after(primary), waited));
        previousServer = onServer;
        return onServer;
    });
    const placed = new Set(containers.keys());
    const unplaced = topology.services.filter(
        (s) =>
            !placed.has(s.key) &&
            !["haproxy", "keepalived", "prometheus", "alertmanager", "blackbox-exporter", "node-exporter", "nginx-exporter"].includes(
                s.kind,
            ),
    );
    if (unplaced.length > 0) throw new Error(`the docker platform placed no container for ${unplaced.map((s) => s.key).join(", ")}`);
    // Load balancers one after another too, each after the web servers: the second's containers
    // wait for the first's to be healthy, so an update never takes both down at once. A keepalived
    // pair starts with the preferred router (the highest priority), which so takes the address.
    const priority = (lb: ServicePlan) => topology.keepalived.find((k) => k.haproxy === lb)?.priority ?? 0;
    const ordered = [...topology.loadBalancers].sort((a, b) => priority(b) - priority(a));
    let previousBalancer: docker.Container[] = [];
    const balancers = ordered.flatMap((lb, index) => {
        const waited = index < topology.loadBalancers.length - 1;
        const deps = [...webContainers, ...previousBalancer];
        const keepalived = topology.keepalived.filter((k) => k.haproxy === lb).map((k) => create(k, deps, waited));
        previousBalancer = [...keepalived, create(lb, [...deps, ...keepalived], waited)];
        return previousBalancer;
    });
    // Prometheus, Alertmanager and the blackbox exporter last (a pair's Alertmanager finds its peer by
    // retrying); then each node exporter, once every volume of its server exists.
    for (const watcher of [...topology.monitors, ...topology.alertmanagers, ...topology.probers, ...topology.nginxExporters])
        create(watcher, balancers, false);
    for (const exporter of topology.nodeExporters) {
        const onServer = topology.services.filter((s) => s.server === exporter.server && containers.has(s.key));
        create(exporter, [...balancers, ...onServer.map((s) => containers.get(s.key) ?? missing(`container ${s.key}`))], false);
    }
    return containers;
}

/** The address clients reach the site at on "edge": the pair's floating one, or the single HAProxy's. */
function frontAddress(topology: Topology, plan: DockerPlan): string {
    if (plan.floatingAddress) return plan.floatingAddress.split("/")[0];
    const [haproxy] = topology.loadBalancers;
    return plan.addressOn("edge", haproxy);
}

function missing(what: string): never {
    throw new Error(`the docker platform created no ${what}`);
}

/** A file's upload: its text, or for a file made from credentials, a secret Output of them (this service's own). */
function contentOf(file: ServiceFile, credentials: Credentials, service: ServicePlan): pulumi.Input<string> {
    if ("content" in file) return file.content;
    const values = pulumi.all(SECRET_NAMES.map((n) => credentialOf(credentials, n, service.key) ?? pulumi.output(undefined)));
    return pulumi.secret(
        values.apply((resolved) =>
            file.withSecrets((secret) => resolved[SECRET_NAMES.indexOf(secret)] ?? missing(`secret ${secret} for ${file.path}`)),
        ),
    );
}

/**
 * Only what outside clients reach (the topology's internet and operator flows) is published. (A
 * keepalived pair's HAProxies get no ports at all: they live in keepalived's network namespace,
 * see `placement`, and clients reach them on the virtual IP.) Each load-balancer server's
 * Prometheus takes the next port from docker.prometheusPort.
 */
function publishedPorts(topology: Topology, svc: ServicePlan) {
    const { httpPort, httpsPort, prometheusPort, bindAddress } = topology.args.docker;
    const ordinal = Math.max(
        0,
        topology.loadBalancers.findIndex((lb) => lb.server === svc.server),
    );
    const hostPort: Record<number, number> = {
        [PORTS.http]: httpPort,
        [PORTS.https]: httpsPort,
        [PORTS.prometheus]: prometheusPort + ordinal,
    };
    return topology.flows
        .filter((f) => isFromOutside(f) && f.to === svc)
        .map((f) => {
            const external = hostPort[f.port] ?? missing(`docker.* host port for ${f.to.key}'s port ${f.port}`);
            return { internal: f.port, external, ip: bindAddress, protocol: "tcp" };
        });
}
