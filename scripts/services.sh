#!/usr/bin/env bash
# Real services for tests and local runs: dockerd, redis-server, influxd on loopback.
# Usage: scripts/services.sh install|start|stop|status|env [docker|redis|influxdb ...]
# Reuses a service that already answers; stops only what it started (by PID).
set -euo pipefail

RUN_DIR=${SHIPWATCH_RUN_DIR:-/tmp/shipwatch-services}
REDIS_PORT=${SHIPWATCH_REDIS_PORT:-6379}
INFLUX_PORT=${SHIPWATCH_INFLUX_PORT:-8086}
DOCKER_SOCK=${SHIPWATCH_DOCKER_SOCK:-/var/run/docker.sock}
TEST_IMAGE=${SHIPWATCH_TEST_IMAGE:-shipwatch/busybox:test}
# Set to N (1-99) for a dockerd of its own beside another one on this machine:
# its own bridge sw-N on 10.(100+N).255.0/24 and address pool 10.(100+N).0.0/16,
# no iptables management of its own (the other engine keeps that).
DOCKER_ISOLATED=${SHIPWATCH_DOCKER_ISOLATED:-}
# More dockerd flags, e.g. --live-restore for an engine a test restarts under running containers.
DOCKER_FLAGS=${SHIPWATCH_DOCKER_FLAGS:-}
# The docker CLI calls below (test image) go to this engine.
export DOCKER_HOST=unix://$DOCKER_SOCK
APT_PACKAGES=(docker.io redis-server influxdb busybox-static curl docker-compose haproxy openssl)
# Peers the tests run on loopback (Prometheus, Alertmanager, Podman); their system services stay stopped.
PEER_PACKAGES=(prometheus prometheus-alertmanager podman)

log() { echo "[services] $*" >&2; }

missing_of() {
  local p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
  done
}

install_packages() {
  local missing peers
  missing=$(missing_of "${APT_PACKAGES[@]}" "${PEER_PACKAGES[@]}" | tr "\n" " ")
  [ -n "$missing" ] || return 0
  peers=$(missing_of "${PEER_PACKAGES[@]}" | tr "\n" " ")
  log "installing" $missing
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  # The peers' packages would start prometheus and alertmanager on all interfaces: no service starts
  # during the install (policy-rc.d), and those we installed are disabled; tests start their own.
  local policy=/usr/sbin/policy-rc.d own_policy=
  if [ -n "$peers" ] && [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod 755 "$policy"; own_policy=1; fi
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $missing >/dev/null || { [ -n "$own_policy" ] && rm -f "$policy"; exit 1; }
  [ -n "$own_policy" ] && rm -f "$policy"
  if [ -n "$peers" ] && command -v systemctl >/dev/null && [ -d /run/systemd/system ]; then
    for svc in prometheus prometheus-alertmanager; do
      [[ " $peers " == *" $svc "* ]] && systemctl disable --now "$svc" >/dev/null 2>&1 || true
    done
  fi
}

# wait_for DESCRIPTION SECONDS COMMAND...
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if [ $SECONDS -ge $deadline ]; then log "$what did not come up in ${secs}s"; return 1; fi
    sleep 0.2
  done
}

docker_up() { curl -sf --unix-socket "$DOCKER_SOCK" http://localhost/_ping; }
redis_up() { redis-cli -h 127.0.0.1 -p "$REDIS_PORT" ping 2>/dev/null | grep -q PONG; }
influx_up() { curl -sf "http://127.0.0.1:$INFLUX_PORT/ping"; }

# started NAME PID: remember that we own this process
started() { echo "$2" > "$RUN_DIR/$1.started.pid"; }

start_docker() {
  if docker_up; then log "dockerd already answers on $DOCKER_SOCK: reusing it"; return; fi
  mkdir -p "$RUN_DIR/docker"
  local extra=()
  if [ -n "$DOCKER_ISOLATED" ]; then
    local net="10.$((100 + DOCKER_ISOLATED))" br="sw-$DOCKER_ISOLATED"
    if ! ip link show "$br" >/dev/null 2>&1; then
      ip link add "$br" type bridge
      ip addr add "$net.255.1/24" dev "$br"
      ip link set "$br" up
    fi
    # The other engine's FORWARD policy is DROP: let this engine's containers reach each other.
    iptables -C FORWARD -s "$net.0.0/16" -d "$net.0.0/16" -j ACCEPT 2>/dev/null ||
      iptables -I FORWARD 1 -s "$net.0.0/16" -d "$net.0.0/16" -j ACCEPT
    extra=(--bridge "$br" --iptables=false --default-address-pool "base=$net.0.0/16,size=24")
  fi
  # shellcheck disable=SC2206
  [ -n "$DOCKER_FLAGS" ] && extra+=($DOCKER_FLAGS)
  log "starting dockerd (data in $RUN_DIR/docker)"
  setsid dockerd --host "unix://$DOCKER_SOCK" --data-root "$RUN_DIR/docker/data" \
    --exec-root "$RUN_DIR/docker/exec" --pidfile "$RUN_DIR/docker/docker.pid" "${extra[@]}" \
    >"$RUN_DIR/docker/dockerd.log" 2>&1 < /dev/null &
  started docker $!
  wait_for dockerd 60 docker_up || { tail -20 "$RUN_DIR/docker/dockerd.log" >&2; exit 1; }
}

start_redis() {
  if redis_up; then log "redis already answers on 127.0.0.1:$REDIS_PORT: reusing it"; return; fi
  mkdir -p "$RUN_DIR/redis"
  log "starting redis-server on 127.0.0.1:$REDIS_PORT"
  setsid redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$RUN_DIR/redis" \
    --save '' --appendonly no --daemonize no --maxmemory-policy noeviction \
    >"$RUN_DIR/redis/redis.log" 2>&1 < /dev/null &
  started redis $!
  wait_for redis 30 redis_up || { tail -20 "$RUN_DIR/redis/redis.log" >&2; exit 1; }
}

start_influx() {
  if influx_up; then log "influxd already answers on 127.0.0.1:$INFLUX_PORT: reusing it"; return; fi
  local d="$RUN_DIR/influxdb"
  mkdir -p "$d"
  cat > "$d/influxdb.conf" <<CONF
reporting-disabled = true
bind-address = "127.0.0.1:$((INFLUX_PORT + 2))"
[meta]
  dir = "$d/meta"
[data]
  dir = "$d/data"
  wal-dir = "$d/wal"
  query-log-enabled = false
[monitor]
  store-enabled = false
[http]
  bind-address = "127.0.0.1:$INFLUX_PORT"
  log-enabled = false
CONF
  log "starting influxd on 127.0.0.1:$INFLUX_PORT"
  setsid influxd -config "$d/influxdb.conf" >"$d/influxd.log" 2>&1 < /dev/null &
  started influxdb $!
  wait_for influxd 60 influx_up || { tail -20 "$d/influxd.log" >&2; exit 1; }
}

# A test image with nothing but busybox: no registry is reachable here.
build_test_image() {
  if docker image inspect "$TEST_IMAGE" >/dev/null 2>&1; then return; fi
  log "building $TEST_IMAGE from busybox-static"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/proc" "$root/sys" "$root/dev" "$root/etc"
  cp /bin/busybox "$root/bin/busybox"
  for a in $("$root/bin/busybox" --list); do
    [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' > "$root/etc/passwd"
  echo 'nobody:x:65534:65534:nobody:/:/bin/sh' >> "$root/etc/passwd"
  echo 'root:x:0:' > "$root/etc/group"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' -c 'ENV PATH=/bin' - "$TEST_IMAGE" >/dev/null
  rm -rf "$root"
}

write_env() {
  cat > "$RUN_DIR/env" <<ENV
export DOCKER_HOST=unix://$DOCKER_SOCK
export SHIPWATCH_TEST_IMAGE=$TEST_IMAGE
export SHIPWATCH_INFLUX_URL=http://127.0.0.1:$INFLUX_PORT
export SHIPWATCH_REDIS_URL=redis://127.0.0.1:$REDIS_PORT
ENV
  cat "$RUN_DIR/env"
}

stop_all() {
  # Reverse order; only PIDs recorded as started by this script.
  for name in ${ONLY:-influxdb redis docker}; do
    local f="$RUN_DIR/$name.started.pid"
    [ -f "$f" ] || continue
    local pid; pid=$(cat "$f")
    if kill -0 "$pid" 2>/dev/null; then
      log "stopping $name (pid $pid)"
      kill -TERM "$pid"
      for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
      kill -0 "$pid" 2>/dev/null && { log "$name did not stop, killing"; kill -KILL "$pid"; }
    fi
    rm -f "$f"
  done
}

mkdir -p "$RUN_DIR"
cmd=${1:-start}
shift || true
ONLY="$*"
wants() { [ -z "$ONLY" ] || [[ " $ONLY " == *" $1 "* ]]; }
case "$cmd" in
  install) install_packages ;;
  start)
    install_packages
    if wants docker; then start_docker; build_test_image; fi
    if wants redis; then start_redis; fi
    if wants influxdb; then start_influx; fi
    write_env >/dev/null
    log "ready; environment in $RUN_DIR/env"
    ;;
  stop) stop_all ;;
  status)
    docker_up >/dev/null 2>&1 && echo "docker: up" || echo "docker: down"
    redis_up >/dev/null 2>&1 && echo "redis: up" || echo "redis: down"
    influx_up >/dev/null 2>&1 && echo "influxdb: up" || echo "influxdb: down"
    ;;
  env) write_env ;;
  *) echo "usage: $0 install|start|stop|status|env" >&2; exit 2 ;;
esac
