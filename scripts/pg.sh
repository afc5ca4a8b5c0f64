#!/usr/bin/env bash
# Makes sure a PostgreSQL server answers on 127.0.0.1:5432 with a database `test` for the test suite.
# If one already listens there it is used as it is. Otherwise Debian's postgresql is installed when missing
# and a throwaway cluster is started in a temporary directory (trust auth, user postgres), left running for
# the tests; its directory is printed. Never skips: exits non-zero when no server can be had.
set -euo pipefail

HOST=127.0.0.1
PORT=${FIELDVOICE_PG_PORT:-5432}  # another port only to try this script beside a running server

listening() {
    (exec 3<>"/dev/tcp/$HOST/$PORT") 2>/dev/null
}

if listening; then
    echo "pg.sh: PostgreSQL already listening on $HOST:$PORT"
    if command -v psql >/dev/null; then
        psql -h "$HOST" -p "$PORT" -U postgres -d postgres -tAc "select 1 from pg_database where datname = 'test'" \
            | grep -q 1 || psql -h "$HOST" -p "$PORT" -U postgres -d postgres -c "create database test" >/dev/null
    fi
    exit 0
fi

find_bindir() {
    local d
    for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V -r); do
        if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then
            echo "$d"
            return 0
        fi
    done
    return 1
}

if ! BINDIR=$(find_bindir); then
    echo "pg.sh: installing Debian's postgresql"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO=sudo
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
    BINDIR=$(find_bindir) || { echo "pg.sh: postgresql installed but initdb not found" >&2; exit 1; }
fi

DATA=$(mktemp -d /tmp/fieldvoice-pg.XXXXXX)
# initdb and the server refuse to run as root: use the postgres system user when we are root.
RUN=()
if [ "$(id -u)" -eq 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home-dir "$DATA" postgres
    chown postgres "$DATA"
    RUN=(runuser -u postgres --)
fi
"${RUN[@]}" "$BINDIR/initdb" -D "$DATA/data" -U postgres --auth=trust -E UTF8 >/dev/null
"${RUN[@]}" "$BINDIR/pg_ctl" -D "$DATA/data" -l "$DATA/server.log" -w \
    -o "-k /tmp -p $PORT -c listen_addresses=$HOST -c fsync=off -c max_connections=200" start >/dev/null
"$BINDIR/psql" -h "$HOST" -p "$PORT" -U postgres -d postgres -c "create database test" >/dev/null 2>&1 \
    || "${RUN[@]}" "$BINDIR/createdb" -h "$HOST" -p "$PORT" -U postgres test
echo "pg.sh: throwaway PostgreSQL on $HOST:$PORT, data in $DATA (stop: pg_ctl -D $DATA/data stop)"
