/** Counting lines that match the configured patterns (case-insensitive). Pure. */

export interface CompiledPattern {
  name: string;
  re: RegExp;
}

export function compilePatterns(patterns: Record<string, string>): CompiledPattern[] {
  return Object.entries(patterns).map(([name, src]) => ({ name, re: new RegExp(src, 'i') }));
}

/** Per-name counts since the last take(). */
export class PatternCounter {
  private counts: Map<string, number>;

  constructor(private readonly patterns: CompiledPattern[]) {
    this.counts = new Map(patterns.map((p) => [p.name, 0]));
  }

  count(text: string): void {
    for (const p of this.patterns) if (p.re.test(text)) this.counts.set(p.name, (this.counts.get(p.name) ?? 0) + 1);
  }

  /** The counts so far (every pattern, zeros included), then zero again. */
  take(): Map<string, number> {
    const out = this.counts;
    this.counts = new Map(this.patterns.map((p) => [p.name, 0]));
    return out;
  }

  get total(): number {
    let n = 0;
    for (const v of this.counts.values()) n += v;
    return n;
  }
}
