#!/bin/bash
# Starts one node of a Galera cluster (database.failover automatic) and the keepalived that moves
# the write address, and stops them in that order's reverse. Called by the image's entrypoint
# once the data directory exists; FOOBAR_GALERA_FRESH=1 when the entrypoint has just created it.
#
# Whether this node may start a new cluster (--wsrep-new-cluster) is the one decision Galera
# leaves to whoever starts it; starting two clusters would split the data, so only:
# - the plan's bootstrap node (FOOBAR_GALERA_BOOTSTRAP=1), on an empty volume, when no other node
#   answers on Galera's port: the stack's first deploy (the other nodes are created after it
#   is healthy); a bootstrap node whose volume is replaced while the others run joins them;
# - a node that left the cluster last (grastate.dat: safe_to_bootstrap: 1, which Galera writes
#   on a clean stop of the last member only), after every node was stopped.
# After every node crashed at once, none may: Galera's pc.recovery re-forms the last majority by
# itself once they are back. Anything else joins the cluster its peers run.
set -euo pipefail

: "${FOOBAR_GALERA_BOOTSTRAP:?1 on the node that may start a new cluster, else 0}"
: "${FOOBAR_GALERA_PEERS:?the other nodes addresses, space-separated}"
: "${KEEPALIVED_UNICAST_SOURCE:?this node address, where the write address is added}"
FRESH="${FOOBAR_GALERA_FRESH:-0}"
DATADIR=/var/lib/mysql
BOOTSTRAP_SQL=/etc/mysql/foobar/bootstrap.sql

log() { echo "foobar-galera: $*" >&2; }

# Galera's own port, not the database's: only a node running wsrep listens there.
peer_answers() {
    local peer
    for peer in $FOOBAR_GALERA_PEERS; do
        if timeout 1 bash -c "exec 3<>/dev/tcp/$peer/4567" 2>/dev/null; then return 0; fi
    done
    return 1
}

# A node whose join failed after its state transfer (gcs "Sending JOIN failed", SELF-LEAVE; seen
# under CPU starvation) stays up, Disconnected, and Galera never connects it again by itself.
# A node cut off the network is not that: it stays connected, in a non-Primary component.
disconnected() {
    mariadb --connect-timeout=1 -Nse "SHOW GLOBAL STATUS LIKE 'wsrep_connected'" 2>/dev/null |
        grep -qx 'wsrep_connected[[:space:]]*OFF'
}
DISCONNECTED_LIMIT_SECONDS=30

start_args=()
if [ "$FRESH" = 1 ]; then
    if [ "$FOOBAR_GALERA_BOOTSTRAP" = 1 ] && ! peer_answers; then
        log "empty volume and no other node answers: starting a new cluster"
        start_args+=(--wsrep-new-cluster)
    else
        log "empty volume: joining the cluster (a full state transfer from a donor)"
    fi
elif grep -Eq '^safe_to_bootstrap: *1' "$DATADIR/grastate.dat" 2>/dev/null; then
    log "this node left the cluster last (grastate.dat safe_to_bootstrap: 1): starting the cluster again"
    start_args+=(--wsrep-new-cluster)
else
    # After a crash, the position InnoDB recovered: the others then send only what is missing.
    position=$(galera_recovery 2>/dev/null || true)
    log "joining the cluster from ${position:-an unknown position}"
    if [ -n "$position" ]; then start_args+=("$position"); fi
fi

interface=$(ip -o -4 addr show | awk -v a="$KEEPALIVED_UNICAST_SOURCE" '{ split($4, p, "/"); if (p[1] == a) print $2 }')
if [ -z "$interface" ]; then
    log "no interface holds $KEEPALIVED_UNICAST_SOURCE"
    exit 1
fi
mkdir -p /run/keepalived
# A keepalived config variable, literally "$DATA_INTERFACE=<name>": no shell expansion meant.
# shellcheck disable=SC2016
printf '$DATA_INTERFACE=%s\n' "$interface" > /run/keepalived/data-interface.conf
rm -f /run/keepalived.pid /run/vrrp.pid

mariadbd --user=mysql "${start_args[@]}" "$@" &
db=$!

# Galera runs no init_file: the schema and users are applied once the node is a synced member
# (idempotent statements, replicated to the others like any DDL).
(
    until foobar-galera-check; do
        kill -0 "$db" 2>/dev/null || exit 0
        sleep 1
    done
    if mariadb < "$BOOTSTRAP_SQL"; then log "bootstrap SQL applied"; else log "bootstrap SQL failed"; fi
) &

# Disconnected for 30 s: end mariadbd, and so the node; Docker starts it again and it joins anew.
(
    since=""
    while kill -0 "$db" 2>/dev/null; do
        if disconnected; then
            since=${since:-$SECONDS}
            if [ $((SECONDS - since)) -ge "$DISCONNECTED_LIMIT_SECONDS" ]; then
                log "Disconnected from the cluster for ${DISCONNECTED_LIMIT_SECONDS} s: restarting the node to join again"
                kill -TERM "$db" 2>/dev/null || true
                for _ in $(seq 60); do
                    kill -0 "$db" 2>/dev/null || exit 0
                    sleep 1
                done
                kill -KILL "$db" 2>/dev/null || true
                exit 0
            fi
        else
            since=""
        fi
        sleep 5
    done
) &

keepalived --dont-fork --log-console --log-detail --vrrp -f /etc/keepalived/keepalived.conf &
vrrp=$!

# Stop: the write address first (keepalived sends priority 0, another node takes it at once),
# then the server, which leaves the cluster cleanly.
# shellcheck disable=SC2317 # called by the trap below
stop() {
    kill -TERM "$vrrp" 2>/dev/null || true
    wait "$vrrp" || true
    kill -TERM "$db" 2>/dev/null || true
    wait "$db" || true
    exit 0
}
trap stop TERM INT

# Either one ending ends the node: Docker then restarts it whole (restart: unless-stopped).
status=0
wait -n "$db" "$vrrp" || status=$?
log "mariadbd or keepalived ended (status $status); stopping the node"
kill -TERM "$vrrp" "$db" 2>/dev/null || true
wait || true
exit 1
