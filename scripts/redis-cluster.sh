#!/usr/bin/env bash
# Starts (or stops) a Redis Cluster of 3 masters with one replica each on
# loopback ports BASEPORT..BASEPORT+5, from Debian's redis-server, in DIR.
#
#   scripts/redis-cluster.sh start DIR BASEPORT   # prints the node list: 127.0.0.1:P,...
#   scripts/redis-cluster.sh stop  DIR
#
# Each node runs from DIR/<port>/redis.conf (`redis-server DIR/<port>/redis.conf`
# restarts a killed node, which rejoins as a replica), keeps its pid in
# DIR/<port>/redis.pid and its log in DIR/<port>/redis.log. Replication is
# asynchronous (no min-replicas-to-write): see docs/reliability.md.
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?DIR}

stop() {
  for pf in "$dir"/*/redis.pid; do
    [ -f "$pf" ] || continue
    kill "$(cat "$pf")" 2>/dev/null || true
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
base=${3:?BASEPORT}
mkdir -p "$dir"
nodes=()
for i in 0 1 2 3 4 5; do
  port=$((base + i))
  d="$dir/$port"
  mkdir -p "$d"
  cat >"$d/redis.conf" <<CONF
port $port
bind 127.0.0.1
dir $d
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
cluster-enabled yes
cluster-config-file $d/nodes.conf
cluster-node-timeout 2000
appendonly yes
appendfsync everysec
save ""
CONF
  redis-server "$d/redis.conf"
  nodes+=("127.0.0.1:$port")
done
for n in "${nodes[@]}"; do
  for _ in $(seq 100); do redis-cli -p "${n#*:}" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
redis-cli --cluster create "${nodes[@]}" --cluster-replicas 1 --cluster-yes >"$dir/create.log" 2>&1 || {
  cat "$dir/create.log" >&2; stop; exit 1; }
# Wait until every node agrees the cluster is up.
for n in "${nodes[@]}"; do
  for _ in $(seq 200); do
    redis-cli -p "${n#*:}" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break
    sleep 0.05
  done
done
# ... and until each master has its replica attached.
for _ in $(seq 200); do
  [ "$(redis-cli -p "$base" cluster nodes 2>/dev/null | grep -c ' slave ')" = 3 ] && break
  sleep 0.05
done
(IFS=,; echo "${nodes[*]}")
