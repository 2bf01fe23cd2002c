#!/usr/bin/env bash
# Starts (or stops) a Redis primary, one replica and 3 sentinels watching
# the primary as "pushd", on loopback ports from Debian's redis-server:
# primary BASEPORT, replica BASEPORT+1, sentinels BASEPORT+2..BASEPORT+4.
#
#   scripts/redis-sentinel.sh start DIR BASEPORT   # prints pushd@127.0.0.1:S1,S2,S3
#   scripts/redis-sentinel.sh stop  DIR
#
# Each process runs from DIR/<port>/redis.conf or sentinel.conf (restarting
# a killed primary from it makes the sentinels turn it into a replica);
# pids are in DIR/<port>/redis.pid. Quorum 2, down-after 1 s, failover
# timeout 5 s, so a killed primary is replaced within a few seconds.
set -euo pipefail
cmd=${1:?start|stop} dir=${2:?DIR}
name=pushd

stop() {
  for pf in "$dir"/*/redis.pid; do
    [ -f "$pf" ] || continue
    kill "$(cat "$pf")" 2>/dev/null || true
  done
}

if [ "$cmd" = stop ]; then stop; exit 0; fi
base=${3:?BASEPORT}
mkdir -p "$dir"
primary=$base replica=$((base + 1))
for port in "$primary" "$replica"; do
  d="$dir/$port"
  mkdir -p "$d"
  cat >"$d/redis.conf" <<CONF
port $port
bind 127.0.0.1
dir $d
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
appendonly yes
save ""
CONF
  [ "$port" = "$replica" ] && echo "replicaof 127.0.0.1 $primary" >>"$d/redis.conf"
  redis-server "$d/redis.conf"
done
for port in "$primary" "$replica"; do
  for _ in $(seq 100); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.05; done
done
sentinels=()
for i in 2 3 4; do
  port=$((base + i))
  d="$dir/$port"
  mkdir -p "$d"
  cat >"$d/sentinel.conf" <<CONF
port $port
bind 127.0.0.1
dir $d
daemonize yes
pidfile $d/redis.pid
logfile $d/redis.log
sentinel monitor $name 127.0.0.1 $primary 2
sentinel down-after-milliseconds $name 1000
sentinel failover-timeout $name 5000
sentinel parallel-syncs $name 1
CONF
  redis-server "$d/sentinel.conf" --sentinel
  sentinels+=("127.0.0.1:$port")
done
for s in "${sentinels[@]}"; do
  for _ in $(seq 100); do
    redis-cli -p "${s#*:}" sentinel get-master-addr-by-name "$name" 2>/dev/null | grep -q "$primary" && break
    sleep 0.05
  done
done
# Wait until the replica is in sync, so a failover has somewhere to go.
for _ in $(seq 200); do
  redis-cli -p "$replica" info replication 2>/dev/null | grep -q 'master_link_status:up' && break
  sleep 0.05
done
(IFS=,; echo "$name@${sentinels[*]}")
