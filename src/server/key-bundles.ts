// Users' key bundles, for clients that have not cached them: each user's public key and signed
// prekey (online here, on another node, or away), with one of the user's one-time prekeys while
// they last, handed out once and rationed per asker and per address (OneTimePrekeyRation), so a
// thousand fresh names cannot drain someone's pool. The owner, if connected, is told when few are
// left, at most once per PREKEY_NOTICE_INTERVAL_MS.
import type { Logger } from '../core/logger.js';
import { ONE_TIME_PREKEYS_LOW, type OneTimePrekey, type PeerSummary } from '../core/messages.js';
import { nameKey } from '../core/names.js';
import { isUsablePrekey } from '../core/prekey.js';
import type { JoinedPeer } from './joined-peer.js';
import type { OneTimePrekeyRation } from './one-time-prekey-ration.js';
import { keyIdOf } from './peer-summaries.js';
import type { ServerLimits } from './server-limits.js';
import type { DurableStore } from './store/durable-store.js';

/** At most one `prekey-pool` notice per user in this time: the top-up it asks for is on its way. */
export const PREKEY_NOTICE_INTERVAL_MS = 5000;

export interface KeyBundleParts {
  readonly ration: OneTimePrekeyRation;
  /** A user's summary (key, signed prekey), wherever they are; undefined for nobody. */
  summaryOf(name: string): PeerSummary | undefined;
  /** The store of registrations and one-time prekeys (undefined: a server that keeps none). */
  store(): DurableStore | undefined;
  /** The user's connection here, if any (told when their pool runs low). */
  online(name: string): JoinedPeer | undefined;
  limits(): ServerLimits;
  logger(): Logger;
}

export class KeyBundles {
  constructor(private readonly parts: KeyBundleParts) {}

  /** The bundles of these users (each once, however often named); `address`: the asker's, for the ration. */
  async of(asker: string, names: readonly string[], address = ''): Promise<PeerSummary[]> {
    const unique = [...new Map(names.map((name) => [nameKey(name), name])).values()];
    const bundles = await Promise.all(
      unique.map(async (name): Promise<PeerSummary | undefined> => {
        const found = this.parts.summaryOf(name);
        if (found === undefined) return undefined;
        const rationed = nameKey(name) !== nameKey(asker) && this.parts.ration.take(asker, address, name);
        const oneTimePrekey = rationed ? await this.takeOneTimePrekey(found.name) : undefined;
        return { ...found, keyId: found.keyId ?? keyIdOf(found.publicKey, found.prekey), ...(oneTimePrekey === undefined ? {} : { oneTimePrekey }) };
      }),
    );
    return bundles.filter((bundle): bundle is PeerSummary => bundle !== undefined);
  }

  /** A member's one-time prekeys, kept (up to the limit) for whoever fetches its bundle. */
  addOneTimePrekeys(name: string, keys: readonly OneTimePrekey[]): void {
    const store = this.parts.store();
    if (store === undefined) return;
    // One no session could start from is not handed out (the client's reader refuses it too).
    const usable = keys.filter((key) => isUsablePrekey(Buffer.from(key.key, 'base64')));
    store
      .addOneTimePrekeys(name, usable, this.parts.limits().maxOneTimePrekeys)
      .catch((error: unknown) => this.parts.logger().log('warn', 'store.prekeys_failed', { error: String(error).slice(0, 120) }));
  }

  /** One of the user's one-time prekeys; the owner, if here, is told when few are left. */
  private async takeOneTimePrekey(name: string): Promise<OneTimePrekey | undefined> {
    const store = this.parts.store();
    const taken = await store?.takeOneTimePrekey(name);
    if (store === undefined || taken === undefined) return undefined;
    const owner = this.parts.online(name);
    // Once per PREKEY_NOTICE_INTERVAL_MS, not on every fetch below the mark: a burst of fetches
    // told the owner twenty times, each time it made a pool's worth, and past the 500 it keeps it
    // dropped the oldest, which were the very keys handed out (their sessions could not open).
    const now = Date.now();
    if (owner === undefined || now - (owner.prekeyNoticeAt ?? 0) < PREKEY_NOTICE_INTERVAL_MS) return taken;
    // Counted only as far as the mark: "few left?" needs no more.
    const left = store.oneTimePrekeyCount(name, ONE_TIME_PREKEYS_LOW + 1);
    if (left <= ONE_TIME_PREKEYS_LOW) {
      owner.prekeyNoticeAt = now;
      owner.connection.send({ type: 'prekey-pool', oneTime: left });
    }
    return taken;
  }
}
