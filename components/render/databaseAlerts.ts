// The database alerts, from the mysqld exporters: a database that does not answer, replication that
// stopped or lags, a primary that no longer waits for a replica; for a Galera cluster, a node out of
// the cluster, and a write address on no node, on two, or on another node than before. Pure.

export const MYSQLD_JOB = "mysqld";

/**
 * The role label of a Galera node's exporter target (database.failover automatic): the nodes are
 * alike and the writer moves, so no target is labelled primary or replica.
 */
export const GALERA_TARGET_ROLE = "node";

/** What the rules need of a Galera cluster. */
export interface GaleraMonitoring {
    /** The nodes the plan has (the primary and its replicas): fewer in the cluster is an alert. */
    readonly nodes: number;
}

/**
 * From the mysqld exporters: a database that does not answer, replication that stopped or lags. A
 * Galera cluster replicates otherwise (no replica threads, no semi-sync), so it gets its own rules.
 */
export function databaseRules(scrape: number, semiSync: boolean, galera?: GaleraMonitoring): object[] {
    return galera ? galeraRules(scrape, galera) : replicationRules(scrape, semiSync);
}

function replicationRules(scrape: number, semiSync: boolean) {
    const settle = `${2 * scrape}s`;
    const down = (role: string) => `up{job="${MYSQLD_JOB}",role="${role}"} == 0 or mysql_up{job="${MYSQLD_JOB}",role="${role}"} == 0`;
    return [
        {
            alert: "FoobarPrimaryDatabaseDown",
            expr: down("primary"),
            for: settle,
            labels: { severity: "critical" },
            annotations: {
                summary: "The primary database on {{ $labels.host }} does not answer",
                description: "Every write goes to the primary: while it is down, visits are not recorded and the site answers errors.",
            },
        },
        {
            alert: "FoobarReplicaDatabaseDown",
            expr: down("replica"),
            for: settle,
            labels: { severity: "warning" },
            annotations: {
                summary: "The replica on {{ $labels.host }} does not answer",
                description: "Its readers fall back to the primary, which now carries every read as well as every write.",
            },
        },
        {
            alert: "FoobarReplicationStopped",
            expr: `mysql_slave_status_slave_io_running{job="${MYSQLD_JOB}"} == 0 or mysql_slave_status_slave_sql_running{job="${MYSQLD_JOB}"} == 0`,
            for: settle,
            labels: { severity: "warning" },
            annotations: {
                summary: "The replica on {{ $labels.host }} does not replicate",
                description: "Its reads fall further behind the primary. Check SHOW SLAVE STATUS there (and whether the primary is up).",
            },
        },
        {
            alert: "FoobarReplicationLagging",
            expr: `mysql_slave_status_seconds_behind_master{job="${MYSQLD_JOB}"} > 30`,
            // A minute, and never fewer than two scrapes.
            for: `${Math.max(60, 2 * scrape)}s`,
            labels: { severity: "warning" },
            annotations: {
                summary: "The replica on {{ $labels.host }} is {{ $value }} s behind the primary",
                description: "Visit counts read there are stale by that much.",
            },
        },
        ...(semiSync
            ? [
                  {
                      alert: "FoobarSemiSyncOff",
                      expr: `mysql_global_status_rpl_semi_sync_master_status{job="${MYSQLD_JOB}",role="primary"} == 0`,
                      for: settle,
                      labels: { severity: "warning" },
                      annotations: {
                          summary: "The primary on {{ $labels.host }} commits without waiting for a replica",
                          description:
                              "No replica acknowledged a commit within the semi-sync timeout, so the primary went asynchronous: a write acknowledged now may be on the primary alone. It turns semi-sync on again once a replica catches up.",
                      },
                  },
              ]
            : []),
    ];
}

/**
 * A node outside the majority or not yet synced gets a minute (never fewer than two scrapes): a node
 * that starts or rejoins passes through both on its way in.
 */
const GALERA_LINGER_SECONDS = 60;
/** How long FoobarDatabaseWriterMoved stays up after the write address moved. */
export const WRITER_MOVED_MINUTES = 10;

/**
 * mysqld_exporter 0.14 (Debian's) turns SHOW GLOBAL STATUS and SHOW GLOBAL VARIABLES into
 * mysql_global_status_<name> and mysql_global_variables_<name>, strings included: "Primary" is 1,
 * "non-Primary" and "Disconnected" 0, ON 1 and OFF 0 (collector.go, parseStatus).
 * wsrep_local_state: 1 joining, 2 donor or desynced, 3 joined, 4 synced (0 outside a primary component).
 */
function galeraRules(scrape: number, { nodes }: GaleraMonitoring): object[] {
    if (!Number.isInteger(nodes) || nodes < 3)
        throw new Error(`refusing to render alerts for a Galera cluster of ${nodes} nodes: a quorum needs 3`);
    const settle = `${2 * scrape}s`;
    const linger = `${Math.max(GALERA_LINGER_SECONDS, 2 * scrape)}s`;
    const majority = Math.floor(nodes / 2) + 1;
    const of = (metric: string) => `${metric}{job="${MYSQLD_JOB}",role="${GALERA_TARGET_ROLE}"}`;
    const readOnly = of("mysql_global_variables_read_only");
    const status = of("mysql_global_status_wsrep_cluster_status");
    const state = of("mysql_global_status_wsrep_local_state");
    // A writer: read_only off (keepalived's notify turns it off on the write address's holder only)
    // and ready (wsrep_ready: a member of the majority that accepts statements; a node cut off is not).
    const writers = `${readOnly} == 0 and on (instance) ${of("mysql_global_status_wsrep_ready")} == 1`;
    return [
        {
            alert: "FoobarDatabaseNodeDown",
            expr: `${of("up")} == 0 or ${of("mysql_up")} == 0`,
            for: settle,
            labels: { severity: "warning" },
            annotations: {
                summary: "The Galera node on {{ $labels.host }} does not answer",
                description: `The others carry on while ${majority} of ${nodes} reach each other; it rejoins by itself.`,
            },
        },
        {
            alert: "FoobarDatabaseNodeOutsideMajority",
            expr: `${status} == 0`,
            for: linger,
            labels: { severity: "warning" },
            annotations: {
                summary: "The Galera node on {{ $labels.host }} is outside the cluster's majority",
                description: "It refuses statements; it rejoins once it reaches the others.",
            },
        },
        {
            alert: "FoobarDatabaseNodeNotSynced",
            // Outside the majority a node is not synced either: that alert says it.
            expr: `(${state} != 4 and ${state} != 2) unless on (instance) ${status} == 0`,
            for: linger,
            labels: { severity: "warning" },
            annotations: {
                summary: "The Galera node on {{ $labels.host }} is not synced (wsrep_local_state {{ $value }})",
                description: "A state transfer stuck or slow: see the WSREP lines of its log.",
            },
        },
        {
            alert: "FoobarDatabaseClusterShrunk",
            // The majority's view: a node cut off from it counts only its own, smaller component.
            expr: `max(${of("mysql_global_status_wsrep_cluster_size")}) < ${nodes}`,
            for: settle,
            labels: { severity: "warning" },
            annotations: {
                summary: `The Galera cluster has {{ $value }} of its ${nodes} nodes`,
                description: "Each missing node brings it closer to no majority.",
            },
        },
        {
            alert: "FoobarDatabaseNoWriter",
            // A failover leaves at most two evaluations without a writer: keepalived moves the
            // address within about 2 s, and the old writer's series go stale at its first failed scrape.
            expr: `absent(${writers})`,
            for: settle,
            labels: { severity: "critical" },
            annotations: {
                summary: "No Galera node takes writes",
                description: "Visits are not recorded: no majority, or no node holds the write address (README runbook).",
            },
        },
        {
            alert: "FoobarDatabaseMultipleWriters",
            expr: `count(${writers}) > 1`,
            for: settle,
            labels: { severity: "critical" },
            annotations: {
                summary: "{{ $value }} Galera nodes take writes",
                description: "Writes on two nodes abort each other (README runbook).",
            },
        },
        {
            alert: "FoobarDatabaseWriterMoved",
            // Another node took writes within the window: not at the first election (one writer only).
            expr: `(${writers}) and on () count(min_over_time(${readOnly}[${WRITER_MOVED_MINUTES}m]) == 0) > 1`,
            labels: { severity: "warning" },
            annotations: {
                summary: "The database writer moved to {{ $labels.host }}",
                description: `A failover: find why the old writer lost the address. Resolves in ${WRITER_MOVED_MINUTES} minutes.`,
            },
        },
    ];
}
