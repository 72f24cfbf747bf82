/**
 * Job payloads on the samples queues, schema version 1 (docs/processor.md).
 * The processor validates every job it takes; a job that does not match fails
 * at once with the reason, and is kept in the failed set for inspection.
 */
import { z } from 'zod';
import { formatIssues } from '../validation.js';
import { ContainerSettingsSchema } from '../container-settings.js';

export const PAYLOAD_VERSION = 1;

/** A measured value; null or absent: not measured this time (JSON turns NaN into null). */
const num = z.number().nullable().optional();
const int = z.number().int();

export const ContainerSampleSchema = z.object({
  id: z.string().min(1),
  name: z.string().min(1),
  image: z.string(),
  /** Docker's State.Status: running, exited, ... */
  state: z.string().min(1),
  /** label values copied into tags by the collector (collector.labelTags) */
  labels: z.record(z.string(), z.string()).optional(),
  /** ms since epoch; 0 or absent: never */
  startedAt: num,
  finishedAt: num,
  exitCode: num,
  oomKilled: z.boolean().optional(),
  restartCount: num,
  pid: num,
  health: z.object({ status: z.string(), failingStreak: num }).nullable().optional(),
  /** present while the container runs */
  cpu: z.object({ percent: num }).nullable().optional(),
  mem: z.object({ usage: num, limit: num, percent: num }).nullable().optional(),
  /** cumulative counters, bytes */
  net: z.object({ rx: num, tx: num }).nullable().optional(),
  blkio: z.object({ read: num, write: num }).nullable().optional(),
  pids: z.object({ current: num, limit: num }).nullable().optional(),
  /** filesystem bytes used and available to the container, when known */
  fs: z.object({ usage: num, limit: num }).nullable().optional(),
  /** log lines matching each collector.logs pattern since the host's previous samples job; absent: logs not followed */
  logMatches: z.record(z.string(), z.number().int().nonnegative()).optional(),
  /** TCP sockets in some states and the size of the ephemeral port range, while it runs and its socket tables are read */
  tcp: z.object({ established: num, synRecv: num, timeWait: num, closeWait: num, portRange: num }).nullable().optional(),
  /** its security posture score and the IDs of its critical findings, when known */
  posture: z.object({ score: num, critical: z.array(z.string().max(16)).max(64) }).nullable().optional(),
  /** settings from its shipwatch.* labels, checked by the collector */
  settings: ContainerSettingsSchema.optional(),
});

export const SamplesPayloadSchema = z.object({
  v: z.literal(PAYLOAD_VERSION),
  host: z.string().min(1),
  /** the collection cycle's time, ms since epoch */
  time: int.positive(),
  /** job ID of the previous job (samples or event) published for this host; absent after a collector start */
  prevId: z.string().nullable().optional(),
  /** facts about the Docker host */
  facts: z.record(z.string(), z.union([z.string(), z.number(), z.boolean()])).optional(),
  containers: z.array(ContainerSampleSchema),
});

/** One Docker event. */
export const EventPayloadSchema = z.object({
  v: z.literal(PAYLOAD_VERSION),
  host: z.string().min(1),
  /** ms since epoch */
  time: int.positive(),
  /** Docker's timeNano, as a decimal string (exact) */
  nano: z.string().regex(/^\d{1,30}$/),
  /** job ID of the previous job (samples or event) published for this host */
  prevId: z.string().nullable().optional(),
  type: z.string().min(1),
  /** e.g. die, oom, "health_status: unhealthy" */
  action: z.string().min(1),
  /** the actor: a container ID for container events */
  id: z.string().min(1),
  name: z.string().optional(),
  image: z.string().optional(),
  attributes: z.record(z.string(), z.string()).optional(),
  /**
   * at die, oom and unhealthy: what the collector read from Docker (common/capture.ts), checked
   * apart from the event, so that a capture that does not match costs the capture, not the event
   */
  capture: z.unknown().optional(),
  /** the engine that sent it: docker (absent: docker) or podman, whose events announce no requested stop */
  engine: z.enum(['docker', 'podman']).optional(),
});

export type ContainerSample = z.infer<typeof ContainerSampleSchema>;
export type SamplesPayload = z.infer<typeof SamplesPayloadSchema>;
export type EventPayload = z.infer<typeof EventPayloadSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; reason: string };

function validate<T>(schema: z.ZodType<T>, what: string, data: unknown): Validated<T> {
  if (data && typeof data === 'object' && 'v' in data && (data as { v: unknown }).v !== PAYLOAD_VERSION) {
    return { ok: false, reason: `${what} payload: unsupported version ${JSON.stringify((data as { v: unknown }).v)} (this processor reads ${PAYLOAD_VERSION})` };
  }
  const r = schema.safeParse(data);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, reason: `${what} payload invalid: ${formatIssues(r.error)}` };
}

export const validateSamples = (d: unknown) => validate(SamplesPayloadSchema, 'samples', d);
export const validateEvent = (d: unknown) => validate(EventPayloadSchema, 'event', d);
