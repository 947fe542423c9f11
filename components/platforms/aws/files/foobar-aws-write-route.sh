#!/bin/sh
# The write address's role hook on EC2 (/etc/foobar/galera-role.d/, run by foobar-galera-role as
# root with keepalived's state). MASTER: resource-agents' aws-vpc-move-ip points the overlay
# address's route in every route table of the stack at this instance's network interface
# (ReplaceRoute) and holds the address on it; any other state: the address goes from this
# instance at once (keepalived removes its own copy too), so a node that lost the election never
# answers for it. The route is the new holder's to move.
set -u
state="${1:?the keepalived state: MASTER, BACKUP, FAULT or STOP}"
# FOOBAR_WRITE_IP, FOOBAR_ROUTE_TABLES (comma-separated), FOOBAR_REGION, FOOBAR_OWN_ADDRESS.
# shellcheck disable=SC1091
. /etc/foobar/aws-write-route.env
# The agent runs `aws --profile default`: a profile of that name must exist (region only; the
# credentials are the instance role's, from IMDSv2). root's own files, where there are some, still count.
export AWS_CONFIG_FILE=/etc/foobar/aws-write-route.cfg HOME=/root
interface=$(ip -o -4 addr show | awk -v a="$FOOBAR_OWN_ADDRESS" '{ split($4, p, "/"); if (p[1] == a) print $2 }')
if [ -z "$interface" ]; then
    echo "foobar-aws-write-route: no interface holds $FOOBAR_OWN_ADDRESS" >&2
    exit 1
fi
# foobar-galera-role runs its hooks one call at a time, and notes the latest state keepalived
# gave at once (a node can be MASTER for a moment: two backups answering a priority 0 advert
# together, the lower one yields within an advert). A MASTER acts once the election has settled
# (2 s: four adverts) and only if it is still the latest; a BACKUP unless a MASTER came after it.
latest=/run/foobar-galera-role.state
still_latest() { [ "$(cat "$latest")" = "$state" ]; }
[ "$state" = MASTER ] && sleep 2
if ! still_latest; then
    echo "foobar-aws-write-route: $state superseded by $(cat "$latest"): nothing done"
    exit 0
fi
case "$state" in
    MASTER)
        # keepalived holds the address (virtual_ipaddress) exactly while this node is MASTER.
        if ! ip -o -4 addr show dev "$interface" | grep -q " $FOOBAR_WRITE_IP/"; then
            echo "foobar-aws-write-route: MASTER no longer (keepalived gave $FOOBAR_WRITE_IP up): the route stays"
            exit 0
        fi
        # Retried: the API may throttle, and a route left on the old node is an outage.
        for attempt in 1 2 3 4 5; do
            if OCF_ROOT=/usr/lib/ocf \
                OCF_RESKEY_ip="$FOOBAR_WRITE_IP" \
                OCF_RESKEY_routing_table="$FOOBAR_ROUTE_TABLES" \
                OCF_RESKEY_interface="$interface" \
                OCF_RESKEY_region="$FOOBAR_REGION" \
                OCF_RESKEY_lookup_type=NetworkInterfaceId \
                OCF_RESKEY_profile=default \
                OCF_RESKEY_awscli=/usr/local/sbin/foobar-aws \
                /usr/lib/ocf/resource.d/heartbeat/aws-vpc-move-ip start; then
                echo "foobar-aws-write-route: $FOOBAR_WRITE_IP routed to this instance ($interface)"
                if ! still_latest; then
                    ip addr del "$FOOBAR_WRITE_IP/32" dev "$interface" 2>/dev/null || true
                    echo "foobar-aws-write-route: $(cat "$latest") meanwhile: $FOOBAR_WRITE_IP dropped here" >&2
                fi
                exit 0
            fi
            echo "foobar-aws-write-route: aws-vpc-move-ip start failed (attempt $attempt)" >&2
            sleep 2
        done
        exit 1
        ;;
    *)
        ip addr del "$FOOBAR_WRITE_IP/32" dev "$interface" 2>/dev/null || true
        echo "foobar-aws-write-route: $state: $FOOBAR_WRITE_IP dropped here"
        ;;
esac
