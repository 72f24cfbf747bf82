/** How a report writes numbers, sizes, durations and dates for people (pure). */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'];

export function formatBytes(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  let x = Math.abs(v);
  let i = 0;
  while (x >= 1024 && i < UNITS.length - 1) {
    x /= 1024;
    i++;
  }
  return `${v < 0 ? '-' : ''}${i === 0 ? x.toFixed(0) : x.toFixed(digits)} ${UNITS[i]}`;
}

export const formatRate = (v: number | null | undefined) => (v === null || v === undefined ? '–' : `${formatBytes(v)}/s`);

export function formatNumber(v: number | null | undefined, digits = 1): string {
  if (v === null || v === undefined || !Number.isFinite(v)) return '–';
  return v.toFixed(digits);
}

export const formatPercent = (v: number | null | undefined, digits = 1) => (v === null || v === undefined ? '–' : `${formatNumber(v, digits)} %`);

export function formatDuration(s: number | null | undefined): string {
  if (s === null || s === undefined || !Number.isFinite(s)) return '–';
  if (s < 90) return `${Math.round(s)} s`;
  if (s < 5400) return `${Math.round(s / 60)} min`;
  if (s < 2 * 86_400) return `${(s / 3600).toFixed(1)} h`;
  return `${(s / 86_400).toFixed(1)} d`;
}

const formats = new Map<string, Intl.DateTimeFormat>();
function fmt(tz: string, kind: 'day' | 'time' | 'full' | 'date'): Intl.DateTimeFormat {
  const k = `${tz}|${kind}`;
  let f = formats.get(k);
  if (!f) {
    const o: Intl.DateTimeFormatOptions = { timeZone: tz, hourCycle: 'h23' };
    if (kind === 'time') Object.assign(o, { hour: '2-digit', minute: '2-digit' });
    if (kind === 'day') Object.assign(o, { month: 'short', day: 'numeric' });
    if (kind === 'date') Object.assign(o, { year: 'numeric', month: '2-digit', day: '2-digit' });
    if (kind === 'full') Object.assign(o, { year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' });
    formats.set(k, (f = new Intl.DateTimeFormat('en-CA', o)));
  }
  return f;
}

/** "2026-11-29 06:00" (full), "2026-11-29" (date), "06:00" (time), "Nov 29" (day), in the time zone. */
export function formatDate(t: number, tz: string, kind: 'day' | 'time' | 'full' | 'date' = 'full'): string {
  return fmt(tz, kind).format(new Date(t)).replace(',', '');
}

export const formatPeriod = (from: number, to: number, tz: string) => `${formatDate(from, tz)} to ${formatDate(to, tz)} (${tz})`;
