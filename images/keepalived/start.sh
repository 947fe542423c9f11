#!/bin/sh
# Starts keepalived for one load balancer of a pair, and stops it without losing a request.
#
# Start: keepalived.conf names its interface as $EDGE_INTERFACE; Docker names interfaces in the
# order it connects networks, so the interface is found here by the VRRP address it holds
# (KEEPALIVED_UNICAST_SOURCE) and written where the config includes it.
#
# While HAProxy does not listen (it died, or restarts), new connections to the virtual IP are
# dropped, not refused (nftables, table foobar_vip): a client's SYN is retransmitted a second
# later, by when the track script has failed and the address has moved, instead of the client
# getting "connection refused" for those seconds. This needs HAProxy to bind the wildcard
# address (`bind :443`, components/render/haproxy.ts), which is what `socket wildcard 1` finds.
#
# Stop (SIGTERM, `docker stop`): moving the virtual IP at once would reset every connection still
# open to this HAProxy (the other one answers their next packet with RST). So first every new
# connection to the virtual IP is dropped: a client's SYN is retransmitted after a second, by
# when the address has moved. HAProxy, stopped at the same time, answers every
# request with "Connection: close" during its grace time (components/render/haproxy.ts), so the
# open connections end after their response. Once none is left (at most KEEPALIVED_DRAIN_SECONDS),
# keepalived stops: it sends priority 0 and the other router takes the address within a skew time.
set -eu

: "${KEEPALIVED_UNICAST_SOURCE:?the VRRP address of this router}"
: "${KEEPALIVED_VIRTUAL_ADDRESS:?the virtual IP}"
DRAIN_SECONDS="${KEEPALIVED_DRAIN_SECONDS:-4}"
CONFIG=/etc/keepalived/keepalived.conf

interface=$(ip -o -4 addr show | awk -v a="$KEEPALIVED_UNICAST_SOURCE" '{ split($4, p, "/"); if (p[1] == a) print $2 }')
if [ -z "$interface" ]; then
    echo "foobar-keepalived: no interface holds $KEEPALIVED_UNICAST_SOURCE" >&2
    exit 1
fi
mkdir -p /run/keepalived
# A keepalived config variable, literally "$EDGE_INTERFACE=<name>": no shell expansion meant.
# shellcheck disable=SC2016
printf '$EDGE_INTERFACE=%s\n' "$interface" > /run/keepalived/interface.conf
# A restarted container keeps its files: pid files of a keepalived that no longer runs would stop this one.
rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid
nft delete table inet foobar_vip 2>/dev/null || true
nft -f - <<NFT
table inet foobar_vip {
    chain input {
        type filter hook input priority filter; policy accept;
        ip daddr $KEEPALIVED_VIRTUAL_ADDRESS tcp dport { 80, 443 } tcp flags syn / syn,ack socket wildcard 1 accept
        ip daddr $KEEPALIVED_VIRTUAL_ADDRESS tcp dport { 80, 443 } tcp flags syn / syn,ack drop
    }
}
NFT

keepalived --dont-fork --log-console --log-detail --vrrp -f "$CONFIG" &
pid=$!

connections() {
    ss -Htn state established "( sport = :80 or sport = :443 )" src "$KEEPALIVED_VIRTUAL_ADDRESS" | wc -l
}

stop() {
    nft insert rule inet foobar_vip input ip daddr "$KEEPALIVED_VIRTUAL_ADDRESS" tcp dport "{ 80, 443 }" tcp flags syn / syn,ack drop
    waited=0
    while [ "$waited" -lt $((DRAIN_SECONDS * 10)) ] && [ "$(connections)" -gt 0 ]; do
        sleep 0.1
        waited=$((waited + 1))
    done
    echo "foobar-keepalived: drained in $((waited * 100)) ms, $(connections) connection(s) left; handing the address over"
    kill -TERM "$pid"
    wait "$pid" || true
    exit 0
}
trap stop TERM INT
wait "$pid"
