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
  /** Names to ask for in the next request (see ask). */
  private readonly unasked = new Set<string>();
  /** Set while a request is unanswered: the next waits for its answer (or its timeout). */
  private inFlight: ReturnType<typeof setTimeout> | undefined;
  private sendScheduled = false;

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
    this.ask(missing);
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
    this.ask(names);
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
    // An answer: the next request may go.
    clearTimeout(this.inFlight);
    this.inFlight = undefined;
    this.sendNext();
  }

  /**
   * Asks for these names: with those of the same turn, in one request of at most REQUEST_BATCH
   * names, and one request at a time (the next once this one is answered). Answers are big (1.5 KB
   * a bundle): five requests of 1,000 at once (a big room's first line) queued 7.5 MB at the server
   * for us, past its slow-reader cap, and it dropped the connection.
   */
  private ask(names: readonly string[]): void {
    for (const name of names) this.unasked.add(name);
    if (this.sendScheduled || this.inFlight !== undefined || names.length === 0) return;
    this.sendScheduled = true;
    setImmediate(() => {
      this.sendScheduled = false;
      this.sendNext();
    });
  }

  private sendNext(): void {
    if (this.inFlight !== undefined || this.unasked.size === 0) return;
    const batch: string[] = [];
    for (const name of this.unasked) {
      if (batch.length === REQUEST_BATCH) break;
      batch.push(name);
      this.unasked.delete(name);
    }
    // An answer that never comes (a lost connection) holds the rest back no longer than a waiter waits.
    this.inFlight = setTimeout(() => {
      this.inFlight = undefined;
      this.sendNext();
    }, this.timeoutMs);
    this.inFlight.unref?.();
    this.request(batch);
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
