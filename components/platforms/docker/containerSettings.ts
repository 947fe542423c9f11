// The settings every container of a kind gets, whatever its service: how it stops, how Docker
// checks it, where its data lives. Pure.
import { ALERTMANAGER_DATA_PATH } from "../../render/alertmanager";
import { PROMETHEUS_DATA_PATH } from "../../render/prometheus";
import { DockerKind } from "./images";

/** The signal each daemon finishes in-flight work on (nginx and HAProxy drop it on SIGTERM). */
export const GRACEFUL_STOP: Record<DockerKind, string> = {
    haproxy: "SIGUSR1",
    // Its start script drains, then hands the address over (images/keepalived/start.sh).
    keepalived: "SIGTERM",
    nginx: "SIGQUIT",
    app: "SIGTERM",
    mariadb: "SIGTERM",
    prometheus: "SIGTERM",
    alertmanager: "SIGTERM",
    "mysqld-exporter": "SIGTERM",
    "nginx-exporter": "SIGTERM",
    "node-exporter": "SIGTERM",
    "blackbox-exporter": "SIGTERM",
};

/** Where a server's node exporter sees that server's data volumes (read-only): the disks that fill. */
export const WATCHED_VOLUMES_ROOT = "/srv/volumes";

/**
 * The container health check is for Docker (restart decisions, `docker ps`, the deploy's `wait`),
 * not for failure detection: HAProxy checks the web servers every second and Prometheus scrapes
 * the rest. Each check is a `docker exec`, which costs the engine tens of milliseconds of CPU, so
 * they come 30 s apart (every 2 s, a dozen containers kept two cores 60% busy at rest). Docker
 * 25+ could check faster while a container starts (start_interval), but the provider refuses that
 * field on older engines (API < 1.44) such as Debian 12's Docker 20.10, where the first check
 * comes one interval after the start: a `wait`ed container counts as created after about 30 s.
 */
export const CONTAINER_HEALTHCHECK = {
    interval: goDuration(30),
    timeout: goDuration(5),
    retries: 3,
    startPeriod: goDuration(60),
} as const;

/** Named volumes: data that must outlive its container (Alertmanager's: silences, and what it already sent). */
export const DATA_PATH: Partial<Record<DockerKind, string>> = {
    mariadb: "/var/lib/mysql",
    prometheus: PROMETHEUS_DATA_PATH,
    alertmanager: ALERTMANAGER_DATA_PATH,
};

/**
 * Durations as Go prints them (time.Duration.String: "2s", "1m0s"): the provider reads the health
 * check back in that form, so any other spelling ("60s") shows as a diff after every refresh.
 */
export function goDuration(seconds: number): string {
    if (!Number.isInteger(seconds) || seconds < 0) throw new Error(`goDuration takes whole seconds, got ${seconds}`);
    const [h, m, s] = [Math.floor(seconds / 3600), Math.floor((seconds % 3600) / 60), seconds % 60];
    if (h > 0) return `${h}h${m}m${s}s`;
    return m > 0 ? `${m}m${s}s` : `${s}s`;
}
