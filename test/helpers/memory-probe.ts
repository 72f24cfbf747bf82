/**
 * Loaded into a component's process by the long-run tests (`node --import`):
 * answers a `memory` request on the IPC channel with the process's RSS and
 * its heap in use after a full garbage collection (with --expose-gc), so that
 * two readings compare what the process keeps, not what it has not yet
 * collected. Nothing happens without an IPC channel.
 */
const gc = (globalThis as { gc?: () => void }).gc;

if (process.send) {
  process.on('message', (m: unknown) => {
    if ((m as { probe?: string })?.probe !== 'memory') return;
    gc?.();
    const u = process.memoryUsage();
    process.send!({ probe: 'memory', rss: u.rss, heapUsed: u.heapUsed, collected: !!gc });
  });
  // The channel must not keep a stopping component alive.
  process.channel?.unref();
}
