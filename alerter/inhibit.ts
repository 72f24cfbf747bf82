/** Inhibition (pure): a firing source alert mutes target alerts that share the `equal` labels. */
import { matchesAll } from '../common/matchers.js';
import type { InhibitRule } from '../common/config-alerter.js';

/**
 * The key of a firing alert (other than the target itself) that inhibits the
 * target, or undefined. `firing` are the label sets of every firing alert.
 */
export function inhibitedBy(target: Record<string, string>, targetKey: string, firing: ReadonlyArray<{ key: string; labels: Record<string, string> }>, rules: readonly InhibitRule[]): string | undefined {
  for (const r of rules) {
    if (!matchesAll(r.target, target)) continue;
    for (const src of firing) {
      if (src.key === targetKey) continue;
      if (!matchesAll(r.source, src.labels)) continue;
      if (r.equal.every((l) => (src.labels[l] ?? '') === (target[l] ?? ''))) return src.key;
    }
  }
  return undefined;
}
