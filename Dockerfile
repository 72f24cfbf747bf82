# Shipwatch: one image for every component; the command picks the component.
# No registry is needed to build it: BASE_IMAGE can be any image with Node.js 20+.
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
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev --no-audit --no-fund --loglevel=error

FROM ${BASE_IMAGE}
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules node_modules
COPY --from=build /app/dist dist
# The collector and the recovery agent need the Docker socket, which usually means root or the
# socket's group; compose sets the user per service. Everything else runs as an unprivileged user.
# Health checks (compose): node dist/common/healthcheck.js [URL], against health.port's /healthz.
RUN (id shipwatch >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin shipwatch)
USER shipwatch
CMD ["node", "dist/collector/main.js"]
