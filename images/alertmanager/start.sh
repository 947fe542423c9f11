#!/bin/sh
# Starts Alertmanager of www.foobar.com with the flags Debian's systemd unit uses on EC2: ARGS from
# /etc/default/prometheus-alertmanager, word-split on purpose. Started as root only to hand the
# data volume (silences and the log of sent notifications) to user prometheus when another uid
# owns it (a volume made by an earlier image, see images/base), then runs as prometheus.
set -eu

data=/var/lib/prometheus/alertmanager

# shellcheck source=/dev/null # uploaded at deploy (components/render/alertmanager.ts)
. /etc/default/prometheus-alertmanager

if [ "$(id -u)" -ne 0 ]; then
    # shellcheck disable=SC2086 # ARGS holds several flags
    exec /usr/bin/prometheus-alertmanager $ARGS
fi

if [ -d "$data" ] && [ "$(stat -c %u "$data")" != "$(id -u prometheus)" ]; then
    echo "foobar-alertmanager: $data is owned by uid $(stat -c %u "$data"), not prometheus's; re-owning it" >&2
    chown -R prometheus:prometheus "$data"
fi

# shellcheck disable=SC2086 # ARGS holds several flags
exec setpriv --reuid=prometheus --regid=prometheus --init-groups --no-new-privs \
    /usr/bin/prometheus-alertmanager $ARGS
