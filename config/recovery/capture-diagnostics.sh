#!/bin/sh
# Captures what an on-call engineer looks at first into one file in the run's own
# directory (SHIPWATCH_OUTPUT_DIR), which the agent attaches to the run by path:
# inspect, the last log lines, processes and resource use. Changes nothing.
# Arguments (optional): LINES of log (200).
# Exit 0: captured; 1: the container could not be inspected; 2: usage.
set -u
lines=${1:-200}
case $lines in '' | *[!0-9]*) echo "usage: $0 [log-lines]" >&2; exit 2 ;; esac
id=${SHIPWATCH_CONTAINER_ID:-$SHIPWATCH_CONTAINER_NAME}
out="${SHIPWATCH_OUTPUT_DIR:?run by the agent, which sets SHIPWATCH_OUTPUT_DIR}/diagnostics.txt"
umask 077

section() { printf '\n===== %s =====\n' "$1"; }
(
  echo "Shipwatch diagnostics, $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  echo "alert: $SHIPWATCH_ALERT_KEY (severity $SHIPWATCH_SEVERITY, value $SHIPWATCH_VALUE)"
  echo "container: $SHIPWATCH_CONTAINER_NAME ($SHIPWATCH_CONTAINER_ID) on $SHIPWATCH_HOST; run $SHIPWATCH_RUN_ID"
  section inspect
  docker inspect "$id"
  inspected=$?
  section "last $lines log lines"
  docker logs --tail "$lines" --timestamps "$id" 2>&1
  section processes
  docker top "$id" 2>&1 || true
  section "resource use"
  docker stats --no-stream --no-trunc "$id" 2>&1 || true
  exit "$inspected"
) > "$out" 2>&1
status=$?
echo "diagnostics of $SHIPWATCH_CONTAINER_NAME in $out"
[ "$status" -eq 0 ] || { echo "docker inspect failed: see $out" >&2; exit 1; }
