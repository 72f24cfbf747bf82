/**
 * What a container's label settings change in the processor (pure): static
 * limits from shipwatch.threshold.<metric> as rules, and the detector options
 * of each metric from shipwatch.anomaly.<metric> (off: no detector; low, high:
 * a wider or narrower band than the configured one).
 */
import type { ContainerSettings, Sensitivity } from '../common/container-settings.js';
import { resolveOptions, type ThresholdOptions } from './thresholds/index.js';
import type { StaticRule } from './rules.js';

/** Rule names of label limits: threshold.<metric>. */
export const LABEL_THRESHOLD_RULE = 'threshold';

/** A label limit fires when the metric's rolled average goes above it. */
export function labelThresholdRules(s: ContainerSettings | undefined): StaticRule[] {
  if (!s?.thresholds) return [];
  const rules: StaticRule[] = [];
  for (const [metric, value] of Object.entries(s.thresholds)) {
    if (value === undefined) continue;
    rules.push({ name: `${LABEL_THRESHOLD_RULE}.${metric}`, metric, aggregate: 'avg', op: '>', value, for: 0, severity: 'warning', labels: {}, containers: '*' });
  }
  return rules;
}

/** How much wider (low) or narrower (high) than the configured band a sensitivity makes it. */
const BAND_FACTOR: Record<Exclude<Sensitivity, 'off'>, number> = { low: 1.5, medium: 1, high: 2 / 3 };

export class DetectorChoice {
  private readonly byLevel: Record<Exclude<Sensitivity, 'off'>, Partial<ThresholdOptions>>;

  /** `base`: the configured options; `metrics`: those the configuration feeds to the detector. */
  constructor(private readonly base: Partial<ThresholdOptions>, private readonly metrics: ReadonlySet<string>) {
    const r = resolveOptions(base);
    const scaled = (f: number): Partial<ThresholdOptions> => (f === 1 ? base : { ...base, bandWidth: r.bandWidth * f, tailMargin: r.tailMargin * f });
    this.byLevel = { low: scaled(BAND_FACTOR.low), medium: base, high: scaled(BAND_FACTOR.high) };
  }

  /** The detector options for a metric of a container, or undefined when it gets no detector. */
  optionsFor(s: ContainerSettings | undefined, metric: string): Partial<ThresholdOptions> | undefined {
    const level = s?.anomaly?.[metric];
    if (level === undefined) return this.metrics.has(metric) ? this.base : undefined;
    return level === 'off' ? undefined : this.byLevel[level];
  }
}
