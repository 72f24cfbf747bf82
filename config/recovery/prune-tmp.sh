#!/bin/sh
# Frees space in the alert's container: removes what is older than AGE minutes
# directly under DIR (inside the container, through shipwatch-exec, the agent's
# helper for docker exec), and says how much it freed. The container must be running.
# Arguments (all optional): DIR (/tmp), AGE minutes (60).
# Exit 0: pruned; 1: the exec failed; 2: usage.
set -u
dir=${1:-/tmp} age=${2:-60}
case $dir in /*) ;; *) echo "usage: $0 [absolute-dir] [age-minutes]" >&2; exit 2 ;; esac
case $dir in / | /proc* | /sys* | /dev*) echo "refusing to prune $dir" >&2; exit 2 ;; esac
case $age in '' | *[!0-9]*) echo "usage: $0 [absolute-dir] [age-minutes]" >&2; exit 2 ;; esac
id=${SHIPWATCH_CONTAINER_ID:-$SHIPWATCH_CONTAINER_NAME}

# The directory and age reach the container's shell as arguments, never as code.
out=$(shipwatch-exec "$id" sh -c '
  before=$(du -sk "$1" | cut -f1)
  find "$1" -mindepth 1 -maxdepth 1 -xdev -mmin +"$2" -exec rm -rf {} +
  after=$(du -sk "$1" | cut -f1)
  echo "$before $after"
' sh "$dir" "$age") || { echo "exec in $SHIPWATCH_CONTAINER_NAME failed" >&2; exit 1; }
set -- $out
echo "pruned $dir in $SHIPWATCH_CONTAINER_NAME (older than ${age} min): ${1} KiB -> ${2} KiB, freed $(( $1 - $2 )) KiB"
