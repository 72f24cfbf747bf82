/**
 * Real services for integration tests, started through scripts/services.sh
 * (which reuses running ones). Never mocks.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Docker from 'dockerode';
import { parseConfig, type Config } from '../../common/config.js';
import { InfluxQL, ident } from '../../common/influx/query.js';

export { ROOT } from './paths.js';
import { ROOT } from './paths.js';

export interface TestEnv {
  dockerHost: string;
  testImage: string;
  influxUrl: string;
  redisUrl: string;
}

let env: TestEnv | undefined;

/** Starts (or reuses) dockerd, redis-server and influxd; returns where they are. */
export function services(): TestEnv {
  if (env) return env;
  execFileSync(path.join(ROOT, 'scripts/services.sh'), ['start'], { stdio: ['ignore', 'ignore', 'inherit'] });
  const runDir = process.env.SHIPWATCH_RUN_DIR ?? '/tmp/shipwatch-services';
  const vars: Record<string, string> = {};
  for (const m of readFileSync(path.join(runDir, 'env'), 'utf8').matchAll(/^export (\w+)=(.*)$/gm)) vars[m[1]] = m[2];
  env = {
    dockerHost: vars.DOCKER_HOST,
    testImage: vars.SHIPWATCH_TEST_IMAGE,
    influxUrl: vars.SHIPWATCH_INFLUX_URL,
    redisUrl: vars.SHIPWATCH_REDIS_URL,
  };
  return env;
}

export function docker(): Docker {
  const e = services();
  return new Docker({ socketPath: e.dockerHost.replace(/^unix:\/\//, '') });
}

/** A config pointing at the test services, with a database of its own. */
export function testConfig(bucket: string, overrides: Record<string, unknown> = {}): Config {
  const e = services();
  const base: Record<string, any> = {
    docker: { socketPath: e.dockerHost.replace(/^unix:\/\//, '') },
    influx: { url: e.influxUrl, bucket, flushInterval: '200ms', timeout: '60s' },
    redis: { url: e.redisUrl },
    log: { level: process.env.SHIPWATCH_TEST_LOG ?? 'silent' },
  };
  for (const [k, v] of Object.entries(overrides)) {
    const parts = k.split('.');
    let cur = base;
    for (const p of parts.slice(0, -1)) cur = cur[p] ??= {};
    cur[parts[parts.length - 1]] = v;
  }
  return parseConfig(base);
}

/** A fresh, empty InfluxDB database for one test file. */
export async function freshDatabase(name: string): Promise<InfluxQL> {
  const e = services();
  const q = new InfluxQL({ url: e.influxUrl, bucket: name, token: '', username: '', password: '', timeout: 60_000 });
  await q.query(`DROP DATABASE ${ident(name)}`);
  await q.query(`CREATE DATABASE ${ident(name)}`);
  return q;
}

/** Label on every container a test creates, so cleanup finds them all. */
export const TEST_LABEL = 'test.shipwatch.run';

export interface RunOptions {
  name: string;
  cmd: string[];
  labels?: Record<string, string>;
  memory?: number;
  network?: string;
  restart?: { Name: string; MaximumRetryCount?: number };
  tty?: boolean;
  healthcheck?: { Test: string[]; Interval?: number; Timeout?: number; Retries?: number };
  start?: boolean;
}

export async function runContainer(d: Docker, run: string, o: RunOptions): Promise<Docker.Container> {
  const c = await d.createContainer({
    name: o.name,
    Image: services().testImage,
    Cmd: o.cmd,
    Tty: o.tty ?? false,
    Labels: { [TEST_LABEL]: run, ...(o.labels ?? {}) },
    Healthcheck: o.healthcheck,
    HostConfig: {
      Memory: o.memory,
      MemorySwap: o.memory,
      NetworkMode: o.network,
      RestartPolicy: o.restart,
    },
  });
  if (o.start !== false) await c.start();
  return c;
}

/** Removes every container and network a test run created. */
export async function cleanup(d: Docker, run: string): Promise<void> {
  const list = await d.listContainers({ all: true, filters: { label: [`${TEST_LABEL}=${run}`] } });
  await Promise.all(list.map((c) => d.getContainer(c.Id).remove({ force: true }).catch(() => {})));
  const nets = await d.listNetworks({ filters: { label: [`${TEST_LABEL}=${run}`] } });
  await Promise.all(nets.map((n) => d.getNetwork(n.Id).remove().catch(() => {})));
}

/** Polls until fn returns a truthy value; for state that has no event to await. */
export async function eventually<T>(fn: () => Promise<T | undefined | false | null>, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v as T;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms${last ? ': ' + String(last) : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}

export const uniqueRun = (prefix: string) => `${prefix}-${process.pid}-${Date.now().toString(36)}`;

/** Resolves when the container has printed `text` (stdout or stderr). */
export async function waitForOutput(c: Docker.Container, text: string, timeoutMs = 60_000): Promise<void> {
  const stream = (await c.logs({ follow: true, stdout: true, stderr: true })) as NodeJS.ReadableStream & { destroy(): void };
  await new Promise<void>((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`container did not print "${text}" within ${timeoutMs} ms`));
    }, timeoutMs);
    stream.on('data', (b: Buffer) => {
      seen = (seen + b.toString('latin1')).slice(-4096);
      if (seen.includes(text)) {
        clearTimeout(timer);
        stream.destroy();
        resolve();
      }
    });
    stream.on('error', reject);
  });
}
