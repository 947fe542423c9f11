#!/bin/bash
# foobar-galera-start: starts this VM's node of a Galera cluster (database.failover automatic),
# run by foobar-galera.service at every boot (components/vm/galera.ts). The VM's twin of the docker
# image's images/mariadb/galera/start.sh, with the same decision; systemd runs the daemons here:
# Debian's mariadb.service (its ExecStartPre runs galera_recovery), Debian's galera_new_cluster,
# and keepalived.service once this unit is done.
#
# Whether this node may start a new cluster (--wsrep-new-cluster), as in start.sh, only:
# - the plan's bootstrap node (FOOBAR_GALERA_BOOTSTRAP=1) that was never a member (no grastate.dat:
#   the package's first start ran without wsrep) when no other node answers on Galera's port (the
#   package's own server, started at install without wsrep, answers on the database port);
# - a node that left the cluster last (grastate.dat: safe_to_bootstrap: 1).
# Anything else joins the cluster its peers run, retrying while none answers yet.
set -euo pipefail

# FOOBAR_GALERA_BOOTSTRAP, FOOBAR_GALERA_PEERS, KEEPALIVED_UNICAST_SOURCE (services/galera.ts).
# shellcheck disable=SC1091
. /etc/foobar/galera.env
: "${FOOBAR_GALERA_BOOTSTRAP:?1 on the node that may start a new cluster, else 0}"
: "${FOOBAR_GALERA_PEERS:?the other nodes addresses, space-separated}"
: "${KEEPALIVED_UNICAST_SOURCE:?this node address, where the write address is added}"
DATADIR=/var/lib/mysql
BOOTSTRAP_SQL=/etc/mysql/foobar/bootstrap.sql
SYNC_TIMEOUT_SECONDS=1800

log() { echo "foobar-galera: $*" >&2; }

peer_answers() {
    local peer
    for peer in $FOOBAR_GALERA_PEERS; do
        if timeout 1 bash -c "exec 3<>/dev/tcp/$peer/4567" 2>/dev/null; then return 0; fi
    done
    return 1
}

# A node whose join failed after its state transfer (gcs "Sending JOIN failed", SELF-LEAVE; seen
# under CPU starvation) stays up, Disconnected, and Galera never connects it again by itself.
disconnected() {
    mariadb --connect-timeout=1 -Nse "SHOW GLOBAL STATUS LIKE 'wsrep_connected'" 2>/dev/null |
        grep -qx 'wsrep_connected[[:space:]]*OFF'
}
DISCONNECTED_LIMIT_SECONDS=30

# keepalived's config includes the interface that holds this node's address (render/keepalived.ts).
interface=$(ip -o -4 addr show | awk -v a="$KEEPALIVED_UNICAST_SOURCE" '{ split($4, p, "/"); if (p[1] == a) print $2 }')
if [ -z "$interface" ]; then
    log "no interface holds $KEEPALIVED_UNICAST_SOURCE"
    exit 1
fi
mkdir -p /run/keepalived
# shellcheck disable=SC2016
printf '$DATA_INTERFACE=%s\n' "$interface" > /run/keepalived/data-interface.conf

# The package's own server (started at install, without wsrep) or a leftover: start from stopped.
systemctl stop mariadb

new_cluster=0
if [ ! -e "$DATADIR/grastate.dat" ]; then
    if [ "$FOOBAR_GALERA_BOOTSTRAP" = 1 ] && ! peer_answers; then
        log "never a member and no other node answers: starting a new cluster"
        new_cluster=1
    else
        log "never a member: joining the cluster (a full state transfer from a donor)"
    fi
elif grep -Eq '^safe_to_bootstrap: *1' "$DATADIR/grastate.dat"; then
    log "this node left the cluster last (grastate.dat safe_to_bootstrap: 1): starting the cluster again"
    new_cluster=1
else
    log "joining the cluster (mariadb.service recovers the position first)"
fi

if [ "$new_cluster" = 1 ]; then
    galera_new_cluster
else
    # A joiner fails to start while no peer is up yet (the stack's first boot): try again.
    for attempt in $(seq 60); do
        if systemctl start mariadb; then break; fi
        log "could not join yet (attempt $attempt); retrying in 10 s"
        systemctl reset-failed mariadb || true
        sleep 10
    done
fi

# Galera runs no init_file: the schema and users are applied once the node is a synced member
# (idempotent statements, replicated to the others like any DDL).
# Disconnected for 30 s on the way (a failed join): mariadb.service starts again and joins anew.
deadline=$((SECONDS + SYNC_TIMEOUT_SECONDS))
since=""
until /usr/local/bin/foobar-galera-check; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        log "not a synced member after ${SYNC_TIMEOUT_SECONDS} s"
        exit 1
    fi
    if disconnected; then
        since=${since:-$SECONDS}
        if [ $((SECONDS - since)) -ge "$DISCONNECTED_LIMIT_SECONDS" ]; then
            log "Disconnected from the cluster for ${DISCONNECTED_LIMIT_SECONDS} s: restarting mariadb to join again"
            systemctl restart mariadb || systemctl reset-failed mariadb || true
            since=""
        fi
    else
        since=""
    fi
    sleep 2
done
mariadb < "$BOOTSTRAP_SQL"
log "synced; bootstrap SQL applied"
