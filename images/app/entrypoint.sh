#!/bin/sh
# Entrypoint of the foobar app container.
# Runs as root only to hand the uploaded secret files to user foobar (0400),
# then drops all privileges and execs node as foobar.
set -eu

secrets_dir=/etc/foobar/secrets
main=/opt/foobar-app/dist/main.js

if [ "$(id -u)" -ne 0 ]; then
    # Already unprivileged (e.g. `docker run --user`): just start.
    exec node "$main" "$@"
fi

if [ -d "$secrets_dir" ]; then
    find "$secrets_dir" -type f -exec chown foobar:foobar {} + -exec chmod 0400 {} +
fi

exec setpriv --reuid=foobar --regid=foobar --init-groups --no-new-privs \
    node "$main" "$@"
