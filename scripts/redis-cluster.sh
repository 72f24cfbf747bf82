#!/usr/bin/env bash
# A throwaway Redis Cluster on loopback for tests.
# Usage: scripts/redis-cluster.sh start DIR [NODES]   prints the nodes as host:port, one per line
#        scripts/redis-cluster.sh stop DIR            stops the nodes it started there (by PID)
set -euo pipefail

cmd=${1:?start|stop}
dir=${2:?directory}
nodes=${3:-3}

log() { echo "[redis-cluster] $*" >&2; }

# Ports whose cluster bus port (port + 10000) is free too.
free_ports() {
  node -e '
    const net = require("net");
    const want = Number(process.argv[1]);
    const free = (p) => new Promise((r) => { const s = net.createServer().once("error", () => r(false)).listen(p, "127.0.0.1", () => s.close(() => r(true))); });
    (async () => {
      const out = [];
      while (out.length < want) {
        const p = 20000 + Math.floor(Math.random() * 30000);
        if (!out.includes(p) && (await free(p)) && (await free(p + 10000))) out.push(p);
      }
      console.log(out.join(" "));
    })();' "$1"
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    ports=$(free_ports "$nodes")
    addrs=()
    for p in $ports; do
      mkdir -p "$dir/$p"
      setsid redis-server --port "$p" --bind 127.0.0.1 --cluster-enabled yes --cluster-config-file nodes.conf \
        --dir "$dir/$p" --save '' --appendonly no --daemonize no >"$dir/$p/redis.log" 2>&1 </dev/null &
      echo $! >"$dir/$p/pid"
      addrs+=("127.0.0.1:$p")
    done
    for p in $ports; do
      for _ in $(seq 1 150); do redis-cli -p "$p" ping 2>/dev/null | grep -q PONG && break; sleep 0.1; done
    done
    echo yes | redis-cli --cluster create "${addrs[@]}" --cluster-replicas 0 >"$dir/create.log" 2>&1 || {
      cat "$dir/create.log" >&2; exit 1; }
    for p in $ports; do
      for _ in $(seq 1 300); do redis-cli -p "$p" cluster info 2>/dev/null | grep -q 'cluster_state:ok' && break; sleep 0.1; done
    done
    log "cluster up: ${addrs[*]}"
    printf '%s\n' "${addrs[@]}"
    ;;
  stop)
    for f in "$dir"/*/pid; do
      [ -f "$f" ] || continue
      pid=$(cat "$f")
      if kill -0 "$pid" 2>/dev/null; then
        kill -TERM "$pid"
        for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -0 "$pid" 2>/dev/null && kill -KILL "$pid"
      fi
      rm -f "$f"
    done
    ;;
  *) echo "usage: $0 start|stop DIR [NODES]" >&2; exit 2 ;;
esac
