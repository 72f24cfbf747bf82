#!/usr/bin/env bash
# Fills in the secrets docker-compose.yml needs, in .env (made from .env.example
# when missing): every secret left empty gets a random value (256 bits, hex).
# A value already set is kept, so running it again changes nothing.
# Usage: scripts/secrets.sh [ENV_FILE]   (default: .env beside docker-compose.yml)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
env_file=${1:-$root/.env}

# Each its own: InfluxDB's admin password and token (influxdb-setup makes the components' tokens from it),
# Grafana's admin password, the API token, a Redis password per component user, the actions signing key.
SECRETS=(
  INFLUXDB_ADMIN_PASSWORD INFLUXDB_TOKEN GRAFANA_ADMIN_PASSWORD ALERTER_API_TOKEN ACTIONS_SIGNING_KEY
  REDIS_ADMIN_PASSWORD REDIS_COLLECTOR_PASSWORD REDIS_PROCESSOR_PASSWORD REDIS_ALERTER_PASSWORD REDIS_AGENT_PASSWORD
)

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
# This Docker host's name in every point and in its agent's Redis user: the machine's, in the characters allowed.
if [ -z "$(value SHIPWATCH_HOST)" ]; then
  set_value SHIPWATCH_HOST "$(hostname | tr -c 'A-Za-z0-9_.\n-' '_')"
  echo "[secrets] SHIPWATCH_HOST set to $(value SHIPWATCH_HOST)" >&2
fi
chmod 600 "$env_file"
echo "[secrets] $env_file has every secret docker-compose.yml needs" >&2
