/**
 * Alerter test scaffolding: a real SMTP peer (smtp-server) and an HTTP
 * receiver (express) on 127.0.0.1 that record what arrives, alert messages
 * published the way the processor publishes them, and the alerter's real
 * entry point as a child process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import express from 'express';
import { SMTPServer } from 'smtp-server';
import { simpleParser, type ParsedMail } from 'mailparser';
import { stringify } from 'yaml';
import type { Config } from '../../common/config.js';
import type { RedisClient } from '../../common/queue/connection.js';
import { AlertPublisher, alertMessage } from '../../processor/alert-publisher.js';
import type { Transition } from '../../processor/alerts.js';
import type { AlertMessage } from '../../common/queue/alerts.js';
import { ROOT, testConfig } from './services.js';

/** Resolves when `test` holds, re-checked whenever `emitter` emits `event`. */
export function until(emitter: EventEmitter, event: string, test: () => boolean, timeoutMs = 60_000, what = 'condition'): Promise<void> {
  return new Promise((resolve, reject) => {
    const done = (e?: Error) => {
      clearTimeout(timer);
      emitter.off(event, check);
      if (e) reject(e);
      else resolve();
    };
    const check = () => {
      try {
        if (test()) done();
      } catch (e) {
        done(e as Error);
      }
    };
    const timer = setTimeout(() => done(new Error(`${what} not met within ${timeoutMs} ms`)), timeoutMs);
    emitter.on(event, check);
    check();
  });
}

export interface Mail {
  parsed: ParsedMail;
  /** when the peer accepted it (ms) */
  at: number;
}

/** A real SMTP server on 127.0.0.1 that keeps every message it accepts. */
export class SmtpPeer extends EventEmitter {
  readonly mails: Mail[] = [];
  private server: SMTPServer | undefined;
  port = 0;

  async start(port = this.port): Promise<number> {
    const server = new SMTPServer({
      authOptional: true,
      disabledCommands: ['STARTTLS', 'AUTH'],
      logger: false,
      onData: (stream, _session, cb) => {
        simpleParser(stream).then(
          (parsed) => {
            this.mails.push({ parsed, at: Date.now() });
            cb();
            this.emit('mail');
          },
          (e: Error) => cb(e),
        );
      },
    });
    server.on('error', () => {});
    await new Promise<void>((resolve, reject) => {
      server.listen(port, '127.0.0.1', () => resolve());
      server.server.once('error', reject);
    });
    this.server = server;
    this.port = (server.server.address() as AddressInfo).port;
    return this.port;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) await new Promise<void>((r) => s.close(() => r()));
  }

  waitFor(n: number, timeoutMs = 60_000): Promise<void> {
    return until(this, 'mail', () => this.mails.length >= n, timeoutMs, `${n} mails (have ${this.mails.length})`);
  }

  subjects(): string[] {
    return this.mails.map((m) => m.parsed.subject ?? '');
  }
}

export interface Received {
  path: string;
  method: string;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
  raw: string;
  at: number;
  /** what the sink answered */
  status: number;
}

/** An HTTP receiver on 127.0.0.1 for webhooks, SMS gateways and push servers. */
export class HttpSink extends EventEmitter {
  readonly got: Received[] = [];
  /** answer with this status (e.g. 500 to make every channel fail) */
  status = 200;
  /** paths (prefixes) answered with 503, to make one channel fail */
  readonly failing = new Set<string>();
  /** failing answers repeat the request (headers and body), as a careless gateway's error page does */
  echoOnFailure = false;
  private server: Server | undefined;
  port = 0;

  async start(): Promise<string> {
    const app = express();
    app.use(express.text({ type: '*/*', limit: '1mb' }));
    app.all('/{*path}', (req, res) => {
      const raw = typeof req.body === 'string' ? req.body : '';
      let body: unknown = raw;
      try {
        body = raw ? JSON.parse(raw) : undefined;
      } catch {
        // form or text: kept raw
      }
      const status = [...this.failing].some((p) => req.originalUrl.startsWith(p)) ? 503 : this.status;
      this.got.push({ path: req.originalUrl, method: req.method, headers: req.headers, body, raw, at: Date.now(), status });
      if (status >= 300 && this.echoOnFailure) res.status(status).json({ ok: false, you_sent: { url: req.originalUrl, headers: req.headers, body: raw } });
      else res.status(status).json({ ok: status < 300 });
      this.emit('request');
    });
    this.server = await new Promise<Server>((resolve) => {
      const s = app.listen(0, '127.0.0.1', () => resolve(s));
    });
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  at(prefix: string): Received[] {
    return this.got.filter((r) => r.path.startsWith(prefix));
  }

  waitFor(prefix: string, n: number, timeoutMs = 60_000): Promise<void> {
    return until(this, 'request', () => this.at(prefix).length >= n, timeoutMs, `${n} requests to ${prefix}`);
  }

  async stop(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}

export type AlertInput = Omit<AlertMessage, 'v' | 'key' | 'endsAt'> & { endsAt?: number | null };

/** Publishes alert transitions through the processor's own publisher. */
export class AlertFeed {
  readonly pub: AlertPublisher;
  constructor(client: RedisClient, cfg: Pick<Config, 'redis' | 'queue'>) {
    this.pub = new AlertPublisher(client, cfg);
  }

  async send(m: AlertInput): Promise<string> {
    await this.pub.publish(m.host, [this.transition(m)]);
    return `${m.rule}|${m.host}|${m.container}`;
  }

  /** The message the processor would publish. */
  message(m: AlertInput): AlertMessage {
    return alertMessage(m.host, this.transition(m));
  }

  /** Adds a message under a job ID of our choosing (a publish the processor's job-ID guard would not catch). */
  async raw(m: AlertMessage, jobId: string): Promise<void> {
    await this.pub.queue.add(m.status, m, { jobId });
  }

  private transition(m: AlertInput): Transition {
    const key = `${m.rule}|${m.host}|${m.container}`;
    return {
      status: m.status,
      key,
      time: m.status === 'resolved' ? (m.endsAt ?? Date.now()) : m.startsAt,
      alert: {
        status: 'firing', rule: m.rule, severity: m.severity, container: m.container, containerId: m.containerId,
        labels: m.labels, summary: m.summary, value: m.value, since: m.startsAt, startsAt: m.startsAt, snapshotId: m.snapshotId,
      },
    };
  }

  close() {
    return this.pub.close();
  }
}

/** A component's entry point as a child process, with a YAML config of its own; its output (stderr and stdout) kept. */
export class ComponentChild {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  stderr = '';
  private readonly out = new EventEmitter();

  constructor(readonly component: string, config: Record<string, unknown>, env: Record<string, string> = {}) {
    const dir = mkdtempSync(path.join(tmpdir(), `sw-${component}-`));
    const file = path.join(dir, 'shipwatch.yaml');
    writeFileSync(file, stringify(config));
    this.proc = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, `${component}/main.ts`), '--config', file], {
      cwd: ROOT,
      env: { ...process.env, SHIPWATCH_CONFIG: file, SHIPWATCH_LOG_LEVEL: 'info', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (d: Buffer) => {
      this.stderr += d.toString();
      this.out.emit('data');
    };
    this.proc.stderr!.on('data', keep);
    this.proc.stdout!.on('data', keep);
    this.exited = new Promise((r) => this.proc.on('exit', (code) => {
      r(code);
      this.out.emit('data');
    }));
  }

  /** Resolves when the component logged `text`. */
  waitForLog(text: string, timeoutMs = 60_000): Promise<void> {
    return until(this.out, 'data', () => {
      if (this.proc.exitCode !== null && !this.stderr.includes(text)) throw new Error(`${this.component} exited (${this.proc.exitCode}): ${this.stderr.slice(-2000)}`);
      return this.stderr.includes(text);
    }, timeoutMs, `${this.component} log "${text}"`);
  }

  kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<number | null> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    return this.exited;
  }
}

/** The alerter's entry point as a child process. */
export class AlerterChild extends ComponentChild {
  constructor(config: Record<string, unknown>, env: Record<string, string> = {}) {
    super('alerter', config, env);
  }

  ready(timeoutMs = 60_000) {
    return this.waitForLog('"msg":"alerter ready:', timeoutMs);
  }
}

/**
 * Collector, processor and alerter on the real services, at a 1 s interval, with
 * one route sending the `died` alerts of one container to an SMTP peer on loopback.
 * `overrides` are applied last.
 */
export function pipelineConfig(
  db: string,
  o: { host: string; prefix: string; container: string; smtpPort: number; stopGrace: string },
  overrides: Record<string, unknown> = {},
): Config {
  return testConfig(db, {
    host: o.host,
    'redis.prefix': `{${o.prefix}}`,
    'collector.interval': '1s',
    'collector.processes.enabled': false,
    'collector.disk.enabled': false,
    'collector.images.enabled': false,
    'processor.faults.logErrors.enabled': false,
    'processor.faults.died.stopGrace': o.stopGrace,
    'alerter.smtp': { host: '127.0.0.1', port: o.smtpPort, timeout: '5s' },
    'alerter.delivery': { backoff: '200ms' },
    'alerter.receivers': [{ name: 'oncall', email: { to: ['oncall@example.test'] } }],
    // Only this container: the shared Docker engine runs other tests' containers too.
    'alerter.route': {
      receiver: '',
      routes: [{ matchers: [`container="${o.container}"`, 'rule="died"'], receiver: 'oncall', groupWait: '0s', groupInterval: '1s' }],
    },
    ...overrides,
  });
}
