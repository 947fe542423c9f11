#!/bin/sh
# keepalived's notify script for the write address (as root): keepalived calls it with
# INSTANCE <name> <state> <priority> on every change. The node holding the address (MASTER) takes
# writes; in any other state it is read_only, so the app's writes reach one node only.
# Executables in /etc/foobar/galera-role.d/ run after, with the state (e.g. aws: move the route).
set -u
state="${3:?keepalived passes the state third}"
# keepalived starts its notify script without waiting for it, so a slow call (a MASTER for a
# moment, then BACKUP) could finish after a later one and leave read_only off on a reader. Each
# call notes its state as the latest at once, the calls then run one at a time, and a call whose
# state is no longer the latest does nothing.
latest=/run/foobar-galera-role.state
echo "$state" > "$latest"
exec 9> /run/foobar-galera-role.lock
flock 9
if [ "$(cat "$latest")" != "$state" ]; then
    echo "foobar-galera-role: $state superseded by $(cat "$latest"): nothing done"
    exit 0
fi
case "$state" in
    MASTER) value=OFF ;;
    *) value=ON ;;
esac
done=0
for attempt in 1 2 3 4 5; do
    if mariadb --connect-timeout=1 -e "SET GLOBAL read_only = $value"; then
        echo "foobar-galera-role: $state: read_only = $value"
        done=1
        break
    fi
    echo "foobar-galera-role: $state: setting read_only = $value failed (attempt $attempt)" >&2
    sleep 1
done
for hook in /etc/foobar/galera-role.d/*; do
    if [ -x "$hook" ]; then "$hook" "$state" || echo "foobar-galera-role: $hook $state failed" >&2; fi
done
[ "$done" = 1 ]
