// The docker platform's images: one per kind of service, built from images/<name>/Dockerfile, each
// FROM one shared base (images/base) that holds every Debian package they run.
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { PACKAGE_ROOT } from "../../packageRoot";
import { ServiceKind, ServicePlan, Topology } from "../../topology";

export type DockerKind = Exclude<ServiceKind, "rds">;
/** The image each kind runs (images/<name>/Dockerfile). */
export const IMAGE_OF: Record<DockerKind, string> = {
    haproxy: "haproxy",
    keepalived: "keepalived",
    nginx: "nginx",
    app: "app",
    mariadb: "mariadb",
    prometheus: "prometheus",
    alertmanager: "alertmanager",
    "mysqld-exporter": "mysqld-exporter",
    "nginx-exporter": "nginx-exporter",
    "node-exporter": "node-exporter",
    "blackbox-exporter": "blackbox-exporter",
};

/** The image every other one is built FROM (images/base): its Dockerfiles name this tag. */
export const BASE_IMAGE = "base";

/** Image build contexts are the repository root, relative to where the program runs. */
const REPO_ROOT = path.relative(process.cwd(), PACKAGE_ROOT) || ".";

export const dockerKind = (s: ServicePlan): DockerKind => {
    if (s.kind === "rds") throw new Error(`${s.key} is RDS, which the docker platform does not run`);
    return s.kind;
};

/** One local image, built from images/<which>/Dockerfile as the provider builds (BuilderV1), never pushed. */
function image(name: string, which: string, opts: pulumi.CustomResourceOptions): docker.Image {
    return new docker.Image(
        `${name}-image-${which}`,
        {
            imageName: `foobar-infra/${which}:local`,
            build: {
                context: REPO_ROOT,
                dockerfile: path.join(REPO_ROOT, "images", which, "Dockerfile"),
                builderVersion: "BuilderV1",
            },
            skipPush: true,
        },
        opts,
    );
}

/**
 * The images this topology runs (no Prometheus image with monitoring off), in a fixed order, by
 * image name; and, first, the base they are built FROM. Each dependsOn the base: the engine
 * builds it first, then the others at once. The provider's builder (BuilderV1, no pull) takes a
 * FROM that names a local tag from the local engine, so nothing is pulled.
 */
export function createImages(name: string, topology: Topology, opts: pulumi.CustomResourceOptions): ReadonlyMap<string, docker.Image> {
    const imageNames = [...new Set(Object.values(IMAGE_OF))].filter((which) =>
        topology.services.some((s) => IMAGE_OF[dockerKind(s)] === which),
    );
    const base = image(name, BASE_IMAGE, opts);
    return new Map(imageNames.map((i) => [i, image(name, i, { ...opts, dependsOn: [base] })]));
}
