// A token bucket: `rate` tokens a second up to `burst`. take() may drive it negative; the caller
// then waits waitMs() before reading more from that peer. Pure (time is passed in) for testing.

export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly rate: number,
    private readonly burst: number,
    now: number,
    /** Where it starts (default: full); never above the burst. */
    start = burst,
  ) {
    this.tokens = Math.min(burst, start);
    this.updatedAt = now;
  }

  /** The balance now (negative: in debt). */
  level(now: number): number {
    this.refill(now);
    return this.tokens;
  }

  /** Brings the balance down to `tokens` if it is above (never up). */
  lowerTo(tokens: number, now: number): void {
    this.refill(now);
    this.tokens = Math.min(this.tokens, tokens);
  }

  /** Spends n tokens (going into debt if need be); returns the balance after. */
  take(n: number, now: number): number {
    this.refill(now);
    this.tokens -= n;
    return this.tokens;
  }

  /** How long until the balance is back to zero (0 when not in debt). */
  waitMs(now: number): number {
    this.refill(now);
    return this.tokens >= 0 ? 0 : Math.ceil((-this.tokens / this.rate) * 1000);
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.updatedAt) / 1000;
    this.updatedAt = now;
    this.tokens = Math.min(this.burst, this.tokens + elapsed * this.rate);
  }
}
