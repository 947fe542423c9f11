// The database alerts, from the mysqld exporters: a database that does not answer, replication that
// stopped or lags, a primary that no longer waits for a replica. Pure.

export const MYSQLD_JOB = "mysqld";

/** From the mysqld exporters: a database that does not answer, replication that stopped or lags. */
export function databaseRules(scrape: number, semiSync: boolean) {
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
