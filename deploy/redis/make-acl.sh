#!/bin/sh
# Writes Redis's ACL file for docker-compose: the users of users.acl.in (one per
# component, deploy/redis/README.md) with this deployment's passwords, stored as
# their SHA-256. Usage: make-acl.sh OUTPUT_FILE [OWNER]   (passwords and SHIPWATCH_HOST from the
# environment; OWNER: the user redis-server runs as, who must read the file)
set -eu
here=$(dirname "$0")
out=$1
owner=${2:-}

sha() { printf '%s' "$1" | sha256sum | cut -d' ' -f1; }
pw() {
  eval "v=\${$1:-}"
  if [ "${#v}" -lt 16 ]; then echo "redis: set $1 (at least 16 characters)" >&2; exit 1; fi
  sha "$v"
}
host=${SHIPWATCH_HOST:-}
case "$host" in
  '' | *[!A-Za-z0-9_.-]*) echo "redis: set SHIPWATCH_HOST to this Docker host's name (letters, digits, _ . - only)" >&2; exit 1 ;;
esac

admin=$(pw REDIS_ADMIN_PASSWORD)
collector=$(pw REDIS_COLLECTOR_PASSWORD)
processor=$(pw REDIS_PROCESSOR_PASSWORD)
alerter=$(pw REDIS_ALERTER_PASSWORD)
agent=$(pw REDIS_AGENT_PASSWORD)
umask 077
sed -e "s/@ADMIN@/$admin/" -e "s/@COLLECTOR@/$collector/" -e "s/@PROCESSOR@/$processor/" \
  -e "s/@ALERTER@/$alerter/" -e "s/@AGENT@/$agent/" -e "s/@HOST@/$host/g" \
  -e '/^#/d' "$here/users.acl.in" > "$out"
if [ -n "$owner" ]; then chown "$owner" "$out"; fi
