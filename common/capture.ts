/**
 * What the collector reads from Docker about a container at a fault event (die,
 * oom, unhealthy) and sends with the event job: its last log lines, the inspect
 * facts that matter, its processes. The processor has no Docker access: this is
 * where its snapshots get them (docs/processor.md, "Snapshot on fault").
 *
 * Every string and list is bounded here, and the processor checks a capture
 * against this schema apart from the event it came with: a capture that does
 * not match is dropped (and said so in the snapshot), the event is kept.
 */
import { z } from 'zod';
import { PROCESS_FIELDS as PF } from './schema.js';
import { formatIssues } from './validation.js';

/** Bounds of a capture, applied by the collector and checked by the processor. */
export const CAPTURE_LIMITS = {
  logLines: 500,
  lineChars: 1000,
  processes: 50,
  env: 300,
  mounts: 100,
  networks: 50,
  args: 100,
  argChars: 1000,
  text: 1000,
  healthLog: 3,
} as const;

const L = CAPTURE_LIMITS;
const text = z.string().max(L.text);
const num = z.number().nullable();

export const LogLineSchema = z.object({
  /** ms since epoch; null when Docker gave no timestamp */
  time: num,
  stream: z.enum(['stdout', 'stderr']),
  message: z.string().max(L.lineChars),
});

export const InspectFactsSchema = z.object({
  /** the reference it was created from, and the image ID */
  image: text,
  imageId: text,
  /** the process Docker started: entrypoint and command (arguments that look like key=secret redacted) */
  command: z.array(z.string().max(L.argChars)).max(L.args),
  user: text,
  workingDir: text,
  /** names of the environment variables; their values never leave the collector */
  env: z.array(text).max(L.env),
  mounts: z.array(z.object({ type: text, source: text, destination: text, mode: text, rw: z.boolean() })).max(L.mounts),
  networks: z.array(z.object({ name: text, ip: text, gateway: text })).max(L.networks),
  /** HostConfig limits; 0 or null: none */
  limits: z.object({ memory: num, memorySwap: num, nanoCpus: num, cpuShares: num, cpuQuota: num, cpuPeriod: num, pidsLimit: num }),
  restartPolicy: z.object({ name: text, maximumRetryCount: num }),
  state: z.object({
    status: text, exitCode: num, oomKilled: z.boolean(), error: text,
    /** ms since epoch, null: never */
    startedAt: num, finishedAt: num, restartCount: num,
  }),
  /** the health check's last results, oldest first; null: no health check */
  health: z.object({
    status: text,
    failingStreak: num,
    log: z.array(z.object({ end: num, exitCode: num, output: text })).max(L.healthLog),
  }).nullable(),
});

/** One process, with the field names of docker_container_process. */
export const ProcessRowSchema = z.object({
  [PF.pid]: z.number(),
  [PF.ppid]: num.optional(),
  [PF.user]: text,
  [PF.state]: text,
  [PF.cpuPercent]: num.optional(),
  [PF.memPercent]: num.optional(),
  [PF.rss]: num.optional(),
  [PF.command]: z.string().max(L.argChars),
});

export const FaultCaptureSchema = z.object({
  /** ms since epoch: when it was read */
  time: z.number().int().positive(),
  /** the event that asked for it: die, oom, health_status: unhealthy */
  trigger: text,
  /** the last lines of the container's log, oldest first; null: not read */
  logs: z.array(LogLineSchema).max(L.logLines).nullable(),
  inspect: InspectFactsSchema.nullable(),
  /** busiest first; null: not running, or not read */
  processes: z.array(ProcessRowSchema).max(L.processes).nullable(),
  /** what could not be read, and why */
  errors: z.array(text).max(10),
});

export type LogLine = z.infer<typeof LogLineSchema>;
export type InspectFacts = z.infer<typeof InspectFactsSchema>;
export type ProcessRow = z.infer<typeof ProcessRowSchema>;
export type FaultCapture = z.infer<typeof FaultCaptureSchema>;

/** The Docker events a capture is taken at: those that start the died, oom and unhealthy faults. */
export function isCaptureTrigger(type: string, action: string): boolean {
  return type === 'container' && (action === 'die' || action === 'oom' || action === 'health_status: unhealthy');
}

export function parseCapture(data: unknown): { ok: true; value: FaultCapture } | { ok: false; reason: string } {
  const r = FaultCaptureSchema.safeParse(data);
  return r.success ? { ok: true, value: r.data } : { ok: false, reason: `capture invalid: ${formatIssues(r.error)}` };
}
