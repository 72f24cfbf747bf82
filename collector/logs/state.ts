/**
 * What is kept per followed container: where to resume, the rate limit, and the
 * counts of the current interval. Pure (time is passed in).
 *
 * Resuming: a line at or before the floor of its stream was written before (or
 * deliberately skipped) and is not written again. Docker's `since` is inclusive,
 * so the lines at the floor itself come back and are dropped here.
 * Two lines of one stream with the same ns time would overwrite each other in
 * InfluxDB (same series, same time): the later one is moved 1 ns on.
 */
import type { LogStreamName } from '../../common/schema.js';
import { TokenBucket } from './ratelimit.js';
import { PatternCounter, type CompiledPattern } from './patterns.js';

export type Verdict = { write: true; ns: bigint } | { write: false; reason: 'replayed' | 'dropped' };

export interface LogCounts {
  lines: number;
  written: number;
  dropped: number;
  bytes: number;
}

const zero = (): LogCounts => ({ lines: 0, written: 0, dropped: 0, bytes: 0 });

export class ContainerLogState {
  private floors = new Map<string, bigint>();
  private seen = new Map<string, bigint>();
  private lastWritten = new Map<string, bigint>();
  private readonly bucket: TokenBucket;
  readonly matches: PatternCounter;
  counts: LogCounts = zero();
  /** counts moved since the last take(): something to report even when the stream is closed */
  private dirty = false;

  constructor(opts: { rate: number; burst: number; patterns: CompiledPattern[] }, floors?: Map<string, bigint>) {
    this.bucket = new TokenBucket(opts.rate, opts.burst);
    this.matches = new PatternCounter(opts.patterns);
    for (const [s, ns] of floors ?? []) this.floors.set(s, ns);
  }

  /**
   * The rate limit meters the container's own time (Docker's timestamps), not
   * arrival: a backlog read after a restart is judged by how fast it was
   * written, not by how fast we read it.
   */
  accept(stream: LogStreamName, ns: bigint, text: string, bytes: number): Verdict {
    const floor = this.floors.get(stream);
    if (floor !== undefined && ns <= floor) return { write: false, reason: 'replayed' };
    const seen = this.seen.get(stream);
    if (seen === undefined || ns > seen) this.seen.set(stream, ns);
    this.dirty = true;
    this.counts.lines++;
    this.counts.bytes += bytes;
    // Matches are counted before the rate limit: a flood of errors is what rules must see.
    this.matches.count(text);
    if (!this.bucket.take(Number(ns / 1_000_000n))) {
      this.counts.dropped++;
      return { write: false, reason: 'dropped' };
    }
    const last = this.lastWritten.get(stream);
    const at = last !== undefined && ns <= last ? last + 1n : ns;
    this.lastWritten.set(stream, at);
    this.counts.written++;
    return { write: true, ns: at };
  }

  /**
   * Before reading again (the stream broke, the container restarted): everything
   * seen so far becomes the floor. Returns the `since` to ask Docker for.
   */
  rewind(fallback: bigint | undefined): bigint | undefined {
    for (const m of [this.seen, this.lastWritten]) {
      for (const [s, ns] of m) {
        const f = this.floors.get(s);
        if (f === undefined || ns > f) this.floors.set(s, ns);
      }
    }
    return this.since(fallback);
  }

  /** The earliest floor: every stream is read from there on; undefined = from `fallback`. */
  since(fallback: bigint | undefined): bigint | undefined {
    let min: bigint | undefined;
    for (const ns of this.floors.values()) if (min === undefined || ns < min) min = ns;
    return min ?? fallback;
  }

  /** The interval's counts and matches, then zero. */
  take(): { counts: LogCounts; matches: Map<string, number>; dirty: boolean } {
    const out = { counts: this.counts, matches: this.matches.take(), dirty: this.dirty };
    this.counts = zero();
    this.dirty = false;
    return out;
  }
}
