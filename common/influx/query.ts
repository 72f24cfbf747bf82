import type { InfluxConfig } from '../config.js';
import { authHeaders } from './auth.js';
import { InfluxQueryError } from '../errors.js';

export interface Series {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

export type Epoch = 'ns' | 'u' | 'ms' | 's' | 'rfc3339';


/** Rows of a series as objects keyed by column, with the series tags merged in. */
export function rows(series: Series[] | undefined): Array<Record<string, unknown>> {
  const out: Array<Record<string, unknown>> = [];
  for (const s of series ?? []) {
    for (const v of s.values ?? []) {
      const row: Record<string, unknown> = { ...(s.tags ?? {}) };
      s.columns.forEach((c, i) => (row[c] = v[i]));
      out.push(row);
    }
  }
  return out;
}

/** InfluxQL over /query: the one query language every InfluxDB from 1.x to 3.x speaks. */
export class InfluxQL {
  constructor(private readonly cfg: Pick<InfluxConfig, 'url' | 'token' | 'username' | 'password' | 'bucket' | 'timeout'>) {}

  /**
   * Runs one or more statements; returns the series of each, in order. Times are epoch ms;
   * 'rfc3339' returns RFC 3339 strings, the only exact form of ns times (JSON numbers lose them).
   */
  async statements(q: string, opts: { db?: string; epoch?: Epoch } = {}): Promise<Series[][]> {
    const body = new URLSearchParams({ q, db: opts.db ?? this.cfg.bucket });
    if (opts.epoch !== 'rfc3339') body.set('epoch', opts.epoch ?? 'ms');
    const res = await fetch(new URL('/query', this.cfg.url), {
      method: 'POST',
      headers: { ...authHeaders(this.cfg), 'content-type': 'application/x-www-form-urlencoded' },
      body,
      signal: AbortSignal.timeout(this.cfg.timeout),
    });
    const text = await res.text();
    let json: { results?: Array<{ series?: Series[]; error?: string }>; error?: string };
    try {
      json = JSON.parse(text);
    } catch {
      throw new InfluxQueryError(`InfluxDB /query answered ${res.status}: ${text.slice(0, 200)}`, q);
    }
    if (json.error) throw new InfluxQueryError(`InfluxQL error: ${json.error}`, q);
    if (!res.ok) throw new InfluxQueryError(`InfluxDB /query answered ${res.status}`, q);
    return (json.results ?? []).map((r) => {
      if (r.error) throw new InfluxQueryError(`InfluxQL error: ${r.error}`, q);
      return r.series ?? [];
    });
  }

  /** The series of a single statement. */
  async query(q: string, opts: { db?: string; epoch?: Epoch } = {}): Promise<Series[]> {
    const [first] = await this.statements(q, opts);
    return first ?? [];
  }

  /** Rows of a single statement as objects. */
  async rows(q: string, opts: { db?: string; epoch?: Epoch } = {}) {
    return rows(await this.query(q, opts));
  }
}

/** Quotes an identifier for InfluxQL. */
export const ident = (s: string) => '"' + s.replace(/\\/g, '\\\\').replace(/"/g, '\\"') + '"';
/** Quotes a string literal for InfluxQL. */
export const literal = (s: string) => "'" + s.replace(/\\/g, '\\\\').replace(/'/g, "\\'") + "'";
