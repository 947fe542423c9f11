#!/bin/sh
# Exits 0 while this Galera node may take writes: a member of the majority (Primary component,
# wsrep_ready ON) that is synced (local state 4) or is a donor of a state transfer (2: mariabackup
# copies without blocking writes, so the writer stays the writer while a node rejoins). keepalived's track script (as nobody,
# through the socket with unix_socket auth) and Docker's health check (as root) run it.
set -u
status=$(mariadb --connect-timeout=1 -Nse \
    "SHOW GLOBAL STATUS WHERE Variable_name IN ('wsrep_cluster_status', 'wsrep_local_state', 'wsrep_ready')" 2>/dev/null) || exit 1
printf '%s\n' "$status" | grep -qx 'wsrep_cluster_status[[:space:]]*Primary' || exit 1
printf '%s\n' "$status" | grep -Eqx 'wsrep_local_state[[:space:]]*(2|4)' || exit 1
printf '%s\n' "$status" | grep -qx 'wsrep_ready[[:space:]]*ON' || exit 1
