// How many of one user's one-time prekeys one requester (by name) and one address may be handed a
// day. A session needs one; past the ration a bundle comes without one, and the session starts from
// the signed prekey alone (as X3DH allows). Without it, one `keys` request naming a user 100 times
// took their whole pool, and repeating it made their client drop halves still in use.
import { nameKey } from '../core/names.js';
import { WindowedCounts } from './windowed-counts.js';

/** The ration's period: counts older than this are forgotten. */
export const PREKEY_RATION_WINDOW_MS = 24 * 3600_000;
/** Requester/user pairs remembered at once; past it the oldest are forgotten (each holds two numbers). */
const MAX_TRACKED = 200_000;

export class OneTimePrekeyRation {
  private readonly handed = new WindowedCounts(PREKEY_RATION_WINDOW_MS, MAX_TRACKED);

  constructor(private readonly limits: () => { readonly oneTimePrekeysPerRequester: number; readonly oneTimePrekeysPerAddress: number }) {}

  /** True (and counted) when `requester` from `address` may be handed one more of `target`'s one-time prekeys now. */
  take(requester: string, address: string, target: string, now = Date.now()): boolean {
    const byName = `n\u0000${nameKey(requester)}\u0000${nameKey(target)}`;
    const byAddress = `a\u0000${address}\u0000${nameKey(target)}`;
    const { oneTimePrekeysPerRequester, oneTimePrekeysPerAddress } = this.limits();
    if (this.handed.count(byName, now) >= oneTimePrekeysPerRequester || this.handed.count(byAddress, now) >= oneTimePrekeysPerAddress) return false;
    this.handed.add(byName, now);
    this.handed.add(byAddress, now);
    return true;
  }
}
