#!/usr/bin/env bash
# Fills in the secrets docker-compose.yml needs, in .env (made from .env.example
# when missing): every secret left empty gets a random value (256 bits, hex).
# A value already set is kept, so running it again changes nothing.
# Usage: scripts/secrets.sh [ENV_FILE]   (default: .env beside docker-compose.yml)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${1:-$root/.env}

# The admin token is the only one InfluxDB creates at set-up: Grafana reads with
# it unless you make a read-only token in InfluxDB and put it in GRAFANA_INFLUXDB_TOKEN.
SECRETS=(INFLUXDB_ADMIN_PASSWORD INFLUXDB_TOKEN GRAFANA_ADMIN_PASSWORD ALERTER_API_TOKEN)
SAME_AS=(GRAFANA_INFLUXDB_TOKEN=INFLUXDB_TOKEN)

random() { od -An -tx1 -N32 /dev/urandom | tr -d ' \n'; }

umask 077
if [ ! -e "$env_file" ]; then
  cp "$root/.env.example" "$env_file"
  echo "[secrets] $env_file made from .env.example" >&2
fi

# value NAME: the value NAME has in the file (empty when absent)
value() { sed -n "s/^$1=//p" "$env_file" | tail -n 1; }
# set NAME VALUE: replaces the line NAME=... or appends one
set_value() {
  local tmp
  tmp=$(mktemp "$env_file.XXXXXX")
  if grep -q "^$1=" "$env_file"; then
    # Through the environment: awk -v would interpret backslashes in the value.
    K="$1" V="$2" awk 'index($0, ENVIRON["K"] "=") == 1 { print ENVIRON["K"] "=" ENVIRON["V"]; next } { print }' "$env_file" > "$tmp"
  else
    cat "$env_file" > "$tmp"
    printf '%s=%s\n' "$1" "$2" >> "$tmp"
  fi
  chmod 600 "$tmp"
  mv "$tmp" "$env_file"
}

for name in "${SECRETS[@]}"; do
  if [ -z "$(value "$name")" ]; then
    set_value "$name" "$(random)"
    echo "[secrets] $name set" >&2
  fi
done
for pair in "${SAME_AS[@]}"; do
  name=${pair%%=*} from=${pair#*=}
  if [ -z "$(value "$name")" ]; then
    set_value "$name" "$(value "$from")"
    echo "[secrets] $name set to $from" >&2
  fi
done
chmod 600 "$env_file"
echo "[secrets] $env_file has every secret docker-compose.yml needs" >&2
