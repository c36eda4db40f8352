#!/usr/bin/env bash
# Make sure MariaDB and Redis answer on loopback, starting or repairing them as needed.
# Idempotent; exits non-zero if either is still unreachable, so CI never silently skips them.
set -euo pipefail

log() { printf '[services] %s\n' "$*"; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

ensure_packages() {
  local missing=()
  command -v redis-server >/dev/null || missing+=(redis-server)
  command -v mariadbd >/dev/null || [ -x /usr/sbin/mariadbd ] || missing+=(mariadb-server)
  if [ ${#missing[@]} -gt 0 ]; then
    log "installing ${missing[*]}"
    as_root apt-get update -qq
    DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
}

ensure_redis() {
  if redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then log "redis ok"; return; fi
  log "starting redis"
  mkdir -p /var/lib/redis /var/log/redis 2>/dev/null || true
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no \
    --dir /tmp --pidfile /tmp/domestyx-ci-redis.pid --logfile /tmp/domestyx-ci-redis.log
  for _ in $(seq 1 50); do
    redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG && { log "redis ok"; return; }
    sleep 0.2
  done
  log "redis did not come up"; return 1
}

mariadb_tcp() { mysql -h127.0.0.1 -P3306 -uroot --connect-timeout=2 -e "SELECT 1" >/dev/null 2>&1; }

ensure_mariadb() {
  if ! mysqladmin --connect-timeout=2 ping >/dev/null 2>&1 && ! mariadb_tcp; then
    log "starting mariadb"
    as_root mkdir -p /run/mysqld && as_root chown mysql:mysql /run/mysqld
    as_root start-stop-daemon --start --oknodo --background --make-pidfile \
      --pidfile /run/mysqld/domestyx-ci.pid --exec /usr/sbin/mariadbd -- \
      --user=mysql --bind-address=127.0.0.1 --port=3306
    for _ in $(seq 1 100); do
      mysqladmin --connect-timeout=1 ping >/dev/null 2>&1 && break
      sleep 0.3
    done
  fi
  if ! mariadb_tcp; then
    # Debian's root@localhost authenticates by unix socket only; allow the empty TCP password.
    log "repairing root TCP login"
    as_root mysql -uroot -e "ALTER USER root@localhost IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('');" || true
  fi
  mariadb_tcp || { log "mariadb unreachable over TCP"; return 1; }
  # Aiven rejects tables without a primary key; make MariaDB refuse them too.
  mysql -h127.0.0.1 -uroot -e "CREATE DATABASE IF NOT EXISTS test CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci; SET GLOBAL innodb_force_primary_key=ON;"
  log "mariadb ok (innodb_force_primary_key=ON)"
}

ensure_packages
ensure_redis
ensure_mariadb
