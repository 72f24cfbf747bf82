/**
 * Follows one container's log through the API (follow=1, timestamps=1) and
 * hands on complete lines. Non-TTY containers send multiplexed frames; TTY
 * containers send the raw terminal output (stream "tty").
 */
import { EventEmitter } from 'node:events';
import type Docker from 'dockerode';
import type { LogStreamName } from '../../common/schema.js';
import { sinceParam } from '../events.js';
import { Demuxer, FRAME } from './demux.js';
import { LineSplitter } from './splitter.js';

export interface LogStreamEvents {
  line: [LogStreamName, Buffer];
  /** the daemon reported an error inside the stream */
  daemonError: [string];
  end: [Error | undefined];
}

export class ContainerLogStream extends EventEmitter<LogStreamEvents> {
  private body: (NodeJS.ReadableStream & { destroy(): void }) | undefined;
  private readonly splitters = new Map<LogStreamName, LineSplitter>();
  private ended = false;
  private closing = false;

  constructor(
    private readonly docker: Docker,
    readonly id: string,
    readonly tty: boolean,
    private readonly maxLineBytes: number,
  ) {
    super();
  }

  private splitter(s: LogStreamName): LineSplitter {
    let sp = this.splitters.get(s);
    if (!sp) this.splitters.set(s, (sp = new LineSplitter(this.maxLineBytes)));
    return sp;
  }

  /** Opens the stream from `since` (inclusive; ns). Throws when Docker refuses (gone, no log driver). */
  async open(since: bigint | undefined): Promise<void> {
    const opts: Record<string, unknown> = { follow: true, stdout: true, stderr: true, timestamps: true };
    if (since !== undefined && since > 0n) opts.since = sinceParam(since);
    const body = (await this.docker.getContainer(this.id).logs(opts as { follow: true })) as unknown as NodeJS.ReadableStream & { destroy(): void };
    // The client's timeout is an idle timeout meant for calls: a quiet log is not a dead stream.
    (body as { socket?: { setTimeout(ms: number): void } }).socket?.setTimeout(0);
    this.body = body;
    const demux = new Demuxer();
    let daemonErr = '';
    const emitLine = (s: LogStreamName) => (b: Buffer) => this.emit('line', s, b);
    const out = emitLine('stdout');
    const err = emitLine('stderr');
    body.on('data', (chunk: Buffer) => {
      if (this.tty) {
        this.splitter('tty').push(chunk, emitLine('tty'));
        return;
      }
      demux.push(chunk, (type, data) => {
        if (type === FRAME.stdout || type === FRAME.stdin) this.splitter('stdout').push(data, out);
        else if (type === FRAME.stderr) this.splitter('stderr').push(data, err);
        else if (type === FRAME.systemErr) daemonErr += data.toString('utf8');
      });
    });
    const finish = (e: Error | undefined, clean: boolean) => {
      if (this.ended) return;
      this.ended = true;
      // The container stopped mid-line: its last line has no newline. When we close
      // the stream ourselves the rest is a cut chunk instead, read again next time.
      if (clean && !this.closing) for (const [s, sp] of this.splitters) sp.end(emitLine(s));
      if (daemonErr) this.emit('daemonError', daemonErr);
      this.body = undefined;
      this.emit('end', e);
    };
    body.on('end', () => finish(undefined, true));
    body.on('close', () => finish(undefined, false));
    body.on('error', (e: Error) => finish(e, false));
  }

  get isOpen(): boolean {
    return !this.ended && this.body !== undefined;
  }

  close(): void {
    this.closing = true;
    const b = this.body;
    this.body = undefined;
    b?.destroy();
  }
}
