/** Silences (pure): matchers and a time window; a silenced alert notifies nobody and triggers no action. */
import { matchesAll, type Matcher } from '../common/matchers.js';

export interface Silence {
  id: string;
  matchers: Matcher[];
  /** ms since epoch */
  startsAt: number;
  endsAt: number;
  createdBy: string;
  comment: string;
  createdAt: number;
}

export const isActive = (s: Silence, now: number) => s.startsAt <= now && now < s.endsAt;

/** IDs of the active silences that match the labels. */
export function silencedBy(labels: Record<string, string>, silences: readonly Silence[], now: number): string[] {
  return silences.filter((s) => isActive(s, now) && matchesAll(s.matchers, labels)).map((s) => s.id);
}

export type SilenceState = 'pending' | 'active' | 'expired';
export const silenceState = (s: Silence, now: number): SilenceState => (now < s.startsAt ? 'pending' : now < s.endsAt ? 'active' : 'expired');
