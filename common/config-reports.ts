/**
 * The `reports` section of the configuration (docs/reports.md): when the
 * processor makes the scheduled reports, who the alerter mails them to, and
 * how long they are kept. Kept apart from common/config.ts, which includes it.
 */
import { CronExpressionParser } from 'cron-parser';
import { z } from 'zod';
import { duration } from './config-duration.js';

/** A cron expression (5 fields, or 6 with seconds first), checked when the config loads. */
const cron = z.string().transform((v, ctx) => {
  const fields = v.trim().split(/\s+/).length;
  try {
    if (fields !== 5 && fields !== 6) throw new Error(`${fields} fields (give 5: minute hour day-of-month month day-of-week, e.g. "0 6 * * *")`);
    CronExpressionParser.parse(v);
    return v.trim();
  } catch (e) {
    ctx.addIssue({ code: 'custom', message: `not a cron expression: ${(e as Error).message}` });
    return z.NEVER;
  }
});

const timeZone = z.string().min(1).refine((tz) => {
  try {
    new Intl.DateTimeFormat('en', { timeZone: tz });
    return true;
  } catch {
    return false;
  }
}, { message: 'not a time zone (use an IANA name such as UTC or Europe/Berlin)' });

export const ReportsSchema = z.strictObject({
  /** scheduled reports on/off (on-demand ones are made whenever asked) */
  enabled: z.boolean().default(true),
  /**
   * name → cron expression; each run reports on the time since the schedule's previous run. Exactly one run per
   * period however many processors run (BullMQ job schedulers)
   */
  schedules: z
    .record(z.string().regex(/^[A-Za-z0-9_-]+$/, 'schedule names: letters, digits, _ - only'), cron)
    .default({ daily: '0 6 * * *', weekly: '0 6 * * 1' }),
  /** time zone of the schedules, the report's dates and its busiest-hours profile */
  timezone: timeZone.default('UTC'),
  /** receivers (alerter.receivers, with an email channel) the scheduled reports are mailed to; empty: stored only */
  receivers: z.array(z.string().min(1)).default([]),
  /** containers listed in each top list */
  topN: z.number().int().min(1).max(100).default(10),
  /** a peak at or above this share of a limit is listed under capacity (0.8: within 20 % of it) */
  nearLimit: z.number().gt(0).max(1).default(0.8),
  /** a limit predicted to be reached within this time from the period's end is listed */
  horizon: duration('90d'),
  /** reports are kept in Redis this long */
  keep: duration('90d'),
  /** a report taking longer is given up and retried */
  timeout: duration('5m'),
});

export type ReportsConfig = z.infer<typeof ReportsSchema>;
