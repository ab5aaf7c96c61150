// The client's view of who is online, with the trust state of each key: it validates what the
// server announces (names, keys; fingerprints are computed here, never taken on the server's word),
// pins keys on first use, notices key changes, and applies the user's :trust and :verify.
import { ChatError, ErrorCode } from '../core/errors.js';
import { type PublicIdentity, parsePeerPublicKey } from '../core/identity.js';
import type { PeerSummary } from '../core/messages.js';
import { isValidName, nameKey, nameSkeleton, stripControlCharacters } from '../core/names.js';
import { isUsablePrekey, verifyPrekey } from '../core/prekey.js';
import { LRUCache } from 'lru-cache';
import { PeerRegistry, type PeerRecord } from '../core/peer-registry.js';
import type { KnownPeers, TrustState } from './known-peers.js';

export interface PeerView {
  readonly name: string;
  readonly fingerprint: string;
  readonly joinedAt: number;
  readonly trust: TrustState;
  /** The user verified this key out of band (`:verify`); false for a changed key. */
  readonly verified: boolean;
  /** When this name's pinned key was first seen (ms), if it is pinned. */
  readonly firstSeen: number | undefined;
  readonly isSelf: boolean;
  /** False for a registered user who is away: messages to them wait on the server. */
  readonly online: boolean;
  /**
   * Another name, online or known, that this one looks like on screen (aIice, a1ice, alice. next
   * to alice): undefined when there is none. The TUI marks such names and :whois says which.
   */
  readonly lookalikeOf: string | undefined;
  /** Their away message (`:away TEXT`), control characters removed; undefined when they have none. */
  readonly awayMessage: string | undefined;
}

export interface DirectoryPeer extends PeerRecord {
  readonly key: PublicIdentity;
  /** The peer's signed X25519 prekey, raw; its signature was checked. */
  readonly prekey: Buffer;
  /** A one-time prekey from the peer's bundle, until a session starts from it (then cleared). */
  oneTimePrekey: { readonly id: string; readonly key: Buffer } | undefined;
  trust: TrustState;
  readonly online: boolean;
  awayMessage: string | undefined;
  /**
   * False when no session can start from the prekey (a low-order point, or a handover to it failed):
   * this peer is left out of what we send, and the rest of the room carries on.
   */
  prekeyUsable: boolean;
}

/** What adding one announced peer came to. */
export type AddOutcome =
  | { readonly kind: 'added'; readonly peer: DirectoryPeer; readonly keyChange?: KeyChange }
  /** Malformed (bad name, key or prekey signature): not listed, never trusted. */
  | { readonly kind: 'skipped' }
  /** Listed under our own name with a key that is not ours: a forgery, refused and reported. */
  | { readonly kind: 'impostor'; readonly name: string; readonly fingerprint: string };

export interface KeyChange {
  readonly name: string;
  readonly pinned: string;
  readonly announced: string;
}

export class PeerDirectory {
  private readonly registry = new PeerRegistry<DirectoryPeer>();
  /** Online names by their look-alike skeleton, to spot aIice next to alice. */
  private readonly skeletons = new Map<string, Set<string>>();
  /** The fingerprint each safety number was last shown for (name key -> fingerprint). */
  private readonly shownNumbers = new Map<string, string>();

  constructor(
    private readonly knownPeers: KnownPeers,
    /** Our own name, which can change while joining (a refused name). */
    private readonly selfName: () => string,
    /** Our own key's fingerprint: an entry under our name with any other key is a forgery. */
    private readonly selfFingerprint: string,
  ) {}

  get(name: string): DirectoryPeer | undefined {
    return this.registry.get(name);
  }

  /** Everyone online but us. */
  others(): DirectoryPeer[] {
    return this.registry.list().filter((peer) => !this.isSelf(peer.name));
  }

  views(): PeerView[] {
    return this.registry.list().map((peer) => this.view(peer));
  }

  view(peer: DirectoryPeer): PeerView {
    return {
      name: peer.name,
      fingerprint: peer.fingerprint,
      joinedAt: peer.joinedAt,
      trust: peer.trust,
      verified: this.knownPeers.isVerified(peer.name, peer.fingerprint),
      firstSeen: this.knownPeers.get(peer.name)?.firstSeen,
      isSelf: this.isSelf(peer.name),
      online: peer.online,
      lookalikeOf: this.lookalikeOf(peer.name),
      awayMessage: peer.awayMessage,
    };
  }

  /** An online or pinned name other than this one that looks the same on screen, if any. */
  lookalikeOf(name: string): string | undefined {
    const key = nameKey(name);
    for (const other of this.skeletons.get(nameSkeleton(name)) ?? []) {
      if (other !== key) return this.registry.get(other)?.name ?? other;
    }
    return this.knownPeers.lookalikeOf(name);
  }

  isSelf(name: string): boolean {
    return name.toLowerCase() === this.selfName().toLowerCase();
  }

  /** A contact the user had verified whose key changed: its messages are held until re-verified. */
  isHeld(peer: DirectoryPeer): boolean {
    return peer.trust === 'changed' && this.knownPeers.get(peer.name)?.verified === true;
  }

  /** Replaces the whole list (welcome); returns what adding each one came to. */
  replace(summaries: readonly PeerSummary[]): AddOutcome[] {
    this.clear();
    return summaries.map((summary) => this.add(summary));
  }

  /** Adds or updates one peer; a malformed one is skipped, never trusted. */
  add(summary: PeerSummary): AddOutcome {
    if (!isValidName(summary.name)) return { kind: 'skipped' };
    // Only a summary with its keys (a bundle) is listed: the session fetches them first.
    if (summary.publicKey === undefined || summary.prekey === undefined || summary.prekeySig === undefined) return { kind: 'skipped' };
    let key: PublicIdentity;
    try {
      key = parsePeerPublicKey(summary.publicKey);
    } catch {
      return { kind: 'skipped' };
    }
    const prekey = Buffer.from(summary.prekey, 'base64');
    // A prekey its owner did not sign may be the server's own: such a peer is not listed at all.
    const checked = checkPrekey(key, summary.name, summary.prekey, summary.prekeySig);
    if (!checked.signed) return { kind: 'skipped' };
    const isSelf = this.isSelf(summary.name);
    // Only we hold our key: the server listing itself (or anyone) under our name is refused, or
    // its messages would show as ours.
    if (isSelf && key.fingerprint !== this.selfFingerprint) return { kind: 'impostor', name: summary.name, fingerprint: key.fingerprint };
    const trust = isSelf ? 'known' : this.knownPeers.observe(summary.name, key.fingerprint);
    const peer: DirectoryPeer = {
      name: summary.name,
      publicKeyBase64: key.publicKeyBase64,
      fingerprint: key.fingerprint,
      joinedAt: summary.joinedAt,
      key,
      prekey,
      trust,
      online: summary.online !== false,
      awayMessage: awayText(summary.away),
      prekeyUsable: checked.usable,
      oneTimePrekey: usableOneTimePrekey(summary),
    };
    this.remove(peer.name);
    this.registry.upsert(peer);
    const skeleton = nameSkeleton(peer.name);
    const names = this.skeletons.get(skeleton) ?? new Set<string>();
    names.add(nameKey(peer.name));
    this.skeletons.set(skeleton, names);
    if (trust !== 'changed') return { kind: 'added', peer };
    return { kind: 'added', peer, keyChange: { name: peer.name, pinned: this.knownPeers.get(peer.name)!.fingerprint, announced: key.fingerprint } };
  }

  /** A peer set (or, with '', cleared) their away message; false if they are not listed. */
  setAway(name: string, message: string): boolean {
    const peer = this.registry.get(name);
    if (peer === undefined) return false;
    peer.awayMessage = awayText(message);
    return true;
  }

  remove(name: string): boolean {
    const removed = this.registry.remove(name);
    if (removed === undefined) return false;
    const skeleton = nameSkeleton(removed.name);
    const names = this.skeletons.get(skeleton);
    names?.delete(nameKey(removed.name));
    if (names?.size === 0) this.skeletons.delete(skeleton);
    return true;
  }

  clear(): void {
    this.registry.clear();
    this.skeletons.clear();
  }

  /** The safety number for this peer's current key was shown to the user: `:verify … confirm` may follow. */
  markNumberShown(peer: DirectoryPeer): void {
    this.shownNumbers.set(nameKey(peer.name), peer.fingerprint);
  }

  /** Someone online other than us, or a clear NO_SUCH_PEER. */
  requireOther(name: string): DirectoryPeer {
    const peer = this.registry.get(name);
    if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${name} is online or registered on this server`);
    if (this.isSelf(peer.name)) throw new ChatError(ErrorCode.NO_SUCH_PEER, 'that is you');
    return peer;
  }

  /**
   * Accepts the key a peer announces now. Unverified acceptance (:trust) is refused for a contact
   * the user had verified: its new key needs a new comparison (:verify NAME, then confirm).
   */
  accept(name: string, verified: boolean): PeerView {
    const peer = this.requireOther(name);
    if (!verified && this.knownPeers.isVerified(peer.name, peer.fingerprint)) {
      // :trust would lower a verified key to "trusted on first use" and forget when it was first seen.
      throw new ChatError(ErrorCode.USAGE, `${peer.name} is verified already: :trust would only lower that`);
    }
    if (!verified && this.isHeld(peer)) {
      throw new ChatError(
        ErrorCode.PEER_KEY_CHANGED,
        `${peer.name} was verified and now has another key: compare the new safety number (:verify ${peer.name}) and confirm`,
      );
    }
    if (verified) {
      // The confirmation is bound to the number the user compared: a key swapped in between
      // (or a confirm with no number shown) must not be marked verified.
      const shown = this.shownNumbers.get(nameKey(peer.name));
      if (shown === undefined) {
        throw new ChatError(
          ErrorCode.PEER_KEY_CHANGED,
          `no safety number with ${peer.name} was shown yet: compare it first (:verify ${peer.name}), then confirm`,
        );
      }
      if (shown !== peer.fingerprint) {
        this.shownNumbers.delete(nameKey(peer.name));
        throw new ChatError(
          ErrorCode.PEER_KEY_CHANGED,
          `${peer.name}'s key changed after the safety number was shown: nothing was verified. Compare the new number (:verify ${peer.name}), then confirm`,
        );
      }
    }
    if (verified) this.knownPeers.verify(peer.name, peer.fingerprint);
    else this.knownPeers.trust(peer.name, peer.fingerprint);
    peer.trust = 'known';
    return this.view(peer);
  }
}

/** An away message as shown: control characters out (it reaches terminals), empty means none. */
export function awayText(message: string | undefined): string | undefined {
  const text = stripControlCharacters(message ?? '').trim();
  return text === '' ? undefined : text;
}

/** The bundle's one-time prekey, unless it is one no session could start from (then none is used). */
function usableOneTimePrekey(summary: PeerSummary): DirectoryPeer['oneTimePrekey'] {
  if (summary.oneTimePrekey === undefined) return undefined;
  const key = Buffer.from(summary.oneTimePrekey.key, 'base64');
  return isUsablePrekey(key) ? { id: summary.oneTimePrekey.id, key } : undefined;
}

/**
 * Prekeys already checked (the owner's signature, and not a low-order point), by what was checked:
 * a user is announced again with the same prekey each time they come back or join a room, and
 * each check costs an RSA verify and a Diffie-Hellman (~0.15 ms). A pure result; bounded.
 */
const CHECKED_PREKEYS_KEPT = 8192;
const checkedPrekeys = new LRUCache<string, { signed: boolean; usable: boolean }>({ max: CHECKED_PREKEYS_KEPT });

function checkPrekey(key: PublicIdentity, name: string, prekeyBase64: string, signatureBase64: string): { signed: boolean; usable: boolean } {
  const id = `${key.publicKeyBase64}\u0000${name.toLowerCase()}\u0000${prekeyBase64}\u0000${signatureBase64}`;
  let checked = checkedPrekeys.get(id);
  if (checked === undefined) {
    const prekey = Buffer.from(prekeyBase64, 'base64');
    const signed = verifyPrekey(key.publicKey, name, prekey, Buffer.from(signatureBase64, 'base64'));
    checked = { signed, usable: signed && isUsablePrekey(prekey) };
    checkedPrekeys.set(id, checked);
  }
  return checked;
}
