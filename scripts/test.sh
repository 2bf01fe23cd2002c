#!/usr/bin/env bash
# Runs pushd's whole test suite. The Redis tests need a real Redis: use the
# one PUSHD_TEST_REDIS names, or else install (Debian, as root) and start a
# private one on a free loopback port for the duration of the run.
set -euo pipefail
cd "$(dirname "$0")/.."
stop_redis() { :; }
export PATH="/usr/local/go/bin:$PATH"

if [ -z "${PUSHD_TEST_REDIS:-}" ]; then
  if ! command -v redis-server >/dev/null 2>&1; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
      apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
    else
      echo "redis-server not found: install it (apt-get install redis-server) or set PUSHD_TEST_REDIS" >&2
      exit 2
    fi
  fi
  dir=$(mktemp -d)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])' 2>/dev/null || echo 6398)
  redis-server --port "$port" --bind 127.0.0.1 --databases 64 --dir "$dir" \
    --save '' --appendonly yes --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
  stop_redis() { kill "$(cat "$dir/redis.pid" 2>/dev/null)" 2>/dev/null || true; rm -rf "$dir"; }
  for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  export PUSHD_TEST_REDIS="127.0.0.1:$port"
fi

# A Redis Cluster (3 masters, 3 replicas) and a Sentinel-watched primary for
# internal/clustertest, on loopback ports, unless the caller gave its own.
topo=$(mktemp -d)
trap_topo() { scripts/redis-cluster.sh stop "$topo/cluster" || true; scripts/redis-sentinel.sh stop "$topo/sentinel" || true; rm -rf "$topo"; }
trap 'trap_topo; stop_redis' EXIT
if [ -z "${PUSHD_TEST_REDIS_CLUSTER:-}" ]; then
  PUSHD_TEST_REDIS_CLUSTER=$(scripts/redis-cluster.sh start "$topo/cluster" "${PUSHD_TEST_CLUSTER_PORT:-17100}")
  export PUSHD_TEST_REDIS_CLUSTER
fi
if [ -z "${PUSHD_TEST_REDIS_SENTINEL:-}" ]; then
  PUSHD_TEST_REDIS_SENTINEL=$(scripts/redis-sentinel.sh start "$topo/sentinel" "${PUSHD_TEST_SENTINEL_PORT:-17200}")
  export PUSHD_TEST_REDIS_SENTINEL
fi

# internal/clustertest kills Redis processes and runs without -race (its
# pushd children are separate binaries); everything else runs with it.
go test -count=1 -timeout 5m ./internal/clustertest/
go test -race -count=1 -timeout 15m "$@" $(go list ./... | grep -v /internal/clustertest)
