/**
 * Container health check: exits 0 when the component's /healthz answers 2xx.
 * Usage: node dist/common/healthcheck.js [URL]
 * (default http://127.0.0.1:$SHIPWATCH_HEALTH_PORT/healthz). Node only: no curl in the image.
 */
const url = process.argv[2] ?? `http://127.0.0.1:${process.env.SHIPWATCH_HEALTH_PORT ?? '9090'}/healthz`;
try {
  const res = await fetch(url, { signal: AbortSignal.timeout(5000) });
  process.stdout.write(`${res.status} ${await res.text()}\n`);
  process.exit(res.ok ? 0 : 1);
} catch (e) {
  process.stdout.write(`${url}: ${(e as Error).message}\n`);
  process.exit(1);
}
