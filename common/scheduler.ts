import type { Logger } from './log.js';

/**
 * Calls fn at every multiple of interval (wall clock); a cycle that overruns
 * skips the ticks it covered rather than piling up.
 */
export class IntervalScheduler {
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private running: Promise<unknown> | undefined;

  constructor(private readonly interval: number, private readonly fn: (tick: number) => Promise<unknown>, private readonly log: Logger) {}

  start(): void {
    this.stopped = false;
    this.schedule();
  }

  private schedule() {
    if (this.stopped) return;
    const now = Date.now();
    const next = Math.floor(now / this.interval) * this.interval + this.interval;
    this.timer = setTimeout(() => void this.tick(next), next - now);
  }

  private async tick(tick: number) {
    if (this.stopped) return;
    this.running = this.fn(tick).catch((e) => this.log.error({ err: e }, 'cycle failed'));
    await this.running;
    this.running = undefined;
    const late = Date.now() - tick;
    if (late > this.interval) this.log.warn({ tookMs: late, intervalMs: this.interval }, 'cycle overran its interval; ticks skipped');
    this.schedule();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.running;
  }
}
