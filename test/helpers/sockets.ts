/**
 * Many TCP connections inside a container's network namespace, for tests and
 * benches: a Node process entered into the namespace with nsenter (run as
 * root on the Docker host) opens `pairs` connections over loopback to a
 * listener of its own and holds them. Traffic never leaves the namespace.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const HOLDER = `
const net = require('node:net');
const pairs = Number(process.argv[1]);
const held = [];
const server = net.createServer((s) => held.push(s));
server.listen(7777, '127.0.0.1', async () => {
  for (let i = 0; i < pairs; i++) {
    await new Promise((resolve, reject) => {
      const c = net.connect(7777, '127.0.0.1', () => resolve());
      c.on('error', reject);
      held.push(c);
    });
  }
  const wait = () => (held.length >= 2 * pairs ? process.stdout.write('ready\\n') : setTimeout(wait, 10));
  wait();
});
`;

export interface HeldConnections {
  /** sockets held: 2 per pair, plus the listener */
  sockets: number;
  stop(): Promise<void>;
}

export async function holdConnections(pid: number, pairs: number, timeoutMs = 60_000): Promise<HeldConnections> {
  const child: ChildProcess = spawn('nsenter', ['-t', String(pid), '-n', process.execPath, '-e', HOLDER, String(pairs)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const done = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await done;
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${pairs} connections not open within ${timeoutMs} ms`)), timeoutMs);
    child.stdout!.on('data', (b: Buffer) => {
      if (b.toString().includes('ready')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`socket holder exited with ${code}`));
    });
  }).catch(async (e) => {
    await stop();
    throw e;
  });
  return { sockets: 2 * pairs + 1, stop };
}
