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

export type DmSessionsState = Record<
  string,
  {
    readonly identity: string;
    readonly sessions: readonly RatchetState[];
    /** Sessions (by id) begun under our previous identity key: they still open, we send on none. */
    readonly receiveOnly?: readonly string[];
  }
>;

/**
 * The sessions as a new identity key of ours takes them over (`keys rotate`): each is kept to open
 * what was already sealed on it (a receipt, a reply in flight), and none is sent on again: a peer
 * drops its sessions with us when our key changes, so the next DM starts a new one.
 */
export function receiveOnlySessions(state: DmSessionsState): DmSessionsState {
  return Object.fromEntries(
    Object.entries(state).map(([peer, saved]) => [
      peer,
      { ...saved, receiveOnly: [...(saved.receiveOnly ?? []), ...saved.sessions.map((session) => session.sid)] },
    ]),
  );
}

interface PeerSessions {
  /** The peer's identity key (SPKI base64) these sessions are with. */
  readonly identity: string;
  /** Least recently used first; we send on the last one that can send. */
  readonly list: DoubleRatchet[];
  /** Ids of sessions we must not send on (begun under our previous identity key). */
  readonly receiveOnly: ReadonlySet<string>;
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
      this.byPeer.set(peer, {
        identity: saved.identity,
        list: saved.sessions.map((session) => DoubleRatchet.fromState(session)),
        receiveOnly: new Set(saved.receiveOnly ?? []),
      });
    }
  }

  toState(): DmSessionsState {
    return Object.fromEntries(
      [...this.byPeer].map(([peer, { identity, list, receiveOnly }]) => {
        // Only ids still in the list: a session pushed out takes its mark with it.
        const kept = list.filter((ratchet) => receiveOnly.has(ratchet.sessionId)).map((ratchet) => ratchet.sessionId);
        return [peer, { identity, sessions: list.map((ratchet) => ratchet.toState()), ...(kept.length === 0 ? {} : { receiveOnly: kept }) }];
      }),
    );
  }

  /** The ratchet to send on: the last one used that can send, or a new session from the peer's bundle. */
  sending(peer: DirectoryPeer): DoubleRatchet {
    const sessions = this.sessionsWith(peer);
    for (let i = sessions.list.length - 1; i >= 0; i--) {
      const ratchet = sessions.list[i]!;
      if (ratchet.canSend && !sessions.receiveOnly.has(ratchet.sessionId)) return this.touch(sessions, ratchet);
    }
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
    // A new identity key: the sessions begun before it become receive-only. What the peer sealed
    // on them before (or, having rotated, a receipt on a session we started) still opens; only the
    // holder of the ratchet's secrets can seal on one, so this admits nobody new. We never send
    // on them again: the next DM starts a session from the new key's bundle. (Dropping them lost
    // everything in flight across a key rotation.)
    const carried: PeerSessions = {
      identity: peer.publicKeyBase64,
      list: existing?.list ?? [],
      receiveOnly: new Set([...(existing?.receiveOnly ?? []), ...(existing?.list ?? []).map((ratchet) => ratchet.sessionId)]),
    };
    this.byPeer.set(key, carried);
    return carried;
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
