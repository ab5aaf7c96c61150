// How many of one user's one-time prekeys one requester (by name) and one address may be handed a
// day. A session needs one; past the ration a bundle comes without one, and the session starts from
// the signed prekey alone (as X3DH allows). Without it, one `keys` request naming a user 100 times
// took their whole pool, and repeating it made their client drop halves still in use.
import { nameKey } from '../core/names.js';

/** The ration's period: counts older than this are forgotten. */
export const PREKEY_RATION_WINDOW_MS = 24 * 3600_000;
/** Requester/user pairs remembered at once; past it the oldest are forgotten (each holds two numbers). */
const MAX_TRACKED = 200_000;

interface Count {
  since: number;
  handed: number;
}

export class OneTimePrekeyRation {
  /** "requester or address \0 target" -> what was handed out since `since`, oldest first. */
  private readonly counts = new Map<string, Count>();

  constructor(private readonly limits: () => { readonly oneTimePrekeysPerRequester: number; readonly oneTimePrekeysPerAddress: number }) {}

  /** True (and counted) when `requester` from `address` may be handed one more of `target`'s one-time prekeys now. */
  take(requester: string, address: string, target: string, now = Date.now()): boolean {
    const byName = this.count(`n\u0000${nameKey(requester)}\u0000${nameKey(target)}`, now);
    const byAddress = this.count(`a\u0000${address}\u0000${nameKey(target)}`, now);
    const { oneTimePrekeysPerRequester, oneTimePrekeysPerAddress } = this.limits();
    if (byName.handed >= oneTimePrekeysPerRequester || byAddress.handed >= oneTimePrekeysPerAddress) return false;
    byName.handed++;
    byAddress.handed++;
    return true;
  }

  private count(key: string, now: number): Count {
    let count = this.counts.get(key);
    if (count === undefined || now - count.since >= PREKEY_RATION_WINDOW_MS) {
      this.counts.delete(key);
      count = { since: now, handed: 0 };
      this.counts.set(key, count);
      while (this.counts.size > MAX_TRACKED) this.counts.delete(this.counts.keys().next().value as string);
    }
    return count;
  }
}
