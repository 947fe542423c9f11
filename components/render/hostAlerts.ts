// The alerts on each server's own health (from the node exporters: a filling disk, memory running
// out, a clock adrift) and on the site as a visitor sees it (from the blackbox probes: down from
// outside, a certificate about to expire). Pure.
import { BLACKBOX_JOB } from "./blackbox";
import { NODE_JOB } from "./nodeExporter";

/** Alert when a filesystem is fuller than this, in percent. */
export const DISK_FULL_PERCENT = 85;
/** Alert when less than this share of the memory is available. */
export const MEMORY_AVAILABLE_MIN_RATIO = 0.1;
/** Alert when the certificate the site shows expires within this many days. */
export const CERTIFICATE_WARNING_DAYS = 14;
/** An NTP-disciplined clock is within milliseconds; beyond this, TLS, logs and Galera suffer. */
export const CLOCK_OFFSET_MAX_SECONDS = 0.05;

/** From the node exporters on every server. `scrape`: the scrape interval in seconds. */
export function hostRules(scrape: number): object[] {
    const settle = `${2 * scrape}s`;
    // Our targets only (each labelled with its server): Debian's prometheus package scrapes its own
    // localhost:9100 as job "node" from install until our config replaces its own, on every VM.
    const node = `job="${NODE_JOB}",host!=""`;
    return [
        {
            alert: "FoobarDiskAlmostFull",
            expr: `100 * (1 - node_filesystem_avail_bytes{${node}} / node_filesystem_size_bytes{${node}}) > ${DISK_FULL_PERCENT}`,
            for: settle,
            labels: { severity: "warning" },
            annotations: {
                summary: '{{ $labels.mountpoint }} on {{ $labels.host }} is {{ $value | printf "%.0f" }}% full',
                description: `Over ${DISK_FULL_PERCENT}%: a full disk stops the database (writes fail) and Prometheus. Free space or grow the volume.`,
            },
        },
        {
            alert: "FoobarMemoryPressure",
            expr: `node_memory_MemAvailable_bytes{${node}} / node_memory_MemTotal_bytes{${node}} < ${MEMORY_AVAILABLE_MIN_RATIO}`,
            for: "5m",
            labels: { severity: "warning" },
            annotations: {
                summary: "{{ $labels.host }} has {{ $value | humanizePercentage }} of its memory available",
                description:
                    "Below 10%: the kernel is about to kill a process (MariaDB is the largest). Find what grew, or give the server more memory.",
            },
        },
        {
            alert: "FoobarClockNotSynchronised",
            // The kernel's own verdict (adjtimex), as the node exporter's mixin reads it.
            expr: `min_over_time(node_timex_sync_status{${node}}[5m]) == 0 and node_timex_maxerror_seconds{${node}} >= 16`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The clock of {{ $labels.host }} is not synchronised",
                description: "No time source disciplines it: it drifts. Check its NTP client (systemd-timesyncd or chrony).",
            },
        },
        {
            alert: "FoobarClockSkew",
            expr: `abs(node_timex_offset_seconds{${node}}) > ${CLOCK_OFFSET_MAX_SECONDS}`,
            for: "10m",
            labels: { severity: "warning" },
            annotations: {
                summary: "The clock of {{ $labels.host }} is {{ $value | humanizeDuration }} off",
                description: "Certificates, logs and metrics disagree on time. Check its NTP client and its time sources.",
            },
        },
    ];
}

/** From the blackbox probes of the public URL. */
export function probeRules(scrape: number): object[] {
    const probe = `job="${BLACKBOX_JOB}"`;
    return [
        {
            alert: "FoobarSiteUnreachable",
            expr: `probe_success{${probe}} == 0`,
            for: `${2 * scrape}s`,
            labels: { severity: "critical" },
            annotations: {
                summary: "{{ $labels.instance }} fails from outside, probed from {{ $labels.host }}",
                description:
                    "A visitor's request (DNS, the front address, TLS with the site's certificate, a load balancer, nginx, an app) fails. Open the URL; then look at the load balancers.",
            },
        },
        {
            alert: "FoobarCertificateExpiresSoon",
            expr: `probe_ssl_earliest_cert_expiry{${probe}} - time() < ${CERTIFICATE_WARNING_DAYS} * 86400`,
            for: `${2 * scrape}s`,
            labels: { severity: "warning" },
            annotations: {
                summary: "The certificate of {{ $labels.instance }} expires in {{ $value | humanizeDuration }}",
                description: `Within ${CERTIFICATE_WARNING_DAYS} days browsers will refuse the site. Renew it and deploy the new one (tls config).`,
            },
        },
    ];
}
