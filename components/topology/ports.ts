// Every port the stack uses. Pure.

/** Every port the stack uses, in one place, so renderers and firewall rules cannot disagree. */
export const PORTS = {
    http: 80,
    https: 443,
    stats: 8404,
    nginx: 80,
    app: 3000,
    /** The app's own /metrics (FOOBAR_METRICS_PORT): Prometheus scrapes it, the site never serves it. */
    appMetrics: 9301,
    mysql: 3306,
    prometheus: 9090,
    /** Alertmanager's API and UI: Prometheus sends it the alerts. */
    alertmanager: 9093,
    /** Two Alertmanagers gossip here (TCP and UDP): silences, and who already sent which notification. */
    alertmanagerCluster: 9094,
    mysqldExporter: 9104,
    /** nginx's stub_status, for its exporter only (loopback on a VM, the server's own network on docker). */
    nginxStatus: 8081,
    /** prometheus-nginx-exporter beside each nginx. */
    nginxExporter: 9113,
    /** prometheus-node-exporter on every server: its disks, memory and clock. */
    nodeExporter: 9100,
    /** prometheus-blackbox-exporter: Prometheus asks it to probe the public URL. */
    blackboxExporter: 9115,
    /** A pair's HAProxy health frontend (render/haproxy.ts, PairInput): keepalived and an NLB ask it. */
    lbHealth: 8405,
    /** Galera's group communication (database.failover automatic): every commit is certified here. */
    galera: 4567,
    /** Galera's incremental state transfer: a node that rejoins gets what it missed. */
    galeraIst: 4568,
    /** Galera's full state transfer (mariabackup): a node with an empty volume gets a copy. */
    galeraSst: 4444,
} as const;
