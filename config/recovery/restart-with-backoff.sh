#!/bin/sh
# Restarts the alert's container and waits until it is running and, when it has a
# health check, healthy; tries again with a doubling wait in between.
# Arguments (all optional): TRIES (3), FIRST_WAIT seconds (2), HEALTH_WAIT seconds per try (30).
# Exit 0: the container is up (and healthy); 1: it never came up; 2: usage.
set -u
tries=${1:-3} wait=${2:-2} health_wait=${3:-30}
for n in "$tries" "$wait" "$health_wait"; do
  case $n in '' | *[!0-9]*) echo "usage: $0 [tries] [first-wait-s] [health-wait-s]" >&2; exit 2 ;; esac
done
id=${SHIPWATCH_CONTAINER_ID:-$SHIPWATCH_CONTAINER_NAME}

state() {
  docker inspect -f '{{.State.Running}} {{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}' "$id" 2>/dev/null
}

i=1
while [ "$i" -le "$tries" ]; do
  echo "try $i/$tries: docker restart $SHIPWATCH_CONTAINER_NAME"
  if docker restart -t 10 "$id" >/dev/null; then
    deadline=$(( $(date +%s) + health_wait ))
    while [ "$(date +%s)" -le "$deadline" ]; do
      s=$(state)
      case $s in
        'true healthy' | 'true none') echo "up: $s"; exit 0 ;;
        'true unhealthy') break ;;
      esac
      sleep 1
    done
    echo "not up after ${health_wait}s: ${s:-unknown}"
  fi
  if [ "$i" -lt "$tries" ]; then
    echo "waiting ${wait}s"
    sleep "$wait"
    wait=$((wait * 2))
  fi
  i=$((i + 1))
done
echo "gave up after $tries tries" >&2
exit 1
