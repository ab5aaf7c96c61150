// Trust in peers' keys, as the user decides it: accept a changed key, mark one verified after
// comparing safety numbers, and what accepting releases (messages held from that peer shown,
// receipts owed paid).
import type { Identity } from '../core/identity.js';
import { safetyNumber } from '../core/safety-number.js';
import type { Inbox } from './inbox.js';
import type { MessageSender } from './message-sender.js';
import type { PeerDirectory, PeerView } from './peer-directory.js';

export interface SessionTrustParts {
  readonly identity: Identity;
  readonly directory: PeerDirectory;
  readonly sender: MessageSender;
  readonly inbox: Inbox;
  /** Our name now (part of the safety number). */
  selfName(): string;
}

export class SessionTrust {
  constructor(private readonly parts: SessionTrustParts) {}

  /** Accepts the key a peer now announces, unverified (refused for a contact you had verified). */
  trust(name: string): PeerView {
    return this.accepted(this.parts.directory.accept(name, false));
  }

  /** The user compared the safety number out of band and it matched: accept and mark verified. */
  verify(name: string): PeerView {
    return this.accepted(this.parts.directory.accept(name, true));
  }

  /**
   * The number to compare with that peer; the same on both sides (see core/safety-number.ts).
   * verify() afterwards confirms exactly the key this number was computed from.
   */
  safetyNumberWith(name: string): string {
    const { directory, identity } = this.parts;
    const peer = directory.requireOther(name);
    directory.markNumberShown(peer);
    return safetyNumber(
      { name: this.parts.selfName(), publicKeyDer: identity.publicKeyDer },
      { name: peer.name, publicKeyDer: Buffer.from(peer.publicKeyBase64, 'base64') },
    );
  }

  /** A peer's new key accepted: what was held from them is shown, what was read is receipted. */
  private accepted(view: PeerView): PeerView {
    this.parts.inbox.showHeld(view.name);
    this.parts.sender.payReceipts(view.name);
    return view;
  }
}
