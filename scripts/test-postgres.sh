# Sourced by test.sh: a PostgreSQL server for the tests.
# - UNO_JOBS_TEST_PG_DSN already set, or a server listening at 127.0.0.1:5432: left alone
#   (the tests use postgresql://postgres@127.0.0.1:5432/postgres, trust auth).
# - Otherwise (a fresh Debian machine): installs Debian's `postgresql` package when
#   initdb is missing, starts a throwaway cluster (initdb + pg_ctl, as the postgres
#   user, trust auth, on a free port, data in a temp dir), exports UNO_JOBS_TEST_PG_DSN,
#   and stops and deletes the cluster when the calling shell exits.
# UNO_JOBS_TEST_PG_THROWAWAY=1 forces the throwaway cluster (to test this script).
if [ -z "${UNO_JOBS_TEST_PG_DSN:-}" ] && { [ "${UNO_JOBS_TEST_PG_THROWAWAY:-0}" = 1 ] \
    || ! (exec 3<>/dev/tcp/127.0.0.1/5432) 2>/dev/null; }; then
  PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
  if [ -z "$PG_BIN" ] || [ ! -x "$PG_BIN/initdb" ]; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      postgresql >/dev/null
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
  fi
  PG_AS=""; [ "$(id -u)" -eq 0 ] && PG_AS="runuser -u postgres --"
  PG_DIR="$(mktemp -d /tmp/uno-jobs-pg.XXXXXX)"
  [ -n "$PG_AS" ] && chown postgres "$PG_DIR"
  PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  $PG_AS "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust >/dev/null
  $PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off" start >/dev/null
  trap '$PG_AS "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1; rm -rf "$PG_DIR"' EXIT
  export UNO_JOBS_TEST_PG_DSN="postgresql://postgres@127.0.0.1:$PG_PORT/postgres"
  echo "PostgreSQL: throwaway cluster at $UNO_JOBS_TEST_PG_DSN" >&2
fi
