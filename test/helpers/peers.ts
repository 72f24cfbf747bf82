/**
 * Debian peers for tests and benches: Prometheus and Alertmanager, each
 * started in the foreground on 127.0.0.1 with a temporary directory of its
 * own and stopped by its PID.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { stringify } from 'yaml';
import { eventually } from './services.js';

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A program in the foreground, its output kept (the tail) for error messages, stopped by PID. */
export class PeerProcess {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  output = '';

  constructor(readonly name: string, command: string, args: string[], env: NodeJS.ProcessEnv = process.env) {
    this.proc = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], env });
    const keep = (b: Buffer) => {
      this.output = (this.output + b.toString()).slice(-16_384);
    };
    this.proc.stdout!.on('data', keep);
    this.proc.stderr!.on('data', keep);
    this.exited = new Promise((r) => this.proc.on('exit', (code) => r(code)));
    this.proc.on('error', (e) => {
      this.output += `\n${e.message}`;
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  get running(): boolean {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  /** SIGTERM to its PID; SIGKILL if it has not exited within `graceMs`. */
  async stop(graceMs = 15_000): Promise<void> {
    if (!this.running || this.proc.pid === undefined) return;
    process.kill(this.proc.pid, 'SIGTERM');
    const timer = setTimeout(() => {
      if (this.running) process.kill(this.proc.pid!, 'SIGKILL');
    }, graceMs);
    await this.exited;
    clearTimeout(timer);
  }
}

async function httpOk(url: string): Promise<boolean> {
  try {
    const r = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return r.ok;
  } catch {
    return false;
  }
}

/** A peer on 127.0.0.1 with a temporary directory of its own: started, awaited on an HTTP path, stopped by PID. */
export class LoopbackPeer {
  readonly dir: string;
  port = 0;
  protected peer: PeerProcess | undefined;

  constructor(readonly name: string) {
    this.dir = mkdtempSync(path.join(tmpdir(), `sw-${name}-`));
  }

  get pid(): number | undefined {
    return this.peer?.pid;
  }

  /** Starts the program and waits until `readyPath` answers 2xx on this.port. */
  protected async launch(command: string, args: string[], readyPath: string, env?: NodeJS.ProcessEnv): Promise<void> {
    this.peer = new PeerProcess(this.name, command, args, env);
    await eventually(async () => {
      if (!this.peer!.running) throw new Error(`${this.name} exited: ${this.peer!.output.slice(-2000)}`);
      return httpOk(`http://127.0.0.1:${this.port}${readyPath}`);
    }, 60_000, 200);
  }

  async stop(graceMs?: number): Promise<void> {
    await this.peer?.stop(graceMs);
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface PrometheusOptions {
  /** scrape and evaluation interval; undefined: Prometheus' defaults (1m) */
  interval?: string;
  /** scrape targets host:port of the job "shipwatch" */
  targets: string[];
  /** alerting rule groups (the YAML `groups` list) */
  rules?: unknown[];
  /** Alertmanager host:port */
  alertmanager?: string;
}

/** Debian's prometheus: `prometheus --config.file --storage.tsdb.path --web.listen-address 127.0.0.1:P`. */
export class PrometheusPeer extends LoopbackPeer {
  constructor(private readonly o: PrometheusOptions) {
    super('prometheus');
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const global: Record<string, string> = {};
    if (this.o.interval) Object.assign(global, { scrape_interval: this.o.interval, evaluation_interval: this.o.interval });
    const config: Record<string, unknown> = {
      global,
      scrape_configs: [{ job_name: 'shipwatch', static_configs: [{ targets: this.o.targets }] }],
    };
    if (this.o.rules) {
      writeFileSync(path.join(this.dir, 'rules.yml'), stringify({ groups: this.o.rules }));
      config.rule_files = [path.join(this.dir, 'rules.yml')];
    }
    if (this.o.alertmanager) config.alerting = { alertmanagers: [{ static_configs: [{ targets: [this.o.alertmanager] }] }] };
    writeFileSync(path.join(this.dir, 'prometheus.yml'), stringify(config));
    this.port = await freePort();
    await this.launch('prometheus', [
      `--config.file=${path.join(this.dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
    ], '/-/ready');
  }

  /** An instant query; the result vector. */
  async query(q: string): Promise<Array<{ metric: Record<string, string>; value: [number, string] }>> {
    const r = await fetch(`${this.url}/api/v1/query?query=${encodeURIComponent(q)}`);
    const body = (await r.json()) as { status: string; error?: string; data: { result: Array<{ metric: Record<string, string>; value: [number, string] }> } };
    if (body.status !== 'success') throw new Error(`query ${q}: ${body.error}`);
    return body.data.result;
  }
}

export interface AlertmanagerOptions {
  /** the `route` block; its receiver is "mail" */
  route: Record<string, unknown>;
  smtpPort: number;
  to: string;
  /** email_configs send_resolved (Alertmanager's default for email: false) */
  sendResolved?: boolean;
}

/** Debian's prometheus-alertmanager with gossip off (`--cluster.listen-address=`). */
export class AlertmanagerPeer extends LoopbackPeer {
  constructor(private readonly o: AlertmanagerOptions) {
    super('alertmanager');
  }

  get address(): string {
    return `127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    const email: Record<string, unknown> = {
      to: this.o.to,
      from: 'alertmanager@example.test',
      smarthost: `127.0.0.1:${this.o.smtpPort}`,
      require_tls: false,
    };
    if (this.o.sendResolved !== undefined) email.send_resolved = this.o.sendResolved;
    writeFileSync(path.join(this.dir, 'alertmanager.yml'), stringify({
      route: { receiver: 'mail', ...this.o.route },
      receivers: [{ name: 'mail', email_configs: [email] }],
    }));
    this.port = await freePort();
    await this.launch('prometheus-alertmanager', [
      `--config.file=${path.join(this.dir, 'alertmanager.yml')}`,
      `--storage.path=${path.join(this.dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${this.port}`,
      '--cluster.listen-address=',
    ], '/-/ready');
  }
}

/** `promtool check metrics` on an exposition: its exit code and what it printed. */
export function promtoolCheck(text: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn('promtool', ['check', 'metrics'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    p.stdout.on('data', (b: Buffer) => (output += b.toString()));
    p.stderr.on('data', (b: Buffer) => (output += b.toString()));
    p.on('error', reject);
    p.on('exit', (code) => resolve({ code, output }));
    p.stdin.end(text);
  });
}
