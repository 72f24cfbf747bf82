/**
 * A fault capture's parts from Docker's answers (pure): the inspect facts that
 * matter, with environment values left out; the log tail split into lines; the
 * processes as rows. Everything is cut to CAPTURE_LIMITS.
 */
import type Docker from 'dockerode';
import { CAPTURE_LIMITS as L, type InspectFacts, type LogLine, type ProcessRow } from '../common/capture.js';
import { PROCESS_FIELDS as PF } from '../common/schema.js';
import { Demuxer, FRAME } from './logs/demux.js';
import { LineSplitter } from './logs/splitter.js';
import { parseLogLine } from './logs/parse.js';
import type { ProcessSample } from './processes/sample.js';

const cut = (s: unknown, max: number = L.text) => {
  const t = typeof s === 'string' ? s : s === undefined || s === null ? '' : String(s);
  return t.length <= max ? t : t.slice(0, max - 1) + '…';
};
const numOrNull = (n: unknown) => (typeof n === 'number' && Number.isFinite(n) ? n : null);
/** Docker's "0001-01-01T00:00:00Z" means never. */
const timeOrNull = (s: unknown) => {
  const t = typeof s === 'string' ? Date.parse(s) : NaN;
  return Number.isFinite(t) && t > 0 ? t : null;
};

/** "--password=x", "DB_TOKEN=x": the value goes, the name stays. */
const SECRET_ARG = /^(-{0,2}[\w.-]*(?:pass|secret|token|key|credential|auth)[\w.-]*=)(.+)$/i;
export const redactArg = (a: string) => a.replace(SECRET_ARG, '$1[redacted]');

export function inspectFacts(i: Docker.ContainerInspectInfo): InspectFacts {
  const hc = (i.HostConfig ?? {}) as Docker.HostConfig & { NanoCpus?: number };
  const health = (i.State as { Health?: { Status: string; FailingStreak: number; Log?: Array<{ End: string; ExitCode: number; Output: string }> } }).Health;
  const networks = Object.entries(i.NetworkSettings?.Networks ?? {});
  return {
    image: cut(i.Config?.Image),
    imageId: cut(i.Image),
    command: [i.Path, ...(i.Args ?? [])].filter((a) => a !== undefined && a !== '').slice(0, L.args).map((a) => cut(redactArg(String(a)), L.argChars)),
    user: cut(i.Config?.User),
    workingDir: cut(i.Config?.WorkingDir),
    env: (i.Config?.Env ?? []).slice(0, L.env).map((e) => cut(e.split('=', 1)[0])),
    mounts: (i.Mounts ?? []).slice(0, L.mounts).map((m) => ({
      type: cut(m.Type), source: cut(m.Name || m.Source), destination: cut(m.Destination), mode: cut(m.Mode), rw: !!m.RW,
    })),
    networks: networks.slice(0, L.networks).map(([name, n]) => ({ name: cut(name), ip: cut(n.IPAddress), gateway: cut(n.Gateway) })),
    limits: {
      memory: numOrNull(hc.Memory), memorySwap: numOrNull(hc.MemorySwap), nanoCpus: numOrNull(hc.NanoCpus), cpuShares: numOrNull(hc.CpuShares),
      cpuQuota: numOrNull(hc.CpuQuota), cpuPeriod: numOrNull(hc.CpuPeriod), pidsLimit: numOrNull(hc.PidsLimit),
    },
    restartPolicy: { name: cut(hc.RestartPolicy?.Name || 'no'), maximumRetryCount: numOrNull(hc.RestartPolicy?.MaximumRetryCount) },
    state: {
      status: cut(i.State?.Status), exitCode: numOrNull(i.State?.ExitCode), oomKilled: !!i.State?.OOMKilled, error: cut(i.State?.Error),
      startedAt: timeOrNull(i.State?.StartedAt), finishedAt: timeOrNull(i.State?.FinishedAt), restartCount: numOrNull(i.RestartCount),
    },
    health: health
      ? {
        status: cut(health.Status),
        failingStreak: numOrNull(health.FailingStreak),
        log: (health.Log ?? []).slice(-L.healthLog).map((h) => ({ end: timeOrNull(h.End), exitCode: numOrNull(h.ExitCode), output: cut(h.Output) })),
      }
      : null,
  };
}

/**
 * The answer of GET /containers/{id}/logs?timestamps=1&tail=N (not followed) as
 * lines, oldest first: multiplexed frames unless the container has a TTY.
 */
export function parseLogTail(raw: Buffer, tty: boolean, maxLines: number): LogLine[] {
  const out: Array<{ line: LogLine; order: number }> = [];
  const splitters = { stdout: new LineSplitter(L.lineChars * 4), stderr: new LineSplitter(L.lineChars * 4) };
  // A line without a timestamp keeps its place after the line before it in its stream.
  const last = { stdout: 0, stderr: 0 };
  const add = (stream: 'stdout' | 'stderr') => (b: Buffer) => {
    const p = parseLogLine(b);
    const time = p.ns === undefined ? null : Number(p.ns / 1_000_000n);
    if (time !== null) last[stream] = time;
    out.push({ line: { time, stream, message: cut(p.text, L.lineChars) }, order: last[stream] });
  };
  if (tty) {
    splitters.stdout.push(raw, add('stdout'));
  } else {
    const d = new Demuxer();
    d.push(raw, (type, data) => {
      if (type === FRAME.stderr) splitters.stderr.push(data, add('stderr'));
      else if (type === FRAME.stdout || type === FRAME.stdin) splitters.stdout.push(data, add('stdout'));
    });
  }
  splitters.stdout.end(add('stdout'));
  splitters.stderr.end(add('stderr'));
  // Each stream came in order; between them, the timestamps decide (a stable sort keeps a stream's order).
  out.sort((a, b) => a.order - b.order);
  return out.slice(-Math.min(maxLines, L.logLines)).map((x) => x.line);
}

/** docker top's processes as rows, busiest first. */
export function processRows(samples: ProcessSample[]): ProcessRow[] {
  return [...samples]
    .sort((a, b) => (b.cpuPercentHint ?? 0) - (a.cpuPercentHint ?? 0) || (b.rss ?? 0) - (a.rss ?? 0))
    .slice(0, L.processes)
    .map((p) => ({
      [PF.pid]: p.pid,
      [PF.ppid]: p.ppid ?? null,
      [PF.user]: cut(p.user),
      [PF.state]: cut(p.state),
      [PF.cpuPercent]: p.cpuPercentHint ?? null,
      [PF.memPercent]: p.memPercent ?? null,
      [PF.rss]: p.rss ?? null,
      [PF.command]: cut(redactArgs(p.command), L.argChars),
    }));
}

/** A command line's key=secret arguments redacted. */
const redactArgs = (cmd: string) => cmd.split(' ').map(redactArg).join(' ');
