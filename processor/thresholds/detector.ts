/**
 * Dynamic threshold for one series. The baseline is a robust level (Huber-clipped
 * EWMA) plus an optional seasonal profile; each side of the band is the wider of
 * `bandWidth` robust scales and `tailMargin` times that side's tracked residual
 * quantile, so a series' usual spikes stay inside. An onset is raised when a run of
 * outside samples reaches `consecutive`, outside the refractory period, and the
 * excursion is larger than the last alarmed one on that side (a decaying memory),
 * so one recurring pattern does not page again and again.
 * Pure and deterministic: time comes only from the samples; O(1) per update.
 */
import type { SeasonalityOptions, ThresholdOptions } from './options.js';
import { resolveOptions } from './options.js';
import { huber, learningRate } from './robust.js';
import { bucketOf } from './seasonal.js';
import type { SeasonalProfile } from './seasonal.js';
import type { ThresholdState } from './state.js';
import { initialState, restoreState } from './state.js';

export interface ThresholdResult {
  /** expected value now */
  baseline: number;
  /** band drawn around the baseline */
  lower: number;
  upper: number;
  /** warm-up is over: may alert */
  warm: boolean;
  /** this sample is outside the band */
  outside: boolean;
  /** true only on the sample where an anomaly is raised (its onset) */
  anomaly: boolean;
  /** distance beyond the band in robust scale units; 0 inside */
  score: number;
}

/** Residuals are clipped only once the scale rests on this many samples. */
const ROBUST_AFTER = 10;
/** Adaptation rate of the long-run spread that floors the scale: slow, it only sets a floor. */
const SPREAD_RATE = 0.001;
/** Adaptation rate of the usual sample spacing. */
const SPACING_RATE = 0.1;

export class DynamicThreshold {
  private readonly opts: ThresholdOptions;
  private state: ThresholdState;
  /** multiplicative steps of the tail trackers: up on an exceedance, down otherwise */
  private readonly tailGrow: number;
  private readonly tailShrink: number;
  private readonly repeatDecay: number;

  constructor(opts?: Partial<ThresholdOptions>, state?: ThresholdState) {
    this.opts = resolveOptions(opts);
    this.state = state ? restoreState(state, this.opts) : initialState(this.opts);
    // pinball-loss steps in log space: at rest, exceeded by (1 - tailQuantile) of the samples
    this.tailGrow = Math.exp(this.opts.tailRate * this.opts.tailQuantile);
    this.tailShrink = Math.exp(-this.opts.tailRate * (1 - this.opts.tailQuantile));
    this.repeatDecay = this.opts.repeatHalfLife > 0 ? Math.pow(0.5, 1 / this.opts.repeatHalfLife) : 0;
  }

  static fromJSON(state: ThresholdState, opts?: Partial<ThresholdOptions>): DynamicThreshold {
    return new DynamicThreshold(opts, state);
  }

  /** A copy of the state: later updates do not change it. */
  toJSON(): ThresholdState {
    return restoreState(this.state, this.opts);
  }

  update(timeMs: number, value: number): ThresholdResult {
    const o = this.opts;
    const s = this.state;
    // unusable or out-of-order samples are reported against the current band, never learned
    if (!Number.isFinite(value) || !Number.isFinite(timeMs)) return this.current(timeMs);
    if (s.lastTimeMs !== null && timeMs < s.lastTimeMs) return this.current(timeMs);

    if (s.learned === 0) return this.first(timeMs, value);

    const dt = timeMs - (s.lastTimeMs as number);
    if (s.spacingMs > 0 && dt > o.gapFactor * s.spacingMs) {
      // after a long silence the old run means nothing and the level may have moved:
      // hold alarms for a while and let a shift be taken as the new normal sooner
      s.run = 0;
      s.rewarm = o.gapRewarmSamples;
    }
    if (dt > 0) {
      // a gap moves the usual spacing only a bounded step, so a lasting change of
      // sampling interval is learned within a few samples and a one-off gap is not
      const step = s.spacingMs > 0 && dt > o.gapFactor * s.spacingMs ? o.gapFactor * s.spacingMs : dt;
      s.spacingMs = s.spacingMs === 0 ? dt : s.spacingMs + SPACING_RATE * (step - s.spacingMs);
    }
    s.lastTimeMs = timeMs;

    const season = o.seasonality;
    const profile = s.profile;
    const bucket = season && profile ? bucketOf(timeMs, season) : -1;
    const offset = bucket >= 0 ? (profile as SeasonalProfile).offsets[bucket] : 0;
    const baseline = s.level + offset;
    const scale = this.effectiveScale(baseline);
    const residual = value - baseline;
    const distance = residual < 0 ? -residual : residual;
    const halfUp = scale * this.widthUnits(s.tailUp);
    const halfDown = scale * this.widthUnits(s.tailDown);
    const halfWidth = residual > 0 ? halfUp : halfDown;
    const outside = distance > halfWidth;

    const warm = this.isWarm(timeMs, bucket);

    // alarm bookkeeping
    if (s.cooldown > 0) s.cooldown--;
    s.alarmedUp *= this.repeatDecay;
    s.alarmedDown *= this.repeatDecay;
    if (s.rewarm > 0) s.rewarm--;
    const deseasonalised = value - offset;
    let anomaly = false;
    if (outside) {
      const side = residual > 0 ? 1 : -1;
      if (s.run > 0 && side === s.runSide) {
        s.run++;
        s.runSum += deseasonalised;
      } else {
        s.run = 1;
        s.runSide = side;
        s.runSum = deseasonalised;
      }
      if (warm && s.run === o.consecutive && s.cooldown === 0) {
        // an excursion no larger than the remembered one is a known pattern: it raises
        // nothing but keeps the memory alive; a larger one is an anomaly and is remembered
        if (side > 0) {
          if (distance > s.alarmedUp * o.repeatMargin) anomaly = true;
          if (distance > s.alarmedUp) s.alarmedUp = distance;
        } else {
          if (distance > s.alarmedDown * o.repeatMargin) anomaly = true;
          if (distance > s.alarmedDown) s.alarmedDown = distance;
        }
        if (anomaly) s.cooldown = o.refractorySamples;
      }
    } else {
      s.run = 0;
    }

    // learning: clipped residuals, so the outliers being judged barely move the band
    s.learned++;
    const firstCycle = bucket >= 0 && timeMs - (s.firstTimeMs as number) < (season as SeasonalityOptions).periodMs;
    const robust = s.learned > ROBUST_AFTER;
    const limit = o.huberClip * scale;
    let clipped = robust ? huber(residual, limit) : residual;
    if (bucket >= 0) {
      const p = profile as SeasonalProfile;
      const rate = learningRate(o.seasonalRate, ++p.counts[bucket]);
      if (firstCycle) {
        // the profile's first cycle: each slot takes its own residual, unclipped, before
        // the level sees it, so the level is not dragged along by the daily pattern
        p.offsets[bucket] += rate * residual;
        const rest = residual - rate * residual;
        clipped = robust ? huber(rest, limit) : rest;
      } else {
        p.offsets[bucket] += rate * clipped;
      }
    }
    s.level += learningRate(o.levelRate, s.learned) * clipped;
    s.scale += learningRate(o.scaleRate, s.learned) * ((robust && distance > limit ? limit : distance) - s.scale);
    s.spread += learningRate(SPREAD_RATE, s.learned) * (distance - s.spread);
    // every sample feeds the tails, each with a bounded step: spikes that recur widen
    // the band, a lone anomaly barely does
    const z = distance / scale;
    if (residual > 0) s.tailUp *= z > s.tailUp ? this.tailGrow : this.tailShrink;
    else s.tailUp *= this.tailShrink;
    if (residual < 0) s.tailDown *= z > s.tailDown ? this.tailGrow : this.tailShrink;
    else s.tailDown *= this.tailShrink;
    // a shift that persists is the new normal; right after a gap it is expected, so sooner
    const shiftAfter = s.rewarm > 0 && o.gapRewarmSamples < o.shiftSamples ? o.gapRewarmSamples : o.shiftSamples;
    if (s.run >= shiftAfter && !firstCycle) {
      const newLevel = s.runSum / s.run;
      // excursions remembered on that side were measured from the old level
      const moved = Math.abs(newLevel - s.level);
      if (s.runSide > 0) s.alarmedUp = s.alarmedUp > moved ? s.alarmedUp - moved : 0;
      else s.alarmedDown = s.alarmedDown > moved ? s.alarmedDown - moved : 0;
      s.level = newLevel;
      s.run = 0;
    }

    const score = outside ? (distance - halfWidth) / scale : 0;
    return { baseline, lower: baseline - halfDown, upper: baseline + halfUp, warm, outside, anomaly, score };
  }

  private first(timeMs: number, value: number): ThresholdResult {
    const s = this.state;
    s.learned = 1;
    s.level = value;
    s.scale = 0;
    s.spread = 0;
    s.firstTimeMs = timeMs;
    s.lastTimeMs = timeMs;
    const scale = this.effectiveScale(value);
    return {
      baseline: value,
      lower: value - scale * this.widthUnits(s.tailDown),
      upper: value + scale * this.widthUnits(s.tailUp),
      warm: false,
      outside: false,
      anomaly: false,
      score: 0,
    };
  }

  /** The band at `timeMs` from what has been learned, without learning anything. */
  private current(timeMs: number): ThresholdResult {
    const s = this.state;
    const season = this.opts.seasonality;
    const bucket = season && s.profile && Number.isFinite(timeMs) ? bucketOf(timeMs, season) : -1;
    const baseline = s.level + (bucket >= 0 ? (s.profile as SeasonalProfile).offsets[bucket] : 0);
    const scale = this.effectiveScale(baseline);
    const warm = Number.isFinite(timeMs) && this.isWarm(timeMs, bucket);
    return {
      baseline,
      lower: baseline - scale * this.widthUnits(s.tailDown),
      upper: baseline + scale * this.widthUnits(s.tailUp),
      warm,
      outside: false,
      anomaly: false,
      score: 0,
    };
  }

  /**
   * Alarms may be raised: enough samples learned, not just after a gap, and with a
   * seasonal profile, a full cycle seen and this slot learned.
   */
  private isWarm(timeMs: number, bucket: number): boolean {
    const s = this.state;
    if (s.learned < this.opts.warmupSamples || s.rewarm > 0) return false;
    if (bucket < 0 || !s.profile || !this.opts.seasonality) return true;
    return (
      s.profile.counts[bucket] > 0 && timeMs - (s.firstTimeMs as number) >= this.opts.seasonality.periodMs
    );
  }

  /** Half-width of one side of the band in scale units, given that side's tail. */
  private widthUnits(tail: number): number {
    const t = this.opts.tailMargin * tail;
    return t > this.opts.bandWidth ? t : this.opts.bandWidth;
  }

  private effectiveScale(baseline: number): number {
    const o = this.opts;
    const relative = o.minRelativeScale * (baseline < 0 ? -baseline : baseline);
    const spreadFloor = o.minSpreadScale * this.state.spread;
    let scale = this.state.scale;
    if (scale < relative) scale = relative;
    if (scale < spreadFloor) scale = spreadFloor;
    return scale < o.minScale ? o.minScale : scale;
  }
}
