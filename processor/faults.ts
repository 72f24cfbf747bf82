/**
 * Container faults from Docker's event sequence (pure). `docker stop` emits
 * kill → die → stop, `docker restart` kill → die → stop → start → restart,
 * `docker rm -f` kill → die → destroy; a crash emits die alone and `docker
 * kill` kill → die. Docker emits the kill of every requested stop before its
 * die, so a non-zero die with no kill before it is a crash, called at once.
 * A die after a kill is held for stopGrace: a stop or destroy in that time
 * makes it a requested stop; otherwise it was an unexpected kill. Podman (4.3)
 * sends no kill or stop for a requested stop, so there every non-zero die is
 * held for stopGrace, and only a removal within it tells it was requested.
 */
import type { Config } from '../common/config.js';
import type { ContainerState, HostState } from './state.js';
import type { EventPayload } from '../common/queue/payload.js';

/** Events kept per container for snapshots. */
export const RECENT_EVENTS = 20;
/** A kill this close before a die explains its exit code. */
const KILL_WINDOW_MS = 60_000;

/** "health_status: unhealthy" → ["health_status", "unhealthy"]. */
export function splitAction(action: string): [string, string] {
  const i = action.indexOf(':');
  return i < 0 ? [action, ''] : [action.slice(0, i), action.slice(i + 1).trim()];
}

const intOrNull = (s: string | undefined) => {
  if (s === undefined || s === '') return null;
  const n = Number(s);
  return Number.isFinite(n) ? n : null;
};

/** Applies one container event to the container's state. */
export function applyEvent(c: ContainerState, e: EventPayload): void {
  const [action, detail] = splitAction(e.action);
  const attrs = e.attributes ?? {};
  const extra = action === 'die' ? `exitCode=${attrs.exitCode ?? ''}` : action === 'kill' ? `signal=${attrs.signal ?? ''}` : detail;
  c.ev.push([e.time, action, extra]);
  if (c.ev.length > RECENT_EVENTS) c.ev.splice(0, c.ev.length - RECENT_EVENTS);
  switch (action) {
    case 'kill':
      c.kill = { t: e.time, signal: attrs.signal ?? '' };
      break;
    case 'die': {
      const exitCode = intOrNull(attrs.exitCode);
      const kill = c.kill && e.time - c.kill.t <= KILL_WINDOW_MS ? c.kill : null;
      c.kill = null;
      c.info.exitCode = exitCode;
      c.info.finishedAt = e.time;
      if (exitCode !== 0 && !kill && e.engine !== 'podman') c.died = { t: e.time, exitCode, signal: null };
      else if (exitCode !== 0 || kill) c.dying = { t: e.time, exitCode, signal: kill?.signal ?? null };
      c.state = 'exited';
      break;
    }
    case 'stop':
    case 'destroy':
      // A requested stop or removal explains the die before it.
      c.dying = null;
      break;
    case 'start':
      c.info.startedAt = Math.max(c.info.startedAt, e.time);
      c.state = 'running';
      break;
    case 'oom':
      noteOom(c, e.time);
      break;
    case 'health_status':
      if (detail) c.info.health = { status: detail, failingStreak: c.info.health?.failingStreak ?? null };
      break;
  }
}

/** The OOM event and the exit status of the same kill differ by a few ms: one OOM, not two. */
const SAME_OOM_MS = 10_000;

/** Records an OOM kill at t (from the oom event or from OOMKilled with a new finish time). */
export function noteOom(c: ContainerState, t: number): void {
  if (c.oom && Math.abs(c.oom.t - t) <= SAME_OOM_MS) return;
  if (c.oom && t < c.oom.t) return;
  c.oom = { t, active: true };
}

/** Turns held dies older than stopGrace at `now` into unexpected deaths. */
export function confirmDeaths(s: HostState, now: number, stopGrace: number): void {
  for (const c of Object.values(s.c)) {
    if (c.dying && now - c.dying.t >= stopGrace) {
      c.died = c.dying;
      c.dying = null;
    }
  }
}

/** A container that runs again (started after the fault) ends its death and OOM faults. */
export function clearRecovered(c: ContainerState): void {
  const running = c.state === 'running';
  if (c.died && running && c.info.startedAt > c.died.t) c.died = null;
  if (c.oom?.active && running && c.info.startedAt > c.oom.t) c.oom.active = false;
}

/** Records restart_count increments at t; keeps those within the window. */
export function trackRestarts(c: ContainerState, restartCount: number | null, t: number, window: number, cap: number): void {
  const prev = c.info.restartCount;
  if (restartCount !== null && prev !== null && restartCount > prev) {
    const n = Math.min(restartCount - prev, cap);
    for (let i = 0; i < n; i++) c.rs.push(t);
  }
  let i = 0;
  while (i < c.rs.length && c.rs[i] <= t - window) i++;
  if (i > 0) c.rs.splice(0, i);
  if (c.rs.length > cap) c.rs.splice(0, c.rs.length - cap);
}

/**
 * Adds a sample's log lines matching the logErrors pattern (empty pattern:
 * every pattern) and keeps those within the window; the rate is per minute
 * over the window. A container whose logs are no longer followed counts zero
 * until its window is empty, so its rate returns to zero and its alert resolves.
 */
export function trackLogErrors(
  c: ContainerState,
  matches: Record<string, number> | undefined,
  t: number,
  f: Pick<Config['processor']['faults']['logErrors'], 'pattern' | 'window'>,
): void {
  if (!matches && (!c.logs || c.logs.rate === 0)) {
    c.logs = null;
    return;
  }
  let n = 0;
  if (matches) {
    if (f.pattern) n = matches[f.pattern] ?? 0;
    else for (const k in matches) n += matches[k];
  }
  const w = c.logs?.w ?? [];
  w.push(t, n);
  let i = 0;
  while (i < w.length && w[i] <= t - f.window) i += 2;
  if (i > 0) w.splice(0, i);
  let sum = 0;
  for (let j = 1; j < w.length; j += 2) sum += w[j];
  c.logs = { w, rate: (sum * 60_000) / f.window };
}
