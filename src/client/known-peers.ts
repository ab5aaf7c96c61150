// Trust on first use: the fingerprint first seen for each peer name is remembered, and a different
// key under that name later is reported as a change, never accepted silently (like ssh known_hosts).
import { nameKey, nameSkeleton } from '../core/names.js';
import { ConfigFileError, objectEntries, readJsonObject } from '../storage/config-file.js';
import { writePrivateFile } from '../storage/private-file.js';

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

interface KnownPeersFile {
  readonly version: 1;
  readonly peers: Record<string, KnownPeer>;
}

export class KnownPeers {
  private readonly peers = new Map<string, KnownPeer>();
  /** Pinned names by look-alike skeleton (see lookalikeOf). */
  private readonly skeletons = new Map<string, Set<string>>();
  /** Writes are chained so two quick pins never interleave on disk. */
  private saving: Promise<void> = Promise.resolve();

  private constructor(private readonly path: string | null) {}

  /** A store that lives only in memory (bots, tests that do not care about persistence). */
  static inMemory(): KnownPeers {
    return new KnownPeers(null);
  }

  /** Loads the pins in `path` (none if there is no file); a damaged file is a ConfigFileError, never overwritten. */
  static async load(path: string): Promise<KnownPeers> {
    const store = new KnownPeers(path);
    const file = await readJsonObject(path);
    if (file === undefined) return store;
    for (const [key, peer] of objectEntries(path, file, 'peers')) {
      if (typeof peer['name'] !== 'string' || typeof peer['fingerprint'] !== 'string') {
        throw new ConfigFileError(path, `the entry "${key}" has no name or fingerprint`);
      }
      store.remember({ name: peer['name'], fingerprint: peer['fingerprint'], firstSeen: Number(peer['firstSeen']) || 0, verified: peer['verified'] === true });
    }
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
    return this.saving;
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
    if (this.path === null) return;
    const path = this.path;
    const file: KnownPeersFile = { version: 1, peers: Object.fromEntries(this.peers) };
    this.saving = this.saving
      .then(() => writePrivateFile(path, `${JSON.stringify(file, null, 2)}\n`))
      .catch(() => {
        // A full disk must not stop the chat; the pin still holds in memory for this run.
      });
  }
}
