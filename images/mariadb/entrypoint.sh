#!/bin/sh
# Entrypoint of the foobar MariaDB container: prepares the runtime dirs and the
# uploaded bootstrap SQL, initialises an empty data dir, then execs mariadbd.
set -eu

# `docker run IMAGE some-command ...` runs that command instead of the server;
# arguments starting with "-" are passed on to mariadbd.
if [ "$#" -gt 0 ] && [ "${1#-}" = "$1" ]; then
    exec "$@"
fi

datadir=/var/lib/mysql

install -d -o mysql -g mysql -m 0755 /run/mysqld

# Uploaded SQL (e.g. bootstrap.sql, read by init_file) is readable by mysql only.
for f in /etc/mysql/foobar/*.sql; do
    [ -e "$f" ] || continue
    chown mysql:mysql "$f"
    chmod 0400 "$f"
done

# A data directory made by an image whose mysql user had another uid (the uids follow the order
# the packages' postinsts ran in: images/base) is handed to this image's mysql first.
if [ -d "$datadir/mysql" ] && [ "$(stat -c %u "$datadir")" != "$(id -u mysql)" ]; then
    echo "foobar-mariadb: $datadir is owned by uid $(stat -c %u "$datadir"), not mysql's; re-owning it" >&2
    chown -R mysql:mysql "$datadir"
fi

fresh=0
if [ ! -d "$datadir/mysql" ]; then
    fresh=1
    echo "foobar-mariadb: initialising empty data directory $datadir" >&2
    install -d -o mysql -g mysql -m 0755 "$datadir"
    mariadb-install-db --user=mysql --datadir="$datadir" --skip-test-db \
        --auth-root-authentication-method=socket
    chown -R mysql:mysql "$datadir"
fi

# A node of a Galera cluster (the service sets FOOBAR_GALERA_BOOTSTRAP): started with its keepalived.
if [ -n "${FOOBAR_GALERA_BOOTSTRAP:-}" ]; then
    FOOBAR_GALERA_FRESH="$fresh" exec /usr/local/bin/foobar-galera-start "$@"
fi

exec mariadbd --user=mysql "$@"
