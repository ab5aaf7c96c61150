// Trust on first use: the fingerprint first seen for each peer name is remembered, and a different
// key under that name later is reported as a change, never accepted silently (like ssh known_hosts).
import { nameKey, nameSkeleton } from '../core/names.js';
import { ConfigFileError } from '../storage/config-file.js';
import { PinFile } from '../storage/pin-file.js';

export type TrustState =
  /** Seen for the first time now; pinned from here on. */
  | 'new'
  /** Matches the pinned fingerprint. */
  | 'known'
  /** Differs from the pinned fingerprint: possibly an impostor or a server swapping keys. */
  | 'changed';

export interface KnownPeer {
  readonly name: string;
  readonly fingerprint: string;
  readonly firstSeen: number;
  /** The user compared this fingerprint out of band and said so (`:verify`). */
  readonly verified: boolean;
}

export class KnownPeers {
  private readonly peers = new Map<string, KnownPeer>();
  /** Pinned names by look-alike skeleton (see lookalikeOf). */
  private readonly skeletons = new Map<string, Set<string>>();
  private constructor(private readonly file: PinFile<KnownPeer>) {}

  /** A store that lives only in memory (bots, tests that do not care about persistence). */
  static inMemory(): KnownPeers {
    return new KnownPeers(new PinFile(null, 'peers'));
  }

  /** Loads the pins in `path` (none if there is no file); a damaged file is a ConfigFileError, never overwritten. */
  static async load(path: string): Promise<KnownPeers> {
    const store = new KnownPeers(new PinFile(path, 'peers'));
    const pins = await store.file.read((key, peer) => {
      if (typeof peer['name'] !== 'string' || typeof peer['fingerprint'] !== 'string') {
        throw new ConfigFileError(path, `the entry "${key}" has no name or fingerprint`);
      }
      return { name: peer['name'], fingerprint: peer['fingerprint'], firstSeen: Number(peer['firstSeen']) || 0, verified: peer['verified'] === true };
    });
    for (const [, peer] of pins) store.remember(peer);
    return store;
  }

  get(name: string): KnownPeer | undefined {
    return this.peers.get(nameKey(name));
  }

  /**
   * A name pinned before this one that looks the same on screen (see nameSkeleton), if any: the
   * newcomer is the one to doubt, so the original is not flagged by a look-alike seen later.
   */
  lookalikeOf(name: string): string | undefined {
    const key = nameKey(name);
    const since = this.peers.get(key)?.firstSeen ?? Number.POSITIVE_INFINITY;
    for (const other of this.skeletons.get(nameSkeleton(name)) ?? []) {
      const earlier = this.peers.get(other);
      if (other !== key && earlier !== undefined && earlier.firstSeen < since) return earlier.name;
    }
    return undefined;
  }

  /** Compares without changing anything. */
  check(name: string, fingerprint: string): TrustState {
    const known = this.get(name);
    if (known === undefined) return 'new';
    return known.fingerprint === fingerprint ? 'known' : 'changed';
  }

  /**
   * Checks and, for a name never seen, pins the fingerprint. A changed key is left unpinned:
   * only an explicit `trust()` by the user replaces the old fingerprint.
   */
  observe(name: string, fingerprint: string, now: number = Date.now()): TrustState {
    const state = this.check(name, fingerprint);
    if (state === 'new') this.pin(name, fingerprint, now);
    return state;
  }

  /** The user accepts this fingerprint for the name without having verified it. */
  trust(name: string, fingerprint: string, now: number = Date.now()): void {
    // Accepting the key already pinned keeps when it was first seen.
    const known = this.get(name);
    this.pin(name, fingerprint, known?.fingerprint === fingerprint ? known.firstSeen : now);
  }

  /** The user compared this fingerprint out of band: pin it and mark it verified. */
  verify(name: string, fingerprint: string, now: number = Date.now()): void {
    const known = this.get(name);
    const firstSeen = known?.fingerprint === fingerprint ? known.firstSeen : now;
    this.pin(name, fingerprint, firstSeen, true);
  }

  isVerified(name: string, fingerprint: string): boolean {
    const known = this.get(name);
    return known?.verified === true && known.fingerprint === fingerprint;
  }

  /** Resolves when every change so far is on disk. */
  flush(): Promise<void> {
    return this.file.flush();
  }

  private remember(peer: KnownPeer): void {
    this.peers.set(nameKey(peer.name), peer);
    const skeleton = nameSkeleton(peer.name);
    const names = this.skeletons.get(skeleton) ?? new Set<string>();
    names.add(nameKey(peer.name));
    this.skeletons.set(skeleton, names);
  }

  private pin(name: string, fingerprint: string, firstSeen: number, verified = false): void {
    this.remember({ name, fingerprint, firstSeen, verified });
    this.file.save(this.peers).catch(() => {
      // A full disk must not stop the chat; the pin still holds in memory for this run.
    });
  }
}
