# Source this file, then call ensure_services: makes sure PostgreSQL and Redis answer on 127.0.0.1,
# starting (and if need be installing) local servers when they do not, and that Dovecot is installed.
# Used by `make test-services`.

wait_for_port() {  # host port seconds
  local deadline=$((SECONDS + $3))
  until (exec 3<>"/dev/tcp/$1/$2") 2>/dev/null; do
    [ $SECONDS -ge $deadline ] && return 1
    sleep 0.5
  done
}

ensure_postgres() {
  wait_for_port 127.0.0.1 5432 1 && return 0
  echo "PostgreSQL does not answer on 127.0.0.1:5432: starting a local server"
  if ! ls /etc/postgresql/*/main >/dev/null 2>&1; then
    command -v apt-get >/dev/null || { echo "no PostgreSQL and no apt-get: set DATABASE_URL" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  fi
  local version
  version=$(ls /etc/postgresql | sort -V | tail -n 1)
  pg_ctlcluster --skip-systemctl-redirect "$version" main start || true
  wait_for_port 127.0.0.1 5432 30
}

ensure_redis() {
  wait_for_port 127.0.0.1 6379 1 && return 0
  echo "Redis does not answer on 127.0.0.1:6379: starting a local server"
  if ! command -v redis-server >/dev/null; then
    command -v apt-get >/dev/null || { echo "no Redis and no apt-get: set REDIS_URL" >&2; return 1; }
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  wait_for_port 127.0.0.1 6379 30
}

# The IMAP polling tests start a throw-away Dovecot of their own (src/watchkeeper/mail/tests/conftest.py):
# only the binary is needed, no running service. Without it they skip, or fail under CI=true.
ensure_dovecot() {
  { command -v dovecot || [ -x /usr/sbin/dovecot ]; } >/dev/null && return 0
  echo "Dovecot is not installed: installing dovecot-imapd for the IMAP tests"
  if command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      dovecot-imapd >/dev/null && return 0
  fi
  echo "could not install dovecot-imapd: the IMAP tests will be skipped" >&2
}

# The database named in DATABASE_URL itself (tests that start `watchkeeper serve` connect to it;
# pytest-django creates only its test_ copy).
ensure_database() {
  local name=${DATABASE_URL##*/}
  name=${name%%\?*}
  [ -n "$name" ] || return 0
  psql "${DATABASE_URL%/*}/postgres" -tAc "SELECT 1 FROM pg_database WHERE datname = '$name'" | grep -q 1 \
    || psql "${DATABASE_URL%/*}/postgres" -qc "CREATE DATABASE \"$name\""
}

ensure_services() {
  ensure_postgres && ensure_redis && ensure_database && ensure_dovecot
}
