import type { DfAnswer } from './lines.js';

export interface FsUsage {
  /** bytes in the container's writable layer */
  usage: number;
  /** what it can grow to: its usage plus the free space of Docker's data filesystem */
  limit: number | null;
}

/**
 * Per container, the writable layer's size and how far it can grow: the layer
 * lives on Docker's data filesystem, so it is full when that filesystem is.
 * `available` is that filesystem's free bytes (undefined when not visible here).
 */
export function containerFsUsage(df: DfAnswer, available: number | undefined): Map<string, FsUsage> {
  const out = new Map<string, FsUsage>();
  for (const c of df.Containers ?? []) {
    if (c.SizeRw === undefined || c.SizeRw < 0) continue;
    out.set(c.Id, { usage: c.SizeRw, limit: available === undefined ? null : c.SizeRw + available });
  }
  return out;
}
