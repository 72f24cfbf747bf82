/**
 * Where the alerter keeps its state in Redis: every key under the alert
 * queue's hash tag (one Cluster slot, so the few multi-key scripts work there
 * too), `<{prefix:alerts}>:alerter:<part>:...`.
 */
import { alertsPrefix } from '../../common/queue/names.js';

export class StoreKeys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `${alertsPrefix(prefix)}:alerter`;
  }

  key(...parts: string[]): string {
    return [this.base, ...parts].join(':');
  }
}

/** Records that must outlive any retry or re-run of their job (deliveries, claimed actions). */
export const RECORD_TTL_S = 14 * 86_400;
