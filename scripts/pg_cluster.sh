#!/usr/bin/env bash
# A throw-away PostgreSQL cluster for the tests (and for trying the server
# catalog by hand): Debian's postgresql-15 binaries, run as an unprivileged
# user, listening on 127.0.0.1 only, on a free port, its data in DIR.
#
#   scripts/pg_cluster.sh start DIR   prints the owner's URI on stdout:
#                                     postgresql://hashwatch_owner@127.0.0.1:PORT/hashwatch
#   scripts/pg_cluster.sh restart DIR restarts it on the same port (tests of a
#                                     server restart mid-scan)
#   scripts/pg_cluster.sh stop DIR    stops it (DIR is left for the log)
#
# The database `hashwatch` belongs to the role `hashwatch_owner` (LOGIN,
# CREATEROLE, CREATEDB: the tests make a database each), which installs the catalog (`hashwatch server init`) and creates
# the centres' login roles. Authentication is `trust` on the loopback address:
# a test cluster for this machine's own processes, never a deployment
# (docs/deployment.md says how a real server is set up). fsync is off: the
# data is thrown away.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|restart|stop DIR" >&2
  exit 2
fi

bindir=/usr/lib/postgresql/15/bin
if [ ! -x "$bindir/postgres" ]; then
  echo "$0: PostgreSQL 15 is not installed ($bindir/postgres); scripts/run.sh installs it" >&2
  exit 2
fi

# initdb and postgres refuse to run as root: as root, the cluster runs as
# nobody, in a folder that nobody owns.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  as_owner=(setpriv --reuid=nobody --regid=nogroup --clear-groups --)
fi

case "$cmd" in
  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    if [ "$(id -u)" -eq 0 ]; then chown nobody:nogroup "$dir"; fi
    chmod 700 "$dir"
    if [ ! -f "$dir/data/PG_VERSION" ]; then
      "${as_owner[@]}" "$bindir/initdb" -D "$dir/data" -U postgres -A trust --no-sync \
        -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
        { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    # A free port: the first in a random range that nothing listens on and
    # that the server could bind.
    port=$((20000 + RANDOM % 20000))
    started=0
    for _ in $(seq 1 20); do
      if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
        if "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
          -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off -c max_connections=200" \
          start >/dev/null 2>&1; then
          started=1
          break
        fi
      fi
      port=$((port + 1))
    done
    if [ "$started" -ne 1 ]; then
      echo "$0: could not start PostgreSQL (see $dir/server.log)" >&2
      tail -20 "$dir/server.log" >&2 || true
      exit 1
    fi
    echo "$port" >"$dir/port"
    psql=("$bindir/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$port" -U postgres)
    "${psql[@]}" -d postgres -c "CREATE ROLE hashwatch_owner LOGIN CREATEROLE CREATEDB" >/dev/null
    "${psql[@]}" -d postgres -c "CREATE DATABASE hashwatch OWNER hashwatch_owner" >/dev/null
    echo "postgresql://hashwatch_owner@127.0.0.1:$port/hashwatch"
    ;;
  restart)
    "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -m fast -w -t 60 \
      restart >/dev/null
    ;;
  stop)
    if [ -f "$dir/data/postmaster.pid" ]; then
      "${as_owner[@]}" "$bindir/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    ;;
  *)
    echo "usage: $0 start|restart|stop DIR" >&2
    exit 2
    ;;
esac
