#!/usr/bin/env bash
# Set up (first run only) and run the whole test suite, lint included.
# Installs Debian's prometheus package (promtool, prometheus) when it is missing.
set -euo pipefail
if ! command -v promtool >/dev/null 2>&1 || ! command -v prometheus >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends prometheus >/dev/null
fi
. "$(dirname "$0")/setup-env.sh" test

# Redis for the Redis storage tests: a server answering at 127.0.0.1:6379 (or at
# UNO_JOBS_TEST_REDIS_URL) is used and left alone; otherwise Debian's redis-server
# is installed if missing and a throwaway one started (daemonized, no persistence,
# in a temp dir) on a free port, and UNO_JOBS_TEST_REDIS_URL points the tests at it.
redis_answers() {  # HOST PORT: true when a Redis server there answers PING
  { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  local reply=""
  printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 || true
  exec 3>&-
  [[ "$reply" == "+PONG"* ]]
}
if [ -z "${UNO_JOBS_TEST_REDIS_URL:-}" ] && ! redis_answers 127.0.0.1 6379; then
  if ! command -v redis-server >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      redis-server >/dev/null
  fi
  REDIS_DIR="$(mktemp -d)"
  REDIS_PORT="$(python -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" \
    --appendonly no --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" \
    --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 50); do redis_answers 127.0.0.1 "$REDIS_PORT" && break; sleep 0.1; done
  export UNO_JOBS_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
fi

# PostgreSQL (issue 12): the server at 127.0.0.1:5432, or a throwaway cluster
. scripts/test-postgres.sh
ruff check src tests examples benchmarks
python -m pytest -q -p no:cacheprovider "$@"  # not exec: test-postgres.sh's exit trap runs
