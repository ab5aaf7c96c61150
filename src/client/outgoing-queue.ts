// What the user typed that could not be sealed yet: offline (waiting for a connection), or online
// on a big server while its DM recipient is looked up (one round trip). Kept on disk in the
// client's state, so it survives a restart; handed to the session in order once it can go, each
// message's fate reported (sent, or refused and why).
import { randomBytes } from 'node:crypto';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { ChatSession, SentMessage } from './chat-session.js';
import type { DeliverySummary } from './delivery-tracker.js';
import type { ClientState } from './state/client-state.js';

export type QueueReason = 'connection' | 'lookup';
export type SendOutcome =
  | { readonly status: 'sent'; readonly sent: SentMessage }
  | { readonly status: 'queued'; readonly id: string; readonly waitingFor: QueueReason };

/** What the queue tells the client's listeners. */
export interface OutgoingQueueEvents {
  queued(event: {
    readonly id: string;
    readonly to: string | null;
    readonly text: string;
    readonly queueLength: number;
    readonly waitingFor: QueueReason;
  }): void;
  /** A queued message could not be sent (not for want of a connection): its error and its delivery line. */
  failed(error: { readonly code: string; readonly message: string; readonly fatal: false; readonly ref: string }, delivery: DeliverySummary): void;
  /** Messages queued while offline were handed to the new connection. */
  flushed(count: number): void;
}

export class OutgoingQueue {
  /** A lookup of queued messages' recipients is under way (see sendWhenListed). */
  private lookingUp = false;

  constructor(
    private readonly kept: ClientState,
    private readonly events: OutgoingQueueEvents,
    /** Whether this session is still the client's current one (a lookup may outlive it). */
    private readonly isCurrent: (session: ChatSession) => boolean,
  ) {}

  get length(): number {
    return this.kept.outbox.filter((entry) => entry.sends === undefined).length;
  }

  add(to: string | null, text: string, waitingFor: QueueReason): SendOutcome {
    // Kept on disk too: a queued message survives a restart of the client.
    const id = `queued-${randomBytes(6).toString('hex')}`;
    this.kept.addOutgoing({ id, to, text, createdAt: Date.now(), recipients: {} });
    this.kept.remember({ kind: 'out', id, to, text, ts: Date.now() });
    this.kept.commit(undefined);
    this.events.queued({ id, to, text, queueLength: this.length, waitingFor });
    return { status: 'queued', id, waitingFor };
  }

  /**
   * Sends what is queued once every DM recipient in it is listed (on a big server: followed, one
   * round trip). One lookup at a time: messages queued meanwhile go with the next, in order.
   * `reconnected`: they waited for a connection, and the user is told they went ('flushed').
   */
  sendWhenListed(session: ChatSession, reconnected: boolean): void {
    if (this.lookingUp) return;
    const unlisted = this.kept.outbox.filter((entry) => entry.sends === undefined && session.needsLookup(entry.to)).map((entry) => entry.to!);
    if (unlisted.length === 0) {
      this.send(session, reconnected);
      return;
    }
    this.lookingUp = true;
    void Promise.all(unlisted.map((name) => session.lookup(name))).finally(() => {
      this.lookingUp = false;
      if (!this.isCurrent(session) || !session.isReady) return;
      // Whoever is still not listed has no such user: send() reports those as not sent.
      this.send(session, reconnected);
      // Queued while this lookup ran: their recipients may need one of their own.
      if (this.length > 0) this.sendWhenListed(session, false);
    });
  }

  /** Hands what is queued to the session, in order. */
  private send(session: ChatSession, reconnected: boolean): void {
    const queued = this.kept.takeQueued();
    let sent = 0;
    for (const [index, { id, to, text }] of queued.entries()) {
      if (!session.isReady) {
        // The connection went again mid-way: the rest stay queued, in order, for the next one.
        this.kept.requeue(queued.slice(index));
        break;
      }
      try {
        session.send(to, text, id);
        sent++;
      } catch (error) {
        if (!(error instanceof ChatError)) throw error;
        if (error.code === ErrorCode.NOT_CONNECTED) {
          this.kept.requeue(queued.slice(index));
          break;
        }
        this.events.failed(
          { code: error.code, message: `a queued message was not sent: ${error.message}`, fatal: false, ref: id },
          {
            id,
            to,
            text,
            total: 1,
            delivered: 0,
            confirmed: 0,
            stored: 0,
            sent: 0,
            failed: [{ name: to ?? 'room', state: 'refused', reason: error.message }],
            pending: false,
          },
        );
      }
    }
    this.kept.commit(undefined);
    if (sent > 0 && reconnected) this.events.flushed(sent);
  }
}
