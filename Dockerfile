# Shipwatch: one image for the components (the command picks one), one for the recovery agent
# (the same plus the Docker CLI), one for the Docker socket proxies (HAProxy). Targets:
#   app (default, last): collector, processor, alerter, InfluxDB set-up
#   agent:               the recovery agent, with Debian's Docker CLI for scripts
#   docker-proxy:        Debian's HAProxy with the shipped filters (deploy/haproxy)
# No registry is needed to build it: BASE_IMAGE can be any Debian 12 image with Node.js 20+.
ARG BASE_IMAGE=node:20-bookworm-slim

FROM ${BASE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY common common
COPY collector collector
COPY processor processor
COPY alerter alerter
COPY agent agent
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund --loglevel=error \
  && cp -r agent/bin dist/agent/bin

FROM ${BASE_IMAGE} AS runtime
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# Every component runs as an unprivileged user; the Docker socket is reached only through a proxy.
# Health checks (compose): node dist/common/healthcheck.js [URL], against health.port's /healthz.
RUN (id shipwatch >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin shipwatch)

# Debian's docker.io, for its CLI only (one binary that needs nothing but libc).
FROM ${BASE_IMAGE} AS docker-cli
RUN apt-get update -q && apt-get install -y -q --no-install-recommends docker.io >/dev/null \
  && cp /usr/bin/docker /docker && rm -rf /var/lib/apt/lists/*

FROM runtime AS agent
COPY --from=docker-cli /docker /usr/local/bin/docker
# Scripts' helper (shipwatch-exec) on the PATH, and the runs' own directories (a volume in compose).
RUN ln -s /app/dist/agent/bin/shipwatch-exec /usr/local/bin/shipwatch-exec \
  && mkdir -p /var/lib/shipwatch/recovery && chown shipwatch /var/lib/shipwatch/recovery
USER shipwatch
CMD ["node", "dist/agent/main.js"]

FROM ${BASE_IMAGE} AS docker-proxy
RUN apt-get update -q && apt-get install -y -q --no-install-recommends haproxy >/dev/null && rm -rf /var/lib/apt/lists/*
COPY deploy/haproxy /etc/shipwatch-haproxy
# Reads the Docker socket, so compose runs it as root; it has no network (network_mode: none).
CMD ["haproxy", "-W", "-db", "-f", "/etc/shipwatch-haproxy/docker-collector.cfg"]

FROM runtime AS app
USER shipwatch
CMD ["node", "dist/collector/main.js"]
