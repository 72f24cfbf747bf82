/**
 * Links to a snapshot's page (pure). A link in a notification carries an
 * expiry and an HMAC of the snapshot ID and that expiry, keyed from the API
 * token: it opens that one page, until it expires, without the token, so that
 * an on-call engineer can open it from a phone. Other pages need the token.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export class SnapshotLinks {
  private readonly key: Buffer | undefined;

  /**
   * @param baseUrl the API as browsers reach it ('' : no links)
   * @param token the API token ('' : links without signature, which ask for the token)
   * @param ttl how long a signed link works, ms (0: links are not signed)
   */
  constructor(private readonly baseUrl: string, token: string, private readonly ttl: number) {
    // A key of its own: a signature never reveals anything usable as the token.
    this.key = token && ttl > 0 ? createHmac('sha256', token).update('shipwatch snapshot links').digest() : undefined;
  }

  private sign(id: string, exp: number): string {
    return createHmac('sha256', this.key!).update(`${id}.${exp}`).digest('base64url');
  }

  /** The page's path, relative to the API. */
  static path(id: string): string {
    return `/snapshots/${encodeURIComponent(id)}`;
  }

  /** The link a notification sent at `at` carries; '' when the API has no public address. */
  url(id: string, at: number): string {
    if (!this.baseUrl) return '';
    const u = `${this.baseUrl}${SnapshotLinks.path(id)}`;
    if (!this.key) return u;
    const exp = at + this.ttl;
    return `${u}?exp=${exp}&sig=${this.sign(id, exp)}`;
  }

  /** Whether `exp` and `sig` from a request open the page of `id` at `now`. */
  check(id: string, exp: unknown, sig: unknown, now: number): boolean {
    if (!this.key || typeof exp !== 'string' || typeof sig !== 'string' || !/^\d{1,16}$/.test(exp)) return false;
    if (Number(exp) < now) return false;
    const want = Buffer.from(this.sign(id, Number(exp)));
    const got = Buffer.from(sig);
    return got.length === want.length && timingSafeEqual(got, want);
  }
}
