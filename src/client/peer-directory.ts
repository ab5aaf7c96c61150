// The client's view of who is online, with the trust state of each key: it validates what the
// server announces (names, keys; fingerprints are computed here, never taken on the server's word),
// pins keys on first use, notices key changes, and applies the user's :trust and :verify.
import { ChatError, ErrorCode } from '../core/errors.js';
import { type PublicIdentity, parsePeerPublicKey } from '../core/identity.js';
import type { PeerSummary } from '../core/messages.js';
import { isValidName } from '../core/names.js';
import { verifyPrekey } from '../core/prekey.js';
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
}

export interface DirectoryPeer extends PeerRecord {
  readonly key: PublicIdentity;
  /** The peer's X25519 prekey for this connection, raw; its signature was checked. */
  readonly prekey: Buffer;
  trust: TrustState;
}

export interface KeyChange {
  readonly name: string;
  readonly pinned: string;
  readonly announced: string;
}

export class PeerDirectory {
  private readonly registry = new PeerRegistry<DirectoryPeer>();

  constructor(
    private readonly knownPeers: KnownPeers,
    /** Our own name, which can change while joining (a refused name). */
    private readonly selfName: () => string,
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
    };
  }

  isSelf(name: string): boolean {
    return name.toLowerCase() === this.selfName().toLowerCase();
  }

  /** A contact the user had verified whose key changed: its messages are held until re-verified. */
  isHeld(peer: DirectoryPeer): boolean {
    return peer.trust === 'changed' && this.knownPeers.get(peer.name)?.verified === true;
  }

  /** Replaces the whole list (welcome); returns the key changes it revealed. */
  replace(summaries: readonly PeerSummary[]): KeyChange[] {
    this.registry.clear();
    return summaries.flatMap((summary) => this.add(summary)?.keyChange ?? []);
  }

  /** Adds or updates one peer; a malformed one is skipped (undefined), never trusted. */
  add(summary: PeerSummary): { readonly peer: DirectoryPeer; readonly keyChange?: KeyChange } | undefined {
    if (!isValidName(summary.name)) return undefined;
    let key: PublicIdentity;
    try {
      key = parsePeerPublicKey(summary.publicKey);
    } catch {
      return undefined;
    }
    const prekey = Buffer.from(summary.prekey, 'base64');
    // A prekey its owner did not sign may be the server's own: such a peer is not listed at all.
    if (!verifyPrekey(key.publicKey, summary.name, prekey, Buffer.from(summary.prekeySig, 'base64'))) return undefined;
    const trust = this.isSelf(summary.name) ? 'known' : this.knownPeers.observe(summary.name, key.fingerprint);
    const peer: DirectoryPeer = { name: summary.name, publicKeyBase64: key.publicKeyBase64, fingerprint: key.fingerprint, joinedAt: summary.joinedAt, key, prekey, trust };
    this.registry.upsert(peer);
    if (trust !== 'changed') return { peer };
    return { peer, keyChange: { name: peer.name, pinned: this.knownPeers.get(peer.name)!.fingerprint, announced: key.fingerprint } };
  }

  remove(name: string): boolean {
    return this.registry.remove(name) !== undefined;
  }

  clear(): void {
    this.registry.clear();
  }

  /** Someone online other than us, or a clear NO_SUCH_PEER. */
  requireOther(name: string): DirectoryPeer {
    const peer = this.registry.get(name);
    if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `${name} is not online`);
    if (this.isSelf(peer.name)) throw new ChatError(ErrorCode.NO_SUCH_PEER, 'that is you');
    return peer;
  }

  /**
   * Accepts the key a peer announces now. Unverified acceptance (:trust) is refused for a contact
   * the user had verified: its new key needs a new comparison (:verify NAME, then confirm).
   */
  accept(name: string, verified: boolean): PeerView {
    const peer = this.requireOther(name);
    if (!verified && this.isHeld(peer)) {
      throw new ChatError(ErrorCode.PEER_KEY_CHANGED, `${peer.name} was verified and now has another key: compare the new safety number (:verify ${peer.name}) and confirm`);
    }
    if (verified) this.knownPeers.verify(peer.name, peer.fingerprint);
    else this.knownPeers.trust(peer.name, peer.fingerprint);
    peer.trust = 'known';
    return this.view(peer);
  }
}
