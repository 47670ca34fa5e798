# Source this file, then call ensure_services: makes sure PostgreSQL and Redis answer on 127.0.0.1,
# starting (and if need be installing) local servers when they do not. Used by `make test-services`.

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

ensure_services() {
  ensure_postgres && ensure_redis
}
