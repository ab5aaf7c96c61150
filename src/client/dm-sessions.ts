// The direct-message sessions with each peer (protocol v4): Double Ratchets started X3DH-style
// (core/session-start.ts) from the peer's fetched bundle, so a first DM to someone away works. A
// pair may hold a few sessions at once (both sides started one before hearing from the other, or a
// peer lost its state and started again); every header names its session, and we send on the one
// we used last. A peer's new identity key drops its sessions.
import { DoubleRatchet, type RatchetHeader, type RatchetState } from '../core/double-ratchet.js';
import { CryptoError, ErrorCode } from '../core/errors.js';
import { initiateSession, responderSecret } from '../core/session-start.js';
import type { OwnPrekeys } from './own-prekeys.js';
import type { DirectoryPeer } from './peer-directory.js';

/** Sessions kept per peer; past this the least recently used goes. */
export const SESSIONS_PER_PEER = 4;

export type DmSessionsState = Record<string, { readonly identity: string; readonly sessions: readonly RatchetState[] }>;

interface PeerSessions {
  /** The peer's identity key (SPKI base64) these sessions are with. */
  readonly identity: string;
  /** Least recently used first; we send on the last one that can send. */
  readonly list: DoubleRatchet[];
}

function failed(): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
}

export class DmSessions {
  private readonly byPeer = new Map<string, PeerSessions>();

  constructor(
    private readonly prekeys: OwnPrekeys,
    private readonly selfName: () => string,
    state?: DmSessionsState,
  ) {
    for (const [peer, saved] of Object.entries(state ?? {})) {
      this.byPeer.set(peer, { identity: saved.identity, list: saved.sessions.map((session) => DoubleRatchet.fromState(session)) });
    }
  }

  toState(): DmSessionsState {
    return Object.fromEntries([...this.byPeer].map(([peer, { identity, list }]) => [peer, { identity, sessions: list.map((ratchet) => ratchet.toState()) }]));
  }

  /** The ratchet to send on: the last one used that can send, or a new session from the peer's bundle. */
  sending(peer: DirectoryPeer): DoubleRatchet {
    const sessions = this.sessionsWith(peer);
    for (let i = sessions.list.length - 1; i >= 0; i--) if (sessions.list[i]!.canSend) return this.touch(sessions, sessions.list[i]!);
    return this.initiate(peer, sessions);
  }

  /**
   * The key for a DM from `sender`: on the session its header names, or on a new one its header
   * starts. Nothing is kept until commit() (after the message opened): a forgery starts nothing.
   */
  receiving(sender: DirectoryPeer, header: RatchetHeader): { messageKey: Buffer; commit: () => void } {
    const sessions = this.sessionsWith(sender);
    const existing = sessions.list.find((ratchet) => ratchet.sessionId === header.sid);
    if (existing !== undefined) {
      const key = existing.receivingKey(header);
      return {
        messageKey: key.messageKey,
        commit: () => {
          key.commit();
          this.touch(sessions, existing);
        },
      };
    }
    const init = header.init;
    if (init === undefined) throw failed(); // a session we never had, or dropped
    const spk = this.prekeys.signedByPublic(init.to);
    const opk = init.opk === undefined ? undefined : this.prekeys.oneTimeById(init.opk);
    // Sealed to a signed prekey we no longer keep, or a one-time prekey already used: it cannot open.
    if (spk === undefined || (init.opk !== undefined && opk === undefined)) throw failed();
    const secret = responderSecret(
      { name: this.selfName(), spk, ...(opk === undefined ? {} : { opk }) },
      { name: sender.name, spk: Buffer.from(init.spk, 'base64'), base: Buffer.from(header.sid, 'base64') },
    );
    const ratchet = DoubleRatchet.asResponder(secret, spk, header.sid);
    const key = ratchet.receivingKey(header);
    return {
      messageKey: key.messageKey,
      commit: () => {
        key.commit();
        if (init.opk !== undefined) this.prekeys.useOneTime(init.opk);
        this.add(sessions, ratchet);
      },
    };
  }

  private initiate(peer: DirectoryPeer, sessions: PeerSessions): DoubleRatchet {
    const opk = peer.oneTimePrekey;
    const ratchet = initiateSession(
      { name: this.selfName(), spk: this.prekeys.signed },
      { name: peer.name, spk: peer.prekey, ...(opk === undefined ? {} : { opk }) },
    );
    // Used once: a second session must not reuse it (the peer deletes it on first use).
    peer.oneTimePrekey = undefined;
    this.add(sessions, ratchet);
    return ratchet;
  }

  private sessionsWith(peer: DirectoryPeer): PeerSessions {
    const key = peer.name.toLowerCase();
    const existing = this.byPeer.get(key);
    if (existing !== undefined && existing.identity === peer.publicKeyBase64) return existing;
    // A new identity key (or a first contact): sessions with the old key are of no use to the new one.
    const fresh: PeerSessions = { identity: peer.publicKeyBase64, list: [] };
    this.byPeer.set(key, fresh);
    return fresh;
  }

  private add(sessions: PeerSessions, ratchet: DoubleRatchet): void {
    sessions.list.push(ratchet);
    while (sessions.list.length > SESSIONS_PER_PEER) sessions.list.shift();
  }

  private touch(sessions: PeerSessions, ratchet: DoubleRatchet): DoubleRatchet {
    const at = sessions.list.indexOf(ratchet);
    if (at >= 0 && at !== sessions.list.length - 1) {
      sessions.list.splice(at, 1);
      sessions.list.push(ratchet);
    }
    return ratchet;
  }
}
