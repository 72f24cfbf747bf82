/**
 * Runs a recovery script without a shell: the file is executed directly with
 * fixed arguments, the alert's facts only in its environment. It gets a
 * process group of its own; at the timeout the whole group is killed, and so
 * is anything it left behind when it exits. Output is kept up to a limit.
 */
import { spawn } from 'node:child_process';

export interface ScriptRun {
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  startedAt: number;
  endedAt: number;
  /** the process group (= the script's PID) */
  pgid: number | undefined;
  error: string;
}

export interface ScriptOptions {
  env: Record<string, string>;
  cwd: string;
  timeoutMs: number;
  /** bytes kept of stdout and of stderr each */
  outputLimit: number;
  onStart?: (pgid: number) => void;
}

/** Keeps the first `limit` bytes of a stream and counts the rest. */
export class Capped {
  private chunks: Buffer[] = [];
  private size = 0;
  dropped = 0;
  constructor(private readonly limit: number) {}
  push(b: Buffer) {
    const room = this.limit - this.size;
    if (room > 0) {
      const part = b.length > room ? b.subarray(0, room) : b;
      this.chunks.push(part);
      this.size += part.length;
    }
    this.dropped += Math.max(0, b.length - Math.max(0, room));
  }
  text() {
    const s = Buffer.concat(this.chunks).toString('utf8');
    return this.dropped ? `${s}\n[${this.dropped} bytes cut]` : s;
  }
}

const killGroup = (pgid: number, signal: NodeJS.Signals) => {
  try {
    process.kill(-pgid, signal);
  } catch {
    // already gone
  }
};

/**
 * Process groups of the scripts running now. A script has a group of its own,
 * so nothing that stops the agent reaches it: should the agent exit before a
 * script ends (a stop cut short by shutdownTimeout), it takes them along.
 */
const running = new Set<number>();
process.on('exit', () => {
  for (const pgid of running) killGroup(pgid, 'SIGKILL');
});

export function runScript(file: string, args: readonly string[], o: ScriptOptions): Promise<ScriptRun> {
  const startedAt = Date.now();
  const out = new Capped(o.outputLimit);
  const err = new Capped(o.outputLimit);
  return new Promise((resolve) => {
    let timedOut = false;
    let settled = false;
    const child = spawn(file, [...args], { cwd: o.cwd, env: o.env, detached: true, shell: false, stdio: ['ignore', 'pipe', 'pipe'] });
    const pgid = child.pid;
    if (pgid) {
      running.add(pgid);
      o.onStart?.(pgid);
    }
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    const timer = setTimeout(() => {
      timedOut = true;
      if (pgid) killGroup(pgid, 'SIGKILL');
    }, o.timeoutMs);
    const finish = (exitCode: number | null, signal: string | null, error = '') => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      // Leftovers in the group would hold our pipes open and outlive the run.
      if (pgid) {
        killGroup(pgid, 'SIGKILL');
        running.delete(pgid);
      }
      resolve({ exitCode, signal, timedOut, stdout: out.text(), stderr: err.text(), startedAt, endedAt: Date.now(), pgid, error });
    };
    child.on('error', (e) => finish(null, null, e.message));
    child.on('exit', (code, signal) => {
      // Let buffered output drain; the group kill in finish() closes the pipes.
      setImmediate(() => finish(code, signal));
    });
  });
}
