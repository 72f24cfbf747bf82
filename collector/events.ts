/**
 * Follows Docker's event stream; reconnects with backoff and resumes from the
 * last event seen (since), dropping the replayed events it already delivered.
 */
import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { Logger } from '../common/log.js';
import { OnceLogger } from '../common/log.js';

export interface DockerEvent {
  Type: string;
  Action: string;
  Actor: { ID: string; Attributes?: Record<string, string> };
  scope?: string;
  time: number;
  timeNano: number;
  /** timeNano exactly: it exceeds 2^53, so the number JSON.parse gives is rounded */
  nano?: bigint;
}

/**
 * Podman's Docker-compatible API matches event filters against its own action
 * names and sends some actions under its own names. Filters ask for both
 * names; what arrives is given Docker's name, so the rest of the collector
 * (and what it writes) speaks Docker's vocabulary whatever the engine.
 */
const PODMAN_FILTER_NAMES: Record<string, string[]> = { die: ['died'], destroy: ['remove'], delete: ['remove'] };
const PODMAN_ACTIONS: Record<string, Record<string, string>> = { container: { remove: 'destroy' }, image: { remove: 'delete' } };

/** The actions to filter on: these plus the names Podman matches them under. */
export function withEngineAliases(actions: Iterable<string>): string[] {
  const out = new Set<string>();
  for (const a of actions) {
    out.add(a);
    for (const alias of PODMAN_FILTER_NAMES[a] ?? []) out.add(alias);
  }
  return [...out];
}

/** Docker's name of an action an engine sent under its own. */
export const dockerAction = (type: string, action: string) => PODMAN_ACTIONS[type]?.[action] ?? action;

/** Identity of an event for de-duplication across reconnects. */
export const eventKey = (e: DockerEvent) => `${e.nano ?? e.timeNano}|${e.Type}|${e.Action}|${e.Actor.ID}`;

/** "since" for the API from a ns timestamp: seconds with nanosecond fraction. */
export function sinceParam(timeNano: number | bigint): string {
  const ns = BigInt(timeNano);
  const s = ns / 1_000_000_000n;
  const frac = (ns % 1_000_000_000n).toString().padStart(9, '0');
  return `${s}.${frac}`;
}

export interface EventStreamEvents {
  event: [DockerEvent];
  connected: [];
  disconnected: [Error | undefined];
}

export class DockerEventStream extends EventEmitter<EventStreamEvents> {
  private stream: NodeJS.ReadableStream | undefined;
  private stopped = false;
  private timer: NodeJS.Timeout | undefined;
  private delay = 200;
  private lastNano: bigint | undefined;
  /** keys of the events at lastNano: a resume with since=lastNano replays them */
  private atLast = new Set<string>();
  private readonly outage: OnceLogger;
  connected = false;

  constructor(
    private readonly docker: Docker,
    private readonly log: Logger,
    private readonly filters: Record<string, string[]> = {},
    /** resume point, ns since epoch (e.g. the last event written before a restart) */
    since?: bigint,
  ) {
    super();
    this.outage = new OnceLogger(log);
    this.lastNano = since;
  }

  /** Seeds the keys already delivered at the resume point, so they are not delivered twice. */
  seenAtResume(keys: Iterable<string>) {
    for (const k of keys) this.atLast.add(k);
  }

  start(): void {
    this.stopped = false;
    void this.connect();
  }

  private async connect() {
    if (this.stopped) return;
    try {
      const opts: Record<string, unknown> = { filters: JSON.stringify(this.filters) };
      if (this.lastNano !== undefined) opts.since = sinceParam(this.lastNano);
      const stream = (await this.docker.getEvents(opts)) as NodeJS.ReadableStream;
      if (this.stopped) {
        (stream as unknown as { destroy(): void }).destroy();
        return;
      }
      // The client's timeout is an idle timeout meant for calls: a quiet stream is not a dead one.
      (stream as { socket?: { setTimeout(ms: number): void } }).socket?.setTimeout(0);
      this.stream = stream;
      this.connected = true;
      this.delay = 200;
      this.outage.clear('events', 'Docker event stream connected again');
      this.emit('connected');
      let buf = '';
      stream.on('data', (chunk: Buffer) => {
        buf += chunk.toString('utf8');
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const text = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (text) this.deliver(text);
        }
      });
      const onEnd = (err?: Error) => {
        if (this.stream !== stream) return;
        this.stream = undefined;
        this.connected = false;
        this.emit('disconnected', err);
        this.retry(err ?? new Error('event stream ended'));
      };
      stream.on('end', () => onEnd());
      stream.on('error', (e: Error) => onEnd(e));
    } catch (e) {
      this.connected = false;
      this.retry(e as Error);
    }
  }

  private deliver(text: string) {
    let ev: DockerEvent;
    try {
      ev = JSON.parse(text);
    } catch {
      this.log.warn({ text: text.slice(0, 200) }, 'unparseable Docker event skipped');
      return;
    }
    ev.Action = dockerAction(ev.Type, ev.Action);
    const exact = /"timeNano":(\d+)/.exec(text)?.[1];
    const nano = exact ? BigInt(exact) : BigInt(ev.timeNano ?? ev.time * 1e9);
    ev.nano = nano;
    const key = eventKey(ev);
    if (this.lastNano !== undefined) {
      if (nano < this.lastNano) return;
      if (nano === this.lastNano && this.atLast.has(key)) return;
    }
    if (this.lastNano === undefined || nano > this.lastNano) {
      this.lastNano = nano;
      this.atLast.clear();
    }
    this.atLast.add(key);
    this.emit('event', ev);
  }

  private retry(err: Error) {
    if (this.stopped) return;
    this.outage.raise('events', 'Docker event stream lost; reconnecting', { error: err.message });
    clearTimeout(this.timer);
    this.timer = setTimeout(() => void this.connect(), this.delay);
    this.delay = Math.min(this.delay * 2, 10_000);
  }

  /** ns time of the last event delivered */
  get resumePoint(): bigint | undefined {
    return this.lastNano;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.timer);
    const s = this.stream as unknown as { destroy?: () => void } | undefined;
    this.stream = undefined;
    this.connected = false;
    s?.destroy?.();
  }
}
