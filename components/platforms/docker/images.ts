// The docker platform's images: one per kind of service, built from images/<name>/Dockerfile.
import * as path from "path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ServiceKind, ServicePlan, Topology } from "../../topology";

export type DockerKind = Exclude<ServiceKind, "rds">;
/** The image each kind runs (images/<name>/Dockerfile). */
export const IMAGE_OF: Record<DockerKind, string> = {
    haproxy: "haproxy",
    nginx: "nginx",
    app: "app",
    mariadb: "mariadb",
    prometheus: "prometheus",
    "mysqld-exporter": "mysqld-exporter",
};

/** Image build contexts are the repository root, relative to where the program runs. */
const REPO_ROOT = path.relative(process.cwd(), path.join(__dirname, "..", "..", "..")) || ".";

export const dockerKind = (s: ServicePlan): DockerKind => {
    if (s.kind === "rds") throw new Error(`${s.key} is RDS, which the docker platform does not run`);
    return s.kind;
};

/** The images this topology runs (no Prometheus image with monitoring off), in a fixed order, by image name. */
export function createImages(name: string, topology: Topology, opts: pulumi.CustomResourceOptions): ReadonlyMap<string, docker.Image> {
    const imageNames = [...new Set(Object.values(IMAGE_OF))].filter((image) =>
        topology.services.some((s) => IMAGE_OF[dockerKind(s)] === image),
    );
    return new Map(
        imageNames.map((image) => [
            image,
            new docker.Image(
                `${name}-image-${image}`,
                {
                    imageName: `foobar-infra/${image}:local`,
                    build: {
                        context: REPO_ROOT,
                        dockerfile: path.join(REPO_ROOT, "images", image, "Dockerfile"),
                        builderVersion: "BuilderV1",
                    },
                    skipPush: true,
                },
                opts,
            ),
        ]),
    );
}
