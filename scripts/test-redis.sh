# Sourced by test.sh: a Redis server for the Redis storage tests.
# - UNO_JOBS_TEST_REDIS_URL already set, or a server answering PING at 127.0.0.1:6379:
#   left alone (the tests use redis://127.0.0.1:6379/0, each in a key prefix of its own).
# - Otherwise (a fresh Debian machine): installs Debian's `redis-server` package when
#   missing, starts a throwaway server (daemonized, no persistence, in a temp dir, on a
#   free port), exports UNO_JOBS_TEST_REDIS_URL, and stops it and deletes the dir when
#   the calling shell exits (after any exit trap set before, e.g. test-postgres.sh's).
# UNO_JOBS_TEST_REDIS_THROWAWAY=1 forces the throwaway server (to test this script).
redis_answers() {  # HOST PORT: true when a Redis server there answers PING
  { exec 3<>"/dev/tcp/$1/$2"; } 2>/dev/null || return 1
  local reply=""
  printf 'PING\r\n' >&3 && read -r -t 2 reply <&3 || true
  exec 3>&-
  [[ "$reply" == "+PONG"* ]]
}
if [ -z "${UNO_JOBS_TEST_REDIS_URL:-}" ] && { [ "${UNO_JOBS_TEST_REDIS_THROWAWAY:-0}" = 1 ] \
    || ! redis_answers 127.0.0.1 6379; }; then
  if ! command -v redis-server >/dev/null 2>&1; then
    SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends \
      redis-server >/dev/null
  fi
  REDIS_DIR="$(mktemp -d /tmp/uno-jobs-redis.XXXXXX)"
  REDIS_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
  redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save "" \
    --appendonly no --dir "$REDIS_DIR" --pidfile "$REDIS_DIR/redis.pid" \
    --logfile "$REDIS_DIR/redis.log"
  for _ in $(seq 50); do redis_answers 127.0.0.1 "$REDIS_PORT" && break; sleep 0.1; done
  stop_test_redis() {
    kill "$(cat "$REDIS_DIR/redis.pid" 2>/dev/null)" 2>/dev/null || true
    rm -rf "$REDIS_DIR"
  }
  eval "REDIS_TRAP_WORDS=($(trap -p EXIT))"  # (trap -- 'COMMANDS' EXIT), or ()
  REDIS_EARLIER_TRAP="${REDIS_TRAP_WORDS[2]:-}"
  trap 'stop_test_redis; eval "$REDIS_EARLIER_TRAP"' EXIT
  export UNO_JOBS_TEST_REDIS_URL="redis://127.0.0.1:$REDIS_PORT/0"
  echo "Redis: throwaway server at $UNO_JOBS_TEST_REDIS_URL" >&2
fi
