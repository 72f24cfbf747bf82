/**
 * A container's settings from its shipwatch.* labels (pure), the way Traefik
 * and Prometheus service discovery take theirs: parsed and checked here, a
 * wrong label is left out and reported (never fatal), the rest is carried to
 * the processor with each sample.
 */
import {
  CONTAINER_LABEL as L, LABEL_PREFIX, SENSITIVITIES, SettingName, type ContainerSettings, type LabelProblem, type Sensitivity,
} from '../common/container-settings.js';
import { PROCESSOR_METRICS } from '../common/schema.js';

const METRICS: readonly string[] = Object.values(PROCESSOR_METRICS);

/** False only for shipwatch.enable=false: such a container is left out of monitoring altogether. */
export function monitored(labels: Record<string, string> | null | undefined): boolean {
  const v = labels?.[L.enable];
  return v === undefined || parseBool(v) !== false;
}

function parseBool(v: string): boolean | undefined {
  const s = v.trim().toLowerCase();
  if (s === 'true') return true;
  if (s === 'false') return false;
  return undefined;
}

const UNITS: Record<string, number> = {
  '': 1, k: 1e3, K: 1e3, M: 1e6, G: 1e9, T: 1e12, Ki: 1024, Mi: 1024 ** 2, Gi: 1024 ** 3, Ti: 1024 ** 4,
};

/** "80", "0.5", "512Mi", "1.5GB", "10MiB": a number with an optional SI or binary multiplier and B. */
export function parseLimit(v: string): number | undefined {
  const m = /^\s*(-?\d+(?:\.\d+)?(?:e[+-]?\d+)?)\s*([kKMGT]i?)?B?\s*$/.exec(v);
  if (!m) return undefined;
  const n = Number(m[1]) * UNITS[m[2] ?? ''];
  return Number.isFinite(n) ? n : undefined;
}

/**
 * The settings the labels give (undefined when none) and what is wrong with
 * the others. Labels outside the shipwatch. prefix are not looked at.
 */
export function parseSettings(labels: Record<string, string> | null | undefined): { settings: ContainerSettings | undefined; problems: LabelProblem[] } {
  const s: ContainerSettings = {};
  const problems: LabelProblem[] = [];
  const bad = (label: string, value: string, problem: string) => problems.push({ label, value, problem });
  for (const [label, value] of Object.entries(labels ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!label.startsWith(LABEL_PREFIX)) continue;
    if (label === L.enable) {
      if (parseBool(value) === undefined) bad(label, value, 'not true or false: the container is monitored');
    } else if (label === L.alert) {
      const b = parseBool(value);
      if (b === undefined) bad(label, value, 'not true or false: its alerts are raised');
      else if (!b) s.alert = false;
    } else if (label.startsWith(L.thresholdPrefix)) {
      const metric = label.slice(L.thresholdPrefix.length);
      const limit = parseLimit(value);
      if (!METRICS.includes(metric)) bad(label, value, `unknown metric "${metric}" (one of ${METRICS.join(', ')}): no limit set`);
      else if (limit === undefined) bad(label, value, 'not a number (e.g. 80, 512Mi, 1.5G): no limit set');
      else (s.thresholds ??= {})[metric] = limit;
    } else if (label.startsWith(L.anomalyPrefix)) {
      const metric = label.slice(L.anomalyPrefix.length);
      const level = value.trim().toLowerCase();
      if (!METRICS.includes(metric)) bad(label, value, `unknown metric "${metric}" (one of ${METRICS.join(', ')}): sensitivity unchanged`);
      else if (!(SENSITIVITIES as readonly string[]).includes(level)) bad(label, value, `not one of ${SENSITIVITIES.join(', ')}: sensitivity unchanged`);
      else (s.anomaly ??= {})[metric] = level as Sensitivity;
    } else if (label === L.route || label === L.recovery) {
      const name = SettingName.safeParse(value.trim());
      if (!name.success) bad(label, value, `not a ${label === L.route ? 'receiver' : 'recovery rule'} name (letters, digits, _ . -): ignored`);
      else if (label === L.route) s.route = name.data;
      else s.recovery = name.data;
    } else {
      bad(label, value, `unknown label (known: ${L.enable}, ${L.alert}, ${L.thresholdPrefix}<metric>, ${L.anomalyPrefix}<metric>, ${L.route}, ${L.recovery}): ignored`);
    }
  }
  return { settings: Object.keys(s).length ? s : undefined, problems };
}
