// The receiving side of a session: each delivered envelope is checked against what was kept before
// (a repeat after a resend or a server restart is dropped, quietly), opened, reported for gaps and
// late arrivals, held aside when it comes from a verified contact whose key changed, written to the
// history, and only then confirmed to the server: once per turn of the event loop, after the state
// is on disk, so a crash in between makes the server send it again rather than lose it.
import { ChatError, ErrorCode } from '../core/errors.js';
import type { DeliverMessage, ReceivedMessage } from '../core/messages.js';
import { nameKey, stripControlCharacters } from '../core/names.js';
import { MissingSenderKeyError } from '../core/sender-key-store.js';
import { isRoomTarget } from '../core/room-names.js';
import type { ChatMessageEvent, SessionErrorEvent } from './session-events.js';
import type { E2eEngine } from './e2e-engine.js';
import type { PeerDirectory } from './peer-directory.js';
import type { ClientState } from './state/client-state.js';

/** Most envelope ids in one confirmation (the server's MAX_RECEIPT_IDS). */
const CONFIRM_BATCH = 1000;
/**
 * How long a room message waits for the key its sender was asked for, before it counts as
 * unreadable (and its sender hears so). Unconfirmed messages hold a place in the server's window
 * of stored deliveries, so the wait must be short.
 */
export const KEY_REQUEST_WAIT_MS = 10_000;
/**
 * The same for a lobby line on a server past its full-presence size, where the lobby is open and
 * every reader the sender never knew asks it for its chain at once: the sender answers at the pace
 * of its flood-control budget (a burst of 60, then 20 a second), so 60 s lets ~1,250 readers in.
 */
export const OPEN_LOBBY_KEY_WAIT_MS = 60_000;
/** Room messages waiting for a key at once; past this, another one counts as unreadable at once. */
export const MAX_WAITING_FOR_KEY = 500;

interface PendingConfirmation {
  readonly from: string;
  readonly ids: string[];
  readonly unreadable: Set<string>;
  readonly held: Set<string>;
  /** A DM of theirs was shown this turn: what is owed to them goes (ClientState keeps which). */
  owesReceipts: boolean;
}

/** How a kept envelope is confirmed: plainly, as unreadable, as held unread, or as a DM to receipt. */
type Confirmation = 'kept' | 'unreadable' | 'held' | 'receipt';

interface WaitingForKey {
  readonly messages: DeliverMessage[];
  readonly timer: NodeJS.Timeout;
}

export interface InboxOutput {
  message(event: ChatMessageEvent): void;
  error(event: SessionErrorEvent): void;
  /** Sends a confirmation to the server (dropped when not connected: the server sends again). */
  confirm(received: ReceivedMessage): void;
  /** Asks `sender` for its chain `chain` in `room` (null: the lobby) from message `n` on (protocol v4, part 8). */
  requestKey(sender: string, chain: string, n: number, room: string | null): void;
  /** `sender` asked for one of our chains: hand it over if it is theirs to have. */
  answerKeyRequest(sender: string, chain: string, n: number, room: string | null): void;
  /** Seals `sender` receipts for the DMs of theirs we showed (owed in ClientState, on disk already). */
  payReceipts(sender: string): void;
  /** `sender`'s client sealed us a receipt: these DMs of ours are delivered. */
  receiptArrived(sender: string, ids: readonly string[]): void;
}

export class Inbox {
  /** What to confirm this turn, per sender (by name key): kept, unreadable, held; and which DMs to receipt. */
  private readonly toConfirm = new Map<string, PendingConfirmation>();
  private confirmScheduled = false;
  /** Room messages on a chain we do not hold, by "sender\0chain", waiting for the key we asked for. */
  private readonly waitingForKey = new Map<string, WaitingForKey>();
  private waitingCount = 0;

  constructor(
    private readonly engine: E2eEngine,
    private readonly directory: PeerDirectory,
    private readonly state: ClientState,
    private readonly output: InboxOutput,
    /** How long a message to `to` waits for its key (see KEY_REQUEST_WAIT_MS, OPEN_LOBBY_KEY_WAIT_MS). */
    private readonly keyWaitMs: (to: string | null) => number = () => KEY_REQUEST_WAIT_MS,
  ) {}

  /** `retried`: a message that waited for its key, opened again now that the key came. */
  receive(message: DeliverMessage, retried = false): void {
    const ref = message.envelope.id;
    // Delivered again (a resend, a server restart before our confirmation reached it): shown once.
    if (this.state.hasSeen(message.from, ref)) return this.confirm(message.from, ref);
    const sender = this.directory.get(message.from);
    if (sender === undefined) {
      this.output.error({ code: ErrorCode.ENVELOPE_INVALID, message: 'message from someone this server does not list', fatal: false, ref });
      return;
    }
    let opened: ReturnType<E2eEngine['open']>;
    try {
      // A room message reaches only its members (the server fans it out), and opens only on a chain handed over for that room.
      opened = this.engine.open(message, sender, isRoomTarget(message.to) || this.directory.isSelf(message.to!));
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      if (error instanceof MissingSenderKeyError && !retried && this.waitForKey(sender.name, error, message)) return;
      this.output.error({ code: error.code, message: `dropped a message from ${sender.name}: ${error.message}`, fatal: false, ref, peer: sender.name });
      // Confirmed all the same, as unreadable: it will never open, the server must not send it
      // forever, and its sender hears that it was not read rather than "delivered".
      if (error.code !== ErrorCode.REPLAY) this.confirm(sender.name, ref, 'unreadable');
      return;
    }
    // Old news of a stored message is no gap: only live chains are checked for order.
    if (message.stored !== true) this.reportOrder(sender.name, ref, opened.order);
    const ts = message.envelope.ts;
    // A key handover shows nothing, and is kept even from a held contact.
    if (opened.kind !== 'text') {
      // A receipt's news is on disk (receiptArrived commits it) before the receipt is remembered
      // as seen: a crash between the two then opens it again, never drops it as a repeat.
      if (opened.kind === 'receipt') this.output.receiptArrived(sender.name, opened.ids);
      this.state.remember({ kind: 'seen', id: ref, from: sender.name, ts: Date.now() });
      this.confirm(sender.name, ref);
      if (opened.kind === 'handover') this.retryWaiting(sender.name, opened.chain);
      else if (opened.kind === 'key-request') this.output.answerKeyRequest(sender.name, opened.chain, opened.n, opened.room);
      return;
    }
    const text = stripControlCharacters(opened.text);
    if (this.directory.isHeld(sender)) {
      // A verified contact with a new key must not carry on silently: keep its messages aside until
      // the user compares the new safety number (then they are shown, marked), or discards them.
      this.state.hold({ id: ref, from: sender.name, to: message.to, text, ts });
      this.state.remember({ kind: 'seen', id: ref, from: sender.name, ts: Date.now() });
      this.output.error({
        code: ErrorCode.PEER_KEY_CHANGED,
        message: `held a message from ${sender.name}: this verified contact's key changed; compare safety numbers with :verify ${sender.name} (or :discard ${sender.name})`,
        fatal: false,
        ref,
        peer: sender.name,
      });
      // Its sender hears it is held, not "delivered" (through the server: we will not seal to the new key).
      return this.confirm(sender.name, ref, 'held');
    }
    // A DM shown owes its sender a receipt, in the same record (see owed-receipts.ts).
    const dm = !isRoomTarget(message.to);
    this.state.remember({ kind: 'in', id: ref, from: sender.name, to: message.to, text, ts, ...(dm ? { owesReceipt: true } : {}) });
    this.output.message({
      id: ref,
      from: sender.name,
      to: message.to,
      text,
      ts,
      verified: sender.trust !== 'changed',
      // The name is the sender's: no control character or escape sequence of it reaches a terminal.
      ...(opened.file === undefined ? {} : { file: { ...opened.file, name: stripControlCharacters(opened.file.name) || 'file' } }),
    });
    // A DM we show is receipted to its sender end to end; a room line only through the server.
    this.confirm(sender.name, ref, dm ? 'receipt' : 'kept');
  }

  /**
   * Keeps a room message on a chain we lack until its sender answers our request (one request per
   * chain), or keyWaitMs passes. False when too many wait already.
   */
  private waitForKey(sender: string, missing: MissingSenderKeyError, message: DeliverMessage): boolean {
    if (this.waitingCount >= MAX_WAITING_FOR_KEY) return false;
    const key = `${sender.toLowerCase()}\u0000${missing.chain}`;
    let waiting = this.waitingForKey.get(key);
    if (waiting === undefined) {
      const waitMs = this.keyWaitMs(message.to);
      const timer = setTimeout(() => this.giveUpWaiting(key, sender, waitMs), waitMs);
      timer.unref();
      waiting = { messages: [], timer };
      this.waitingForKey.set(key, waiting);
      this.output.requestKey(sender, missing.chain, missing.n, message.to);
    }
    waiting.messages.push(message);
    this.waitingCount++;
    return true;
  }

  /** The chain came: the messages that waited for it are opened, in the order they arrived. */
  private retryWaiting(sender: string, chain: string): void {
    const messages = this.takeWaiting(`${sender.toLowerCase()}\u0000${chain}`);
    for (const message of messages) this.receive(message, true);
  }

  private giveUpWaiting(key: string, sender: string, waitMs: number): void {
    const messages = this.takeWaiting(key);
    for (const message of messages) {
      const ref = message.envelope.id;
      this.output.error({
        code: ErrorCode.ENVELOPE_INVALID,
        message: `dropped a message from ${sender}: no key for it came (asked ${sender}; no answer within ${waitMs / 1000} s)`,
        fatal: false,
        ref,
        peer: sender,
      });
      this.confirm(sender, ref, 'unreadable');
    }
  }

  private takeWaiting(key: string): DeliverMessage[] {
    const waiting = this.waitingForKey.get(key);
    if (waiting === undefined) return [];
    clearTimeout(waiting.timer);
    this.waitingForKey.delete(key);
    this.waitingCount -= waiting.messages.length;
    return waiting.messages;
  }

  /** Forgets what waits for keys (the connection went: the server sends those again). */
  reset(): void {
    for (const waiting of this.waitingForKey.values()) clearTimeout(waiting.timer);
    this.waitingForKey.clear();
    this.waitingCount = 0;
  }

  /** The messages held from `name` while its new key was unconfirmed: shown now, marked so. */
  showHeld(name: string): void {
    const held = this.state.release(name);
    for (const message of held) {
      const dm = !isRoomTarget(message.to);
      this.state.remember({
        kind: 'in',
        id: message.id,
        from: message.from,
        to: message.to,
        text: message.text,
        ts: message.ts,
        held: true,
        ...(dm ? { owesReceipt: true } : {}),
      });
      this.output.message({ ...message, verified: true, held: true });
    }
    if (held.length > 0) this.state.commit(undefined);
    // Now read: their sender hears so, end to end (the user accepted the new key), as the caller
    // pays what is owed to them.
  }

  /** Drops the messages held from `name`, unread. Returns how many. */
  discardHeld(name: string): number {
    const dropped = this.state.release(name);
    this.state.commit(undefined);
    // Their sender hears it was thrown away unread (through the server: its key is not trusted).
    for (let i = 0; i < dropped.length; i += CONFIRM_BATCH) {
      const discarded = dropped.slice(i, i + CONFIRM_BATCH).map((message) => message.id);
      this.output.confirm({ type: 'received', ids: [], from: name, discarded });
    }
    return dropped.length;
  }

  /**
   * Tells the server, in one `received` per sender each turn, what we kept: ids are the sender's
   * own, so naming the sender keeps another user's reuse of an id from confirming (or marking
   * unreadable) someone else's message.
   */
  private confirm(from: string, id: string, how: Confirmation = 'kept'): void {
    const pending = this.pendingFor(from);
    pending.ids.push(id);
    if (how === 'unreadable') pending.unreadable.add(id);
    if (how === 'held') pending.held.add(id);
    if (how === 'receipt') pending.owesReceipts = true;
    this.scheduleConfirmations();
  }

  private pendingFor(from: string): PendingConfirmation {
    const key = nameKey(from);
    let pending = this.toConfirm.get(key);
    if (pending === undefined) {
      pending = { from, ids: [], unreadable: new Set(), held: new Set(), owesReceipts: false };
      this.toConfirm.set(key, pending);
    }
    return pending;
  }

  /** Once a turn, after the state is on disk: a receipt per sender of DMs, then one `received` per sender. */
  private scheduleConfirmations(): void {
    if (this.confirmScheduled) return;
    this.confirmScheduled = true;
    setImmediate(() => {
      this.confirmScheduled = false;
      const senders = [...this.toConfirm.values()];
      this.toConfirm.clear();
      this.state.commit(this.engine.exportState());
      // What is owed was on disk with the history above; receipts go before the server hears we
      // kept the DMs, so a sender hears from our client first.
      for (const { from: sender, owesReceipts } of senders) if (owesReceipts) this.output.payReceipts(sender);
      for (const { from: sender, ids, unreadable: failed, held } of senders) {
        for (let i = 0; i < ids.length; i += CONFIRM_BATCH) {
          const batch = ids.slice(i, i + CONFIRM_BATCH);
          const unread = batch.filter((each) => failed.has(each));
          const holding = batch.filter((each) => held.has(each));
          this.output.confirm({
            type: 'received',
            ids: batch,
            from: sender,
            ...(unread.length === 0 ? {} : { unreadable: unread }),
            ...(holding.length === 0 ? {} : { held: holding }),
          });
        }
      }
    });
  }

  /** Reports messages the server dropped or delivered out of order (the message itself is shown). */
  private reportOrder(from: string, ref: string, order: ReturnType<E2eEngine['open']>['order']): void {
    if (order.kind === 'gap') {
      const count = order.missing === 1 ? '1 message' : `${order.missing} messages`;
      this.output.error({
        code: ErrorCode.MESSAGES_MISSING,
        message: `${count} from ${from} never arrived (dropped on the way)`,
        fatal: false,
        ref,
        peer: from,
      });
    } else if (order.kind === 'late') {
      this.output.error({ code: ErrorCode.MESSAGE_LATE, message: `a message from ${from} arrived out of order`, fatal: false, ref, peer: from });
    }
  }
}
