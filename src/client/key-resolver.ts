// Keys on demand (protocol v4): presence names users with a `keyId` but no keys; this turns such
// summaries into full ones, from the client's cache (kept with its state, so a returning user asks
// for nothing) or by asking the server (`keys` -> `key-bundles`). The keys that come back are still
// checked where they are used (PeerDirectory: the fingerprint recomputed, the prekey's signature).
import type { PeerSummary } from '../core/messages.js';
import { nameKey } from '../core/names.js';
import type { ClientState } from './state/client-state.js';

/** Most names asked for in one request (the server's MAX_KEY_REQUEST). */
const REQUEST_BATCH = 1000;
/** How long to wait for bundles before going on without them (those users are not listed). */
export const KEY_REQUEST_TIMEOUT_MS = 10_000;

interface Waiting {
  readonly keyId: string | undefined;
  readonly done: (bundle: PeerSummary | undefined) => void;
}

export class KeyResolver {
  private readonly waiting = new Map<string, Waiting[]>();

  constructor(
    private readonly state: ClientState,
    /** Sends a `keys` request for these names. */
    private readonly request: (names: string[]) => void,
    private readonly timeoutMs = KEY_REQUEST_TIMEOUT_MS,
  ) {}

  /** The summaries with their keys, in order; any whose keys cannot be had are left out. */
  async resolve(summaries: readonly PeerSummary[]): Promise<PeerSummary[]> {
    const missing: string[] = [];
    const found = summaries.map((summary): PeerSummary | Promise<PeerSummary | undefined> => {
      if (summary.publicKey !== undefined) return summary;
      const cached = this.state.cachedBundle(summary.name, summary.keyId);
      if (cached !== undefined) return { ...cached, ...presenceFields(summary) };
      missing.push(summary.name);
      return this.wait(summary.name, summary.keyId).then((bundle) => (bundle === undefined ? undefined : { ...bundle, ...presenceFields(summary) }));
    });
    for (let i = 0; i < missing.length; i += REQUEST_BATCH) this.request(missing.slice(i, i + REQUEST_BATCH));
    const all = await Promise.all(found);
    return all.filter((summary): summary is PeerSummary => summary !== undefined);
  }

  /**
   * The bundles of these users, as the server gives them (each a full summary: online, joined,
   * key id), for users we have no presence of to merge: a big room's members. Users the server
   * has no bundle for are left out once KEY_REQUEST_TIMEOUT_MS has passed.
   */
  async fetch(names: readonly string[]): Promise<PeerSummary[]> {
    const waiting = names.map((name) => this.wait(name, undefined));
    for (let i = 0; i < names.length; i += REQUEST_BATCH) this.request(names.slice(i, i + REQUEST_BATCH));
    const all = await Promise.all(waiting);
    return all.filter((bundle): bundle is PeerSummary => bundle !== undefined);
  }

  /** Bundles from the server: cached, and handed to whoever waits for them. */
  received(bundles: readonly PeerSummary[]): void {
    for (const bundle of bundles) {
      if (bundle.publicKey === undefined) continue;
      // Cached without its one-time prekey: used once, the peer deletes it, and a cached copy
      // handed out again after a restart started a session the peer could never open.
      const { oneTimePrekey: _usedOnce, ...reusable } = bundle;
      this.state.cacheBundle(reusable);
      const key = nameKey(bundle.name);
      for (const waiter of this.waiting.get(key) ?? []) waiter.done(bundle);
      this.waiting.delete(key);
    }
  }

  private wait(name: string, keyId: string | undefined): Promise<PeerSummary | undefined> {
    return new Promise((resolve) => {
      const key = nameKey(name);
      const timer = setTimeout(() => {
        const left = (this.waiting.get(key) ?? []).filter((waiter) => waiter !== entry);
        if (left.length === 0) this.waiting.delete(key);
        else this.waiting.set(key, left);
        resolve(undefined);
      }, this.timeoutMs);
      timer.unref?.();
      const entry: Waiting = {
        keyId,
        done: (bundle) => {
          clearTimeout(timer);
          resolve(bundle);
        },
      };
      this.waiting.set(key, [...(this.waiting.get(key) ?? []), entry]);
    });
  }
}

/** What presence says now (online, when) over what a cached bundle said then. */
function presenceFields(summary: PeerSummary): Partial<PeerSummary> {
  return {
    name: summary.name,
    fingerprint: summary.fingerprint,
    joinedAt: summary.joinedAt,
    ...(summary.online === undefined ? {} : { online: summary.online }),
    ...(summary.keyId === undefined ? {} : { keyId: summary.keyId }),
  };
}
