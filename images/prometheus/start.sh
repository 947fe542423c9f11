#!/bin/sh
# Starts Prometheus of www.foobar.com with the flags Debian's systemd unit uses on EC2: ARGS from
# /etc/default/prometheus, word-split on purpose. Started as root only to hand the data volume
# to user prometheus when it belongs to another uid (a volume made by an earlier image: the uids
# follow the order the packages' postinsts ran in, images/base), then runs as prometheus.
set -eu

data=/var/lib/prometheus/metrics2

# shellcheck source=/dev/null # uploaded at deploy (components/render/prometheus.ts)
. /etc/default/prometheus

if [ "$(id -u)" -ne 0 ]; then
    # shellcheck disable=SC2086 # ARGS holds several flags
    exec /usr/bin/prometheus $ARGS
fi

if [ -d "$data" ] && [ "$(stat -c %u "$data")" != "$(id -u prometheus)" ]; then
    echo "foobar-prometheus: $data is owned by uid $(stat -c %u "$data"), not prometheus's; re-owning it" >&2
    chown -R prometheus:prometheus "$data"
fi

# shellcheck disable=SC2086 # ARGS holds several flags
exec setpriv --reuid=prometheus --regid=prometheus --init-groups --no-new-privs \
    /usr/bin/prometheus $ARGS
