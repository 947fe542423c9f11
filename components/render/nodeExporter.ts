// prometheus-node-exporter on every server: its flags, as Debian's /etc/default file carries them. Pure.
import { assertSafeToken, lines } from "./text";

/** Debian's prometheus-node-exporter unit reads its flags from here; the docker image's command too. */
export const NODE_EXPORTER_DEFAULTS_PATH = "/etc/default/prometheus-node-exporter";
export const NODE_JOB = "node";

/**
 * Filesystems under these are the system's own (pseudo filesystems, /run's tmpfs) or, in a
 * container, files Docker binds in from the host (/etc/hosts): none of them fills with data.
 */
export const IGNORED_MOUNT_POINTS = "^/(dev|proc|run|sys|etc)($|/)";

export interface NodeExporterFlagsInput {
    /** The address Prometheus scrapes it at, and the only one it listens on. */
    readonly listenAddress: string;
    readonly listenPort: number;
}

const HEADER = "# Rendered by foobar-infra (components/render/nodeExporter.ts). Do not edit by hand.";

export function renderNodeExporterDefaults(input: NodeExporterFlagsInput): string {
    assertSafeToken("node exporter listen address", input.listenAddress);
    const flags = [
        `--web.listen-address=${input.listenAddress}:${input.listenPort}`,
        `--collector.filesystem.mount-points-exclude=${IGNORED_MOUNT_POINTS}`,
    ];
    return lines(HEADER, `ARGS="${flags.join(" ")}"`);
}
