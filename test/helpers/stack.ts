/**
 * The whole pipeline as separate processes, for the long runs (chaos, soak):
 * Redis and InfluxDB servers of the run's own (so they may be stopped and
 * started again without touching anyone else's), a TCP proxy that can slow
 * the network to InfluxDB, and each component started from its real entry
 * point with a YAML config of its own. Every process is stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { stringify } from 'yaml';
import { ROOT } from './paths.js';
import { freePort, writeInfluxdConfig } from './private.js';

export { freePort };

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `fn` until it is true; throws after timeoutMs. */
export async function waitUntil(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string, everyMs = 100): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if (await fn()) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await sleep(everyMs);
  }
}

/** A server process of the run's own: started, stopped (SIGTERM, then SIGKILL) and started again. */
abstract class OwnServer {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> | undefined;
  private readonly log: WriteStream;

  constructor(readonly dir: string, private readonly name: string) {
    mkdirSync(dir, { recursive: true });
    this.log = createWriteStream(path.join(dir, `${name}.log`), { flags: 'a' });
  }

  protected abstract command(): [string, string[]];
  protected abstract up(): Promise<boolean>;

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  async start(): Promise<void> {
    if (this.pid) return;
    const [cmd, args] = this.command();
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    p.stdout!.pipe(this.log, { end: false });
    p.stderr!.pipe(this.log, { end: false });
    this.proc = p;
    this.exited = new Promise((r) => p.once('exit', () => r()));
    await waitUntil(() => this.up(), 60_000, `${this.name} up`);
  }

  async stop(): Promise<void> {
    const pid = this.pid;
    if (!pid) return;
    process.kill(pid, 'SIGTERM');
    const killed = setTimeout(() => this.pid && process.kill(pid, 'SIGKILL'), 30_000);
    await this.exited;
    clearTimeout(killed);
  }
}

/** redis-server with an append-only file, as Redis under the queues should run: a restart keeps every job. */
export class RedisServer extends OwnServer {
  constructor(dir: string, readonly port: number) {
    super(dir, 'redis');
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    return ['redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--dir', this.dir, '--save', '',
      '--appendonly', 'yes', '--appendfsync', 'everysec', '--daemonize', 'no', '--maxmemory-policy', 'noeviction']];
  }

  protected up(): Promise<boolean> {
    return new Promise((resolve) => {
      const s = net.connect(this.port, '127.0.0.1', () => s.write('PING\r\n'));
      s.once('data', (d) => {
        s.destroy();
        resolve(d.toString().startsWith('+PONG'));
      });
      s.once('error', () => resolve(false));
    });
  }
}

/** influxd (1.x) with its data in the run's directory, HTTP and RPC on loopback. */
export class InfluxServer extends OwnServer {
  constructor(dir: string, readonly port: number, private readonly rpcPort: number) {
    super(dir, 'influxd');
    writeInfluxdConfig(dir, port, rpcPort);
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    return ['influxd', ['-config', path.join(this.dir, 'influxdb.conf')]];
  }

  protected async up(): Promise<boolean> {
    return (await fetch(`${this.url}/ping`)).status === 204;
  }
}

/**
 * A TCP proxy on loopback that passes bytes on after `delayMs` (0: at once),
 * in order, both ways: the network to InfluxDB made slow without touching it.
 */
export class DelayProxy {
  delayMs = 0;
  port = 0;
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();

  constructor(private readonly targetPort: number) {
    this.server = net.createServer((client) => {
      const upstream = net.connect(this.targetPort, '127.0.0.1');
      for (const s of [client, upstream]) {
        this.sockets.add(s);
        s.on('close', () => this.sockets.delete(s));
        s.on('error', () => {
          client.destroy();
          upstream.destroy();
        });
      }
      this.pipe(client, upstream);
      this.pipe(upstream, client);
    });
  }

  /** Each chunk leaves `delayMs` after it came, never before the one before it. */
  private pipe(from: net.Socket, to: net.Socket) {
    let lastDue = 0;
    from.on('data', (chunk) => {
      const due = Math.max(Date.now() + this.delayMs, lastDue);
      lastDue = due;
      const send = () => {
        if (!to.destroyed) to.write(chunk);
      };
      if (due <= Date.now()) send();
      else setTimeout(send, due - Date.now());
    });
    from.on('end', () => {
      const wait = Math.max(0, lastDue - Date.now());
      setTimeout(() => to.end(), wait);
    });
  }

  async start(): Promise<number> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', () => resolve()));
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

export interface Memory {
  rss: number;
  heapUsed: number;
}

export type ComponentName = 'collector' | 'processor' | 'alerter' | 'agent';

/**
 * One component from its real entry point (`<name>/main.ts`), a process of
 * its own with the memory probe loaded; its log (JSON lines) kept in a file
 * and in memory for the records a run looks for.
 */
export class ComponentProcess {
  private proc: ChildProcess | undefined;
  private exited: Promise<void> = Promise.resolve();
  private readonly file: string;
  private readonly out: WriteStream;
  private tail = '';
  /** times started, restarts included */
  starts = 0;
  /** log records at warn level and above, with how often each message came */
  readonly problems = new Map<string, number>();
  /** called with every log record (a JSON line) */
  onRecord: ((r: Record<string, unknown>) => void) | undefined;

  constructor(readonly label: string, readonly component: ComponentName, config: Record<string, unknown>, dir: string) {
    mkdirSync(dir, { recursive: true });
    this.file = path.join(dir, `${label}.yaml`);
    writeFileSync(this.file, stringify(config));
    this.out = createWriteStream(path.join(dir, `${label}.log`), { flags: 'a' });
  }

  get pid(): number | undefined {
    return this.proc?.exitCode === null && this.proc.signalCode === null ? this.proc.pid : undefined;
  }

  async start(): Promise<void> {
    const p = spawn(process.execPath, [
      '--expose-gc', '--import', 'tsx', '--import', path.join(ROOT, 'test/helpers/memory-probe.ts'),
      path.join(ROOT, this.component, 'main.ts'), '--config', this.file,
    ], { cwd: ROOT, env: { ...process.env, SHIPWATCH_CONFIG: this.file }, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    this.proc = p;
    this.starts++;
    this.tail = '';
    let partial = '';
    p.stderr!.on('data', (d: Buffer) => {
      this.out.write(d);
      this.tail = (this.tail + d.toString()).slice(-200_000);
      partial += d.toString();
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const l of lines) this.note(l);
    });
    this.exited = new Promise((r) => p.once('exit', () => r()));
    const deadline = Date.now() + 120_000;
    while (!this.tail.includes(`"msg":"${this.component} ready:`)) {
      if (p.exitCode !== null || p.signalCode !== null) throw new Error(`${this.label} exited (${p.exitCode ?? p.signalCode}): ${this.tail.slice(-2000)}`);
      if (Date.now() > deadline) throw new Error(`${this.label} not ready within 120 s: ${this.tail.slice(-2000)}`);
      await sleep(100);
    }
  }

  private note(line: string) {
    let r: { level?: number; msg?: string };
    try {
      r = JSON.parse(line);
    } catch {
      return;
    }
    if ((r.level ?? 0) >= 40 && r.msg) this.problems.set(r.msg, (this.problems.get(r.msg) ?? 0) + 1);
    this.onRecord?.(r);
  }

  /** Whether the log (since the last start) has a record whose message starts with `msg`. */
  logged(msg: string): boolean {
    return this.tail.includes(`"msg":"${msg}`);
  }

  /** RSS and heap in use after a full collection, from the memory probe in the process. */
  memory(timeoutMs = 10_000): Promise<Memory> {
    const p = this.proc;
    if (!p || !this.pid) return Promise.reject(new Error(`${this.label} not running`));
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        p.off('message', on);
        reject(new Error(`${this.label}: no memory reading within ${timeoutMs} ms`));
      }, timeoutMs);
      const on = (m: unknown) => {
        const r = m as { probe?: string } & Memory;
        if (r?.probe !== 'memory') return;
        clearTimeout(timer);
        p.off('message', on);
        resolve({ rss: r.rss, heapUsed: r.heapUsed });
      };
      p.on('message', on);
      p.send({ probe: 'memory' });
    });
  }

  /** Sends a signal; resolves when the process has exited. */
  async kill(signal: NodeJS.Signals): Promise<void> {
    if (this.pid) this.proc!.kill(signal);
    await this.exited;
  }

  /** SIGTERM and wait: the component finishes its work under way (shutdownTimeout). */
  stop(): Promise<void> {
    return this.kill('SIGTERM');
  }

  async close(): Promise<void> {
    await this.stop();
    await new Promise((r) => this.out.end(r));
  }
}

/** The components of a run: each added with the run's configuration (and overrides), its log in `dir`. */
export class Pipeline {
  readonly components: ComponentProcess[] = [];

  constructor(private readonly dir: string, private readonly config: (over: Record<string, unknown>) => Record<string, unknown>) {}

  add(label: string, component: ComponentName, over: Record<string, unknown> = {}): ComponentProcess {
    const c = new ComponentProcess(label, component, this.config(over), this.dir);
    this.components.push(c);
    return c;
  }

  /** The collector at debug level: its cycle records (one per cycle it ran) go to `onCycle` with the cycle's time. */
  addCollector(onCycle: (time: number) => void): ComponentProcess {
    const c = this.add('collector', 'collector', { log: { level: 'debug' } });
    c.onRecord = (r) => {
      if (r.msg === 'cycle' && typeof r.time === 'number') onCycle(r.time);
    };
    return c;
  }
}
