/**
 * Servers a test starts for itself, on loopback or unix sockets in a temp
 * dir, stopped by PID: a redis-server with an ACL file (and TLS), an HAProxy
 * with a shipped configuration, an influxd 1.x with authentication on.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export interface Proc {
  proc: ChildProcess;
  dir: string;
  output(): string;
  stop(): Promise<void>;
}

/** Runs a server in the foreground in its own temp dir; stop() ends it by PID and removes the dir. */
export function startProcess(cmd: string, args: string[], o: { dir?: string; env?: NodeJS.ProcessEnv } = {}): Proc {
  const dir = o.dir ?? mkdtempSync(path.join(tmpdir(), 'sw-proc-'));
  let out = '';
  const proc = spawn(cmd, args, { cwd: dir, env: o.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  proc.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  proc.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  return {
    proc,
    dir,
    output: () => out,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGKILL');
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when something accepts connections on the port (or unix socket path). */
export async function whenListening(target: number | string, p: Proc, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = typeof target === 'number' ? connect(target, '127.0.0.1') : connect(target);
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    if (p.proc.exitCode !== null) throw new Error(`server exited (${p.proc.exitCode}): ${p.output().slice(-2000)}`);
    if (Date.now() > deadline) throw new Error(`not listening within ${timeoutMs} ms: ${p.output().slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

export interface PrivateRedis extends Proc {
  port: number;
}

/** A redis-server of the test's own; `args` adds to its command line (e.g. --aclfile, TLS files). With `tls`, `port` is its TLS port (and the only one). */
export async function startRedis(args: string[] = [], o: { tls?: boolean } = {}): Promise<PrivateRedis> {
  const port = await freePort();
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-redis-'));
  const ports = o.tls ? ['--port', '0', '--tls-port', String(port)] : ['--port', String(port)];
  const p = startProcess('redis-server', [...ports, '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--appendonly', 'no', ...args], { dir });
  await whenListening(port, p);
  return { ...p, port };
}

/** A CA and a server certificate for 127.0.0.1 made with openssl, in `dir`. */
export async function makeCertificates(dir: string): Promise<{ ca: string; cert: string; key: string; otherCa: string }> {
  const run = (args: string[]) => new Promise<void>((resolve, reject) => {
    const p = spawn('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr!.on('data', (b: Buffer) => (err += b.toString()));
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`openssl ${args[0]}: ${err}`))));
  });
  writeFileSync(path.join(dir, 'san.cnf'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  for (const name of ['ca', 'other']) {
    await run(['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-days', '2', '-subj', `/CN=shipwatch test ${name}`, '-keyout', `${name}.key`, '-out', `${name}.crt`]);
  }
  await run(['req', '-newkey', 'rsa:2048', '-nodes', '-subj', '/CN=127.0.0.1', '-keyout', 'server.key', '-out', 'server.csr']);
  await run(['x509', '-req', '-in', 'server.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-days', '2', '-extfile', 'san.cnf', '-out', 'server.crt']);
  return { ca: path.join(dir, 'ca.crt'), cert: path.join(dir, 'server.crt'), key: path.join(dir, 'server.key'), otherCa: path.join(dir, 'other.crt') };
}

/** Writes `<dir>/influxdb.conf`: data in dir, HTTP and RPC on loopback, no reporting; `http` lines go to its [http] section. */
export function writeInfluxdConfig(dir: string, httpPort: number, rpcPort: number, http: string[] = []): void {
  writeFileSync(path.join(dir, 'influxdb.conf'), [
    'reporting-disabled = true',
    `bind-address = "127.0.0.1:${rpcPort}"`,
    '[meta]', `  dir = "${dir}/meta"`,
    '[data]', `  dir = "${dir}/data"`, `  wal-dir = "${dir}/wal"`, '  query-log-enabled = false',
    '[monitor]', '  store-enabled = false',
    '[http]', `  bind-address = "127.0.0.1:${httpPort}"`, ...http, '  log-enabled = false',
    '',
  ].join('\n'));
}

/** An influxd 1.x of the test's own with authentication on, and its admin user made. */
export async function startInfluxWithAuth(admin: { user: string; password: string }): Promise<Proc & { url: string }> {
  const [http, rpc] = [await freePort(), await freePort()];
  const dir = mkdtempSync(path.join(tmpdir(), 'sw-influx-'));
  writeInfluxdConfig(dir, http, rpc, ['  auth-enabled = true']);
  const p = startProcess('influxd', ['-config', path.join(dir, 'influxdb.conf')], { dir });
  await whenListening(http, p);
  const url = `http://127.0.0.1:${http}`;
  // With no user yet, 1.x lets anyone create the first admin.
  for (let i = 0; ; i++) {
    const res = await fetch(`${url}/query`, { method: 'POST', body: new URLSearchParams({ q: `CREATE USER "${admin.user}" WITH PASSWORD '${admin.password}' WITH ALL PRIVILEGES` }) });
    if (res.ok) break;
    if (i > 50) throw new Error(`could not create the admin: ${res.status} ${await res.text()}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return { ...p, url };
}
