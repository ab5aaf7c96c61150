// Everything a session seals and sends: the user's lines (lobby, named room, DM) and what the
// client owes its peers (receipts, key requests and their answers). One place decides who may be
// sealed to (never a key the user has not accepted, never a prekey no session can start from),
// tracks what needs a final word, and makes each send durable (with the ratchet steps that sealed
// it) before a byte goes out, so a crash resends the very same envelopes, never new ones.
import { randomBytes } from 'node:crypto';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { SendMessage } from '../core/messages.js';
import type { DeliveryTracker } from './delivery-tracker.js';
import type { E2eEngine, KeyRequest } from './e2e-engine.js';
import type { DirectoryPeer, PeerDirectory } from './peer-directory.js';
import type { SentMessage, SessionErrorEvent } from './session-events.js';
import type { FileAttachment } from './files/attachment.js';
import type { ClientState, OutgoingEntry } from './state/client-state.js';

/** Longest message text accepted for sending, in characters. Longer text is refused, not split. */
export const MAX_MESSAGE_CHARS = 8000;
/** Most DM ids in one receipt (each ~22 characters): well inside a frame. */
const RECEIPT_BATCH = 500;

/** What the sender works with: the session's parts, and where it reports. */
export interface SenderParts {
  readonly engine: E2eEngine;
  readonly directory: PeerDirectory;
  readonly state: ClientState;
  readonly tracker: DeliveryTracker;
  readonly link: { send(message: SendMessage): void; checkFits(message: SendMessage): void };
  readonly isReady: () => boolean;
  readonly sent: (sent: SentMessage) => void;
  readonly error: (event: SessionErrorEvent) => void;
  /** A peer no session can start with was left out (said once per send). */
  readonly unusablePrekey: (name: string) => void;
}

export class MessageSender {
  /** Key requests of this turn, answered together at its end (see answerKeyRequest). */
  private pendingAnswers: Array<{ readonly sender: string; readonly chain: string; readonly n: number; readonly room: string | null; readonly open: boolean }> =
    [];

  constructor(private readonly parts: SenderParts) {}

  /**
   * Seals a line for a room (null: the lobby) and everyone in it. Peers whose key changed are left
   * out until trusted again, and so is a peer no session can start with: one bad member never
   * stops the room; those left out are told to the server and shown as not delivered, and so are
   * `unkeyed`: members whose keys we do not have (the server gave none when asked).
   */
  sendToRoom(
    to: string | null,
    everyone: readonly DirectoryPeer[],
    text: string,
    shownAs?: string,
    open = false,
    file?: FileAttachment,
    unkeyed: readonly string[] = [],
  ): SentMessage {
    const { engine, link } = this.parts;
    this.checkSendable(text);
    const candidates = everyone.filter((peer) => peer.trust !== 'changed' && peer.prekeyUsable);
    const sealed = engine.sealRoom(to, text, candidates, (message) => link.checkFits(message), open, file);
    for (const peer of sealed.unreachable) this.parts.unusablePrekey(peer.name);
    if (sealed.refused !== undefined) {
      // The handovers still go: the members' copies of our chain moved.
      this.sendTracked({ id: `handover-${randomBytes(6).toString('hex')}`, to, text: '', createdAt: Date.now(), sends: [...sealed.sends], recipients: {} });
      throw sealed.refused;
    }
    const keyed = new Set(sealed.members.map((peer) => peer.name));
    const withheld = [
      ...everyone.filter((peer) => !keyed.has(peer.name)).map((peer) => ({ name: peer.name, reason: leftOutBecause(peer) })),
      ...unkeyed.map((name) => ({ name, reason: `left out: no keys for ${name} were fetched` })),
    ];
    const sends = [...sealed.sends];
    const room = sends.pop()!;
    sends.push(withheld.length === 0 ? room : { ...room, except: withheld.map((peer) => peer.name) });
    const leftOut = Object.fromEntries(withheld.map((peer) => [peer.name, { state: 'refused' as const, reason: peer.reason }]));
    this.sendTracked({
      id: sealed.id,
      to,
      text,
      createdAt: Date.now(),
      sends,
      recipients: withheld.length === 0 ? {} : { [sealed.id]: leftOut },
      ...(shownAs === undefined ? {} : { shownAs }),
    });
    const sent: SentMessage = { id: sealed.id, to, withheld: withheld.map((peer) => peer.name) };
    this.parts.sent(sent);
    return sent;
  }

  /** Sends to one peer. Refused for a peer whose key changed until the user trusts the new key. */
  sendDirect(name: string, text: string, shownAs?: string, file?: FileAttachment): SentMessage {
    const { directory, engine, link } = this.parts;
    const peer = directory.get(name);
    if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${name} is online or registered on this server`);
    if (directory.isSelf(peer.name)) throw new ChatError(ErrorCode.NO_SUCH_PEER, 'that is you: a direct message needs someone else');
    if (peer.trust === 'changed') {
      throw new ChatError(
        ErrorCode.PEER_KEY_CHANGED,
        `${peer.name}'s key changed since you first saw it: compare safety numbers (:verify ${peer.name}), then confirm`,
      );
    }
    if (!peer.prekeyUsable) {
      throw new ChatError(
        ErrorCode.PEER_PREKEY_INVALID,
        `${peer.name} announced a key no session can start from (a low-order prekey): nothing can be sent to ${peer.name}`,
      );
    }
    this.checkSendable(text);
    const message: SendMessage = engine.sealDirect(peer, text, (sealed) => link.checkFits(sealed), file);
    this.sendTracked({
      id: message.envelope.id,
      to: peer.name,
      text,
      createdAt: Date.now(),
      sends: [message],
      recipients: {},
      ...(shownAs === undefined ? {} : { shownAs }),
    });
    const sent: SentMessage = { id: message.envelope.id, to: peer.name, withheld: [] };
    this.parts.sent(sent);
    return sent;
  }

  /** Asks `sender` for its chain in `room` from message `n` on (protocol v4, part 8). */
  requestKey(sender: string, chain: string, n: number, room: string | null): void {
    const peer = this.sealableTo(sender);
    if (peer !== undefined) this.sendKeyMessage((check) => this.parts.engine.requestKey(peer, chain, n, room, check));
  }

  /**
   * Hands `sender` the chain it asked for, if it is theirs to have: at the end of the turn, with
   * every other request of the turn, sealed under one signature per batch and made durable in one
   * write (a lobby line's thousand askers, each answered alone, cost the sender seconds).
   */
  answerKeyRequest(sender: string, chain: string, n: number, room: string | null, open: boolean): void {
    if (this.pendingAnswers.length === 0) setImmediate(() => this.answerPending());
    this.pendingAnswers.push({ sender, chain, n, room, open });
  }

  private answerPending(): void {
    const pending = this.pendingAnswers;
    this.pendingAnswers = [];
    // Not connected: nothing is sealed (a request is sent once; its asker asks again when it next needs the key).
    if (!this.parts.isReady()) return;
    const requests: KeyRequest[] = [];
    for (const { sender, ...request } of pending) {
      // Never to a key the user has not accepted: the chain would go to whoever holds it now.
      const peer = this.sealableTo(sender);
      if (peer !== undefined) requests.push({ peer, ...request });
    }
    const { state, engine, link } = this.parts;
    try {
      const answers = engine.answerKeyRequests(requests, (sealed) => link.checkFits(sealed));
      if (answers.length === 0) return;
      state.commit(engine.exportState());
      for (const message of answers) link.send(message);
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.parts.error({ code: error.code, message: error.message, fatal: false });
    }
  }

  /**
   * Seals `name` receipts for the DMs of theirs we showed (what ClientState.owedReceipts holds).
   * Only to a key the user accepts (a receipt to a changed key would tell whoever holds it), and
   * only while connected: until then they stay owed, across restarts, and resend() (on each join)
   * or accepting the key pays them. Each is tracked like a message, resent until the server has a
   * final word: a receipt lost with a connection left a DM read for ever as only the server's word.
   */
  payReceipts(name: string): void {
    const peer = this.sealableTo(name);
    if (peer === undefined || !this.parts.isReady()) return;
    const { state, engine } = this.parts;
    const owed = state.owedReceipts.take(peer.name);
    for (let i = 0; i < owed.length; i += RECEIPT_BATCH) {
      const ids = owed.slice(i, i + RECEIPT_BATCH);
      if (this.sendKeyMessage((check) => engine.sealReceipt(peer, ids, check), ids)) continue;
      for (const id of owed.slice(i)) state.owedReceipts.owe(peer.name, id);
      return;
    }
  }

  /**
   * Sends again what never got a final word before the last disconnect (see
   * DeliveryTracker.resends), and the receipts owed to peers we can seal to now. Returns how many
   * messages were resent.
   */
  resend(): number {
    const resends = this.parts.tracker.resends();
    for (const message of resends) this.parts.link.send(message);
    for (const name of this.parts.state.owedReceipts.senders()) this.payReceipts(name);
    return resends.length;
  }

  /** The peer, when we may seal to it: listed, its key accepted, its prekey usable. */
  private sealableTo(name: string): DirectoryPeer | undefined {
    const peer = this.parts.directory.get(name);
    return peer === undefined || peer.trust === 'changed' || !peer.prekeyUsable ? undefined : peer;
  }

  /**
   * Tracks a sealed message and makes it durable (with the ratchet steps that sealed it) before a
   * byte goes out: a crash after this resends the very same envelopes, never new ones.
   */
  private sendTracked(entry: OutgoingEntry): void {
    const { tracker, state, engine, link } = this.parts;
    tracker.track(entry);
    if (entry.text !== '') state.remember({ kind: 'out', id: entry.shownAs ?? entry.id, to: entry.to, text: entry.text, ts: entry.createdAt });
    state.commit(engine.exportState());
    for (const message of entry.sends ?? []) link.send(message);
  }

  /**
   * A key request (sent once: asked again if lost), or a receipt for `receiptFor`
   * (tracked, resent until the server has a final word). Either way the ratchet step that sealed
   * it is on disk before it goes. False when it could not be sealed (the error is reported).
   */
  private sendKeyMessage(seal: (check: (message: SendMessage) => void) => SendMessage, receiptFor?: readonly string[]): boolean {
    if (!this.parts.isReady()) return false;
    const { state, engine, link } = this.parts;
    try {
      const message = seal((sealed) => link.checkFits(sealed));
      if (receiptFor !== undefined) {
        this.sendTracked({
          id: `receipt-${message.envelope.id}`,
          to: message.to,
          text: '',
          createdAt: Date.now(),
          sends: [message],
          recipients: {},
          receiptFor,
        });
        return true;
      }
      state.commit(engine.exportState());
      link.send(message);
      return true;
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.parts.error({ code: error.code, message: error.message, fatal: false });
      return false;
    }
  }

  private checkSendable(text: string): void {
    if (!this.parts.isReady()) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected');
    if (text.length > MAX_MESSAGE_CHARS) {
      throw new ChatError(ErrorCode.MESSAGE_TOO_LARGE, `messages are limited to ${MAX_MESSAGE_CHARS} characters (this one has ${text.length})`);
    }
  }
}

/** Why a member was left out of a room line: shown as not delivered from the start. */
function leftOutBecause(peer: DirectoryPeer): string {
  return peer.trust === 'changed'
    ? `left out: ${peer.name}'s key changed (compare safety numbers with :verify ${peer.name}, or :trust ${peer.name})`
    : `left out: no session can start with ${peer.name} (an unusable prekey)`;
}
