/** Durations in the configuration ("30s", "5m", "1h", or ms), checked when it loads; the error says what is wrong. */
import { z } from 'zod';
import { parseDuration } from './duration.js';

const durationValue = (allowZero: boolean) => (v: string | number, ctx: z.RefinementCtx) => {
  try {
    const ms = parseDuration(v);
    if (!allowZero && ms <= 0) throw new Error('must be greater than zero');
    return ms;
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: (e as Error).message });
    return z.NEVER;
  }
};

/** A duration greater than zero, in ms. */
export const duration = (def: string) => z.union([z.string(), z.number()]).default(def).transform(durationValue(false));
/** Like duration, but 0 is allowed (and means off or immediately). */
export const durationOrZero = (def: string) => z.union([z.string(), z.number()]).default(def).transform(durationValue(true));
/** A duration that may be left out (undefined: inherited). */
export const optionalDuration = (allowZero: boolean) =>
  z.union([z.string(), z.number()]).optional().transform((v, ctx) => (v === undefined ? undefined : durationValue(allowZero)(v, ctx)));
