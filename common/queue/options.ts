import type { JobsOptions } from 'bullmq';
import type { Config } from '../config.js';

/** Retries with exponential backoff; failed jobs kept (bounded) for inspection. */
export function jobOptions(q: Config['queue']): JobsOptions {
  return {
    attempts: q.attempts,
    backoff: { type: 'exponential', delay: q.backoff },
    removeOnComplete: q.keepCompleted === 0 ? true : { count: q.keepCompleted },
    removeOnFail: { count: q.keepFailed },
  };
}
