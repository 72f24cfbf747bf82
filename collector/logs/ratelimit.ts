/** Token bucket: `rate` per second on average, up to `burst` at once. Pure (the clock is passed in). */
export class TokenBucket {
  private tokens: number;
  private last: number | undefined;

  constructor(private readonly rate: number, private readonly burst: number) {
    this.tokens = burst;
  }

  /** Takes one token at time `nowMs`; false when there is none (drop). */
  take(nowMs: number): boolean {
    if (this.last !== undefined && nowMs > this.last) {
      this.tokens = Math.min(this.burst, this.tokens + ((nowMs - this.last) / 1000) * this.rate);
    }
    if (this.last === undefined || nowMs > this.last) this.last = nowMs;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return true;
    }
    return false;
  }
}
