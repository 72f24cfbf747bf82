/**
 * What a container's label settings change in the processor (pure): static
 * limits from shipwatch.threshold.<metric> as rules, and the detector options
 * of each metric from shipwatch.anomaly.<metric> (off: no detector; low, high:
 * a wider or narrower band than the configured one).
 */
import type { ContainerSettings, Sensitivity } from '../common/container-settings.js';
import type { ThresholdOptions } from './thresholds/index.js';
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
  /** per sensitivity, per metric: the scaled options, made once */
  private readonly scaled = { low: new Map<string, ThresholdOptions>(), high: new Map<string, ThresholdOptions>() };

  /** `base`: the configured options of a metric; `metrics`: those the configuration feeds to the detector. */
  constructor(private readonly base: (metric: string) => ThresholdOptions, private readonly metrics: ReadonlySet<string>) {}

  /** The detector options for a metric of a container, or undefined when it gets no detector. */
  optionsFor(s: ContainerSettings | undefined, metric: string): ThresholdOptions | undefined {
    const level = s?.anomaly?.[metric];
    if (level === undefined) return this.metrics.has(metric) ? this.base(metric) : undefined;
    if (level === 'off') return undefined;
    if (level === 'medium') return this.base(metric);
    // one option set per metric and level, made once: the engine asks on every sample
    const byMetric = this.scaled[level];
    let o = byMetric.get(metric);
    if (!o) {
      const b = this.base(metric);
      o = { ...b, bandWidth: b.bandWidth * BAND_FACTOR[level] };
      byMetric.set(metric, o);
    }
    return o;
  }
}
