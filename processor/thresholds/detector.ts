/**
 * Dynamic threshold for one series. The baseline is a robust level (Huber-clipped
 * EWMA) plus an optional seasonal profile; the band is `bandWidth` robust scales on
 * each side (at least `minWidth`). That band is what is drawn and what `outside`
 * reports; a series' usual spikes may cross it, and the repeat memory below keeps
 * them from paging. An onset (`anomaly`) is raised on a sample outside the
 * band when, in addition: the detector is warm, the run on that side has lasted
 * `forMs`, no onset was raised within `refractoryMs`, and the excursion is larger
 * than `repeatMargin` times the one remembered on that side (a novelty test: the
 * memory holds the largest excursion seen outside the band, halving every
 * `memoryMs`), so one recurring pattern does not page again and again.
 * Pure and deterministic: time comes only from the samples; O(1) per update.
 */
import type { SeasonalityOptions, ThresholdOptions } from './options.js';
import { checkOptions } from './options.js';
import { DEFAULT_THRESHOLD_OPTIONS } from './defaults.js';
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

/** Residuals are clipped, and alarms possible, only once the scale rests on this many samples. */
const MIN_LEARNED = 10;
/** Adaptation rate of the long-run spread that floors the scale: slow, it only sets a floor. */
const SPREAD_RATE = 0.001;
/** The rates are per this much time: a sample closer to the last one learns proportionally less. */
const RATE_INTERVAL_MS = 300_000;

export class DynamicThreshold {
  private readonly opts: ThresholdOptions;
  private state: ThresholdState;

  /**
   * A detector with `opts` over the defaults. A stored `state` continues where it
   * stopped; one of another version or shape (an older release) starts learning
   * afresh instead of failing.
   */
  constructor(opts?: Partial<ThresholdOptions>, state?: unknown) {
    this.opts = resolveOptions(opts);
    this.state = (state !== undefined && state !== null && restoreState(state, this.opts)) || initialState(this.opts);
  }

  static fromJSON(state: unknown, opts?: Partial<ThresholdOptions>): DynamicThreshold {
    return new DynamicThreshold(opts, state);
  }

  /** A copy of the state: later updates do not change it. */
  toJSON(): ThresholdState {
    return restoreState(this.state, this.opts) as ThresholdState;
  }

  update(timeMs: number, value: number): ThresholdResult {
    const o = this.opts;
    const s = this.state;
    // unusable or out-of-order samples are reported against the current band, never learned
    if (!Number.isFinite(value) || !Number.isFinite(timeMs)) return this.current(timeMs);
    if (s.lastTimeMs !== null && timeMs < s.lastTimeMs) return this.current(timeMs);

    if (s.learned === 0) return this.first(timeMs, value);

    const dt = timeMs - (s.lastTimeMs as number);
    // rates are per RATE_INTERVAL_MS of data, so finer samples learn no faster in time
    const w = dt >= RATE_INTERVAL_MS ? 1 : dt / RATE_INTERVAL_MS;
    const season = o.seasonality;
    const first = s.firstTimeMs as number;
    if (season && s.lastTimeMs! - first < season.periodMs && timeMs - first >= season.periodMs) {
      // the profile is complete: what its first cycle remembered measured a profile being learned
      s.alarmedUp = 0;
      s.alarmedDown = 0;
    }
    if (dt > o.gapMs) {
      // after a long silence the old run means nothing and the level may have moved:
      // hold alarms for a warm-up again and let a shift be taken as the new normal sooner
      s.run = 0;
      s.rewarmUntilMs = timeMs + o.warmupMs;
    }
    s.lastTimeMs = timeMs;
    // the remembered excursions fade with time, not with the number of samples
    if (o.memoryMs > 0 && dt > 0) {
      const fade = Math.pow(0.5, dt / o.memoryMs);
      s.alarmedUp *= fade;
      s.alarmedDown *= fade;
    }

    const profile = s.profile;
    const bucket = season && profile ? bucketOf(timeMs, season) : -1;
    const offset = bucket >= 0 ? (profile as SeasonalProfile).offsets[bucket] : 0;
    const baseline = s.level + offset;
    const scale = this.effectiveScale();
    const residual = value - baseline;
    const distance = residual < 0 ? -residual : residual;
    const halfWidth = this.halfWidth(scale);
    const outside = distance > halfWidth;
    const warm = this.isWarm(timeMs);
    // the profile's first cycle: the residuals measure the profile still being learned
    const firstCycle = bucket >= 0 && timeMs - first < (season as SeasonalityOptions).periodMs;

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
        s.runStartMs = timeMs;
        s.runChecked = 0;
      }
      // Once per run, when it has lasted `forMs`: an excursion no larger than the remembered one
      // is a known pattern and raises nothing; a larger one is an anomaly. Both are remembered,
      // during warm-up too (what the series did while being learned is not news afterwards),
      // but not within the refractory period of an onset: that is the same incident.
      if (s.runChecked === 0 && timeMs - s.runStartMs >= o.forMs && s.learned >= MIN_LEARNED) {
        s.runChecked = 1;
        const remembered = side > 0 ? s.alarmedUp : s.alarmedDown;
        const refractory = this.inRefractory(timeMs);
        if (warm && !refractory && distance > remembered * o.repeatMargin) {
          anomaly = true;
          s.lastOnsetMs = timeMs;
        }
        if (!refractory) this.remember(side, distance);
      }
    } else {
      s.run = 0;
      // a sample inside the band is remembered too: a spike that nearly reached the band
      // is not news when it pokes out of it next time
      if (s.learned >= MIN_LEARNED && !this.inRefractory(timeMs)) this.remember(residual > 0 ? 1 : -1, distance);
    }

    // learning: clipped residuals, so the outliers being judged barely move the band
    s.learned++;
    const robust = s.learned > MIN_LEARNED;
    const limit = o.huberClip * scale;
    let clipped = robust ? huber(residual, limit) : residual;
    if (bucket >= 0) {
      const p = profile as SeasonalProfile;
      const rate = learningRate(o.seasonalRate * w, ++p.counts[bucket]);
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
    const rate = learningRate(o.levelRate * w, s.learned);
    s.level += rate * clipped;
    s.scale += rate * ((robust && distance > limit ? limit : distance) - s.scale);
    s.spread += learningRate(SPREAD_RATE * w, s.learned) * (distance - s.spread);
    // a deviation that lasts is the new normal; one that starts right after a gap is expected,
    // so it is taken as such once it has lasted the warm-up
    const afterGap = s.runStartMs < s.rewarmUntilMs && o.warmupMs < o.newNormalMs;
    const shiftAfter = afterGap ? o.warmupMs : o.newNormalMs;
    if (s.run > 1 && timeMs - s.runStartMs >= shiftAfter && !firstCycle) {
      const newLevel = s.runSum / s.run;
      // excursions remembered on that side were measured from the old level
      const moved = Math.abs(newLevel - s.level);
      if (s.runSide > 0) s.alarmedUp = s.alarmedUp > moved ? s.alarmedUp - moved : 0;
      else s.alarmedDown = s.alarmedDown > moved ? s.alarmedDown - moved : 0;
      s.level = newLevel;
      s.run = 0;
    }

    const score = outside ? (distance - halfWidth) / scale : 0;
    return { baseline, lower: baseline - halfWidth, upper: baseline + halfWidth, warm, outside, anomaly, score };
  }

  private first(timeMs: number, value: number): ThresholdResult {
    const s = this.state;
    s.learned = 1;
    s.level = value;
    s.scale = 0;
    s.spread = 0;
    s.firstTimeMs = timeMs;
    s.lastTimeMs = timeMs;
    const half = this.halfWidth(this.effectiveScale());
    return {
      baseline: value,
      lower: value - half,
      upper: value + half,
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
    const half = this.halfWidth(this.effectiveScale());
    const warm = Number.isFinite(timeMs) && this.isWarm(timeMs);
    return {
      baseline,
      lower: baseline - half,
      upper: baseline + half,
      warm,
      outside: false,
      anomaly: false,
      score: 0,
    };
  }

  /**
   * Alarms may be raised: learned for the warm-up time and MIN_LEARNED samples, and not
   * just after a gap. A seasonal profile does not hold alarms back for a whole cycle:
   * during its first cycle each slot follows its own samples, so the band still
   * catches what breaks away from them.
   */
  private isWarm(timeMs: number): boolean {
    const s = this.state;
    if (s.learned < MIN_LEARNED || s.firstTimeMs === null) return false;
    return timeMs - s.firstTimeMs >= this.opts.warmupMs && timeMs >= s.rewarmUntilMs;
  }

  /** Within the refractory period of the last onset: the same incident. */
  private inRefractory(timeMs: number): boolean {
    const last = this.state.lastOnsetMs;
    return last !== null && timeMs - last < this.opts.refractoryMs;
  }

  /** Keeps `distance` as the excursion remembered on `side` if it is the larger (with the memory on). */
  private remember(side: number, distance: number): void {
    if (this.opts.memoryMs <= 0) return;
    const s = this.state;
    if (side > 0) {
      if (distance > s.alarmedUp) s.alarmedUp = distance;
    } else if (distance > s.alarmedDown) s.alarmedDown = distance;
  }

  /** Half-width of the band, given the scale. */
  private halfWidth(scale: number): number {
    const w = scale * this.opts.bandWidth;
    return w > this.opts.minWidth ? w : this.opts.minWidth;
  }

  private effectiveScale(): number {
    const o = this.opts;
    const spreadFloor = o.minSpreadScale * this.state.spread;
    let scale = this.state.scale;
    if (scale < spreadFloor) scale = spreadFloor;
    return scale < o.minScale ? o.minScale : scale;
  }
}

/** Defaults overlaid with `opts`; throws a RangeError naming the first unusable option. */
export function resolveOptions(opts: Partial<ThresholdOptions> = {}): ThresholdOptions {
  const o: ThresholdOptions = { ...DEFAULT_THRESHOLD_OPTIONS };
  for (const [key, value] of Object.entries(opts)) {
    // an undefined knob keeps its default; an undefined or null seasonality means none
    if (key === 'seasonality') o.seasonality = (value as SeasonalityOptions | null | undefined) ?? undefined;
    else if (value !== undefined) (o as unknown as Record<string, unknown>)[key] = value;
  }
  return checkOptions(o);
}
