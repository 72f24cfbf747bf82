/**
 * Writes Docker events to InfluxDB as they arrive and flushes at once, so an
 * event is queryable well within a second instead of at the next cycle.
 */
import { EventEmitter } from 'node:events';
import type { Logger } from '../common/log.js';
import type { LineSink } from '../common/influx/sink.js';
import type { DockerEvent, DockerEventStream } from './events.js';
import type { EngineInfo } from '../common/docker.js';
import { eventFilter, eventLine } from './eventlines.js';
import { monitored } from './settings.js';

export interface EventRecorderOptions {
  actions: readonly string[];
  labelTags: string[];
}

export class EventRecorder extends EventEmitter<{ written: [DockerEvent, string] }> {
  private readonly wanted: (ev: DockerEvent) => boolean;
  private flushing: Promise<unknown> | undefined;
  private again = false;
  readonly stats = { written: 0, skipped: 0, failed: 0 };
  private readonly onEvent = (ev: DockerEvent) => this.record(ev);

  constructor(
    private readonly sink: LineSink,
    private readonly engine: EngineInfo,
    private readonly opts: EventRecorderOptions,
    private readonly log: Logger,
  ) {
    super();
    this.wanted = eventFilter(opts.actions);
  }

  follow(events: DockerEventStream): void {
    events.on('event', this.onEvent);
  }

  unfollow(events: DockerEventStream): void {
    events.off('event', this.onEvent);
  }

  record(ev: DockerEvent): void {
    // Container events carry the container's labels: shipwatch.enable=false leaves them out too.
    if (!this.wanted(ev) || (ev.Type === 'container' && !monitored(ev.Actor.Attributes))) {
      this.stats.skipped++;
      return;
    }
    let line: string;
    try {
      line = eventLine(ev, this.engine, this.opts.labelTags);
    } catch (e) {
      this.stats.failed++;
      this.log.warn({ err: e, type: ev.Type, action: ev.Action }, 'Docker event not written');
      return;
    }
    this.sink.write([line]);
    this.stats.written++;
    this.emit('written', ev, line);
    this.flushSoon();
  }

  /** One flush in flight at a time; events arriving meanwhile go out in the next one. */
  private flushSoon(): void {
    if (this.flushing) {
      this.again = true;
      return;
    }
    this.flushing = this.sink.flush().finally(() => {
      this.flushing = undefined;
      if (this.again) {
        this.again = false;
        this.flushSoon();
      }
    });
  }

  /** Waits for the flush in flight (tests, shutdown). */
  async idle(): Promise<void> {
    while (this.flushing) await this.flushing;
  }
}
