// Where each message the user sent stands, per recipient, from the server's ack and later
// receipts: pending (not acknowledged yet), sent (live, not yet confirmed kept), confirmed (the
// server says the recipient's client kept it), delivered (the recipient's client said so in a
// receipt sealed to us end to end: DMs), held or discarded unread (the recipient's client, through
// the server), stored (waiting for someone away), expired, refused (with the reason). Everything
// but "delivered" is the server's word, and reads so. The TUI and --json show the summary of each;
// after a reconnect, what never got a final word is resent (the same envelopes: recipients drop
// repeats by id).
import { isRoomTarget } from '../core/room-names.js';
import type { AckMessage, Receipt, SendMessage } from '../core/messages.js';
import { type ClientState, type OutgoingEntry, type RecipientState, isSettled } from './state/client-state.js';

/** What the user sees of one sent message. */
export interface DeliverySummary {
  readonly id: string;
  readonly to: string | null;
  readonly text: string;
  /** Recipients known so far (0 until the server's ack). */
  readonly total: number;
  /** Recipients whose client sealed us a receipt (end to end: it cannot come from the server). */
  readonly delivered: number;
  /** Recipients whose client told the server it kept the message (the server's word). */
  readonly confirmed: number;
  readonly stored: number;
  /** Sent live, not yet confirmed. */
  readonly sent: number;
  readonly failed: ReadonlyArray<{ readonly name: string; readonly state: 'expired' | 'refused' | 'held' | 'discarded'; readonly reason: string }>;
  /** No ack from the server yet. */
  readonly pending: boolean;
}

export class DeliveryTracker {
  /** Envelope id -> the entry it belongs to (the message itself, or one of its key handovers). */
  private readonly byEnvelope = new Map<string, OutgoingEntry>();

  constructor(private readonly state: ClientState) {
    for (const entry of state.outbox) this.index(entry);
  }

  /** A message sealed into `sends` (handovers first, the message last): tracked from now on. */
  track(entry: OutgoingEntry): void {
    this.state.addOutgoing(entry);
    this.index(entry);
  }

  onAck(ack: AckMessage): DeliverySummary | undefined {
    const entry = this.byEnvelope.get(ack.id);
    if (entry === undefined) return undefined;
    const states = recipientsOf(entry, ack.id);
    if (ack.id === entry.id) entry.acked = true;
    for (const name of ack.sent) if (states[name]?.state !== 'delivered') states[name] = { state: 'sent' };
    for (const name of ack.stored) if (states[name]?.state !== 'delivered') states[name] = { state: 'stored' };
    for (const refusal of ack.refused) states[refusal.name] = { state: 'refused', reason: refusal.reason };
    return this.summaryIfMessage(entry, ack.id);
  }

  onReceipts(receipts: readonly Receipt[]): DeliverySummary[] {
    // Summarized once each, after the whole batch: a lobby line's thousand receipts are one summary, not a thousand.
    const changed = new Map<string, OutgoingEntry>();
    for (const receipt of receipts) {
      const entry = this.byEnvelope.get(receipt.id);
      if (entry === undefined) continue;
      const states = recipientsOf(entry, receipt.id);
      // News of someone the message was not for (the ack named its recipients) is nobody's.
      if (entry.acked === true && receipt.id === entry.id && states[receipt.name] === undefined) continue;
      // Delivered is the last word: a late "stored" from a resend does not undo it.
      if (states[receipt.name]?.state === 'delivered') continue;
      // The server's "delivered" is its word that their client kept it: confirmed, not delivered.
      const state = receipt.state === 'delivered' ? 'confirmed' : receipt.state;
      states[receipt.name] = { state, ...(receipt.reason === undefined ? {} : { reason: receipt.reason }) };
      // Handovers are not shown; only the message's own envelope changes what the user sees.
      if (receipt.id === entry.id) changed.set(entry.id, entry);
    }
    return [...changed.values()].map(summarize);
  }

  /**
   * `from` sealed us a receipt for these DMs: delivered, on the word of their client (a DM's
   * signature and keys: the server cannot make one). Only for DMs that were sent to `from`.
   */
  onEndToEndReceipt(from: string, ids: readonly string[]): DeliverySummary[] {
    const changed: DeliverySummary[] = [];
    for (const id of ids) {
      const entry = this.byEnvelope.get(id);
      if (entry === undefined || id !== entry.id || entry.to === null || isRoomTarget(entry.to) || entry.to.toLowerCase() !== from.toLowerCase()) continue;
      const states = recipientsOf(entry, id);
      // Under the spelling the server's ack used for them, if it named them already.
      const name = Object.keys(states).find((known) => known.toLowerCase() === from.toLowerCase()) ?? from;
      states[name] = { state: 'delivered' };
      changed.push(summarize(entry));
    }
    return changed;
  }

  /** The sends to repeat after a reconnect: each envelope, to the recipients that never got a final word. */
  resends(): SendMessage[] {
    const out: SendMessage[] = [];
    for (const entry of this.state.outbox) {
      if (entry.sends === undefined || isSettled(entry)) continue;
      for (const send of entry.sends) {
        const states = entry.recipients[send.envelope.id];
        if (states === undefined || (send.envelope.id === entry.id && entry.acked !== true)) {
          out.push(send);
          continue;
        }
        const open = Object.entries(states)
          .filter(([, recipient]) => recipient.state === 'sent')
          .map(([name]) => name);
        if (open.length === 0) continue;
        out.push(isRoomTarget(send.to) ? { ...send, only: open } : send);
      }
    }
    return out;
  }

  /**
   * Where a message from an earlier run stands now (its line in the history is shown with it):
   * from the outbox while tracked, from its final word kept with the history once settled;
   * undefined if never tracked.
   */
  summaryOf(shownId: string, to: string | null): DeliverySummary | undefined {
    const entry = this.state.outbox.find((candidate) => (candidate.shownAs ?? candidate.id) === shownId && candidate.text !== '');
    if (entry !== undefined) return summarize(entry);
    const settled = this.state.settledRecipients(shownId);
    return settled === undefined ? undefined : summarize({ id: shownId, to, text: '', createdAt: 0, recipients: { [shownId]: { ...settled } }, acked: true });
  }

  /** Drops settled entries from the outbox and the index. */
  prune(): void {
    // The index is rebuilt only when something went: a room's first line to 1,000 members is one
    // entry with 1,000 handovers, re-indexed on every turn that brought receipts.
    if (this.state.pruneOutbox() === 0) return;
    this.byEnvelope.clear();
    for (const entry of this.state.outbox) this.index(entry);
  }

  private index(entry: OutgoingEntry): void {
    for (const send of entry.sends ?? []) this.byEnvelope.set(send.envelope.id, entry);
  }

  private summaryIfMessage(entry: OutgoingEntry, envelopeId: string): DeliverySummary | undefined {
    // Handovers are not shown; only the message's own envelope changes what the user sees.
    return envelopeId === entry.id ? summarize(entry) : undefined;
  }
}

function recipientsOf(entry: OutgoingEntry, envelopeId: string): Record<string, RecipientState> {
  let states = entry.recipients[envelopeId];
  if (states === undefined) {
    states = {};
    entry.recipients[envelopeId] = states;
  }
  return states;
}

export function summarize(entry: OutgoingEntry): DeliverySummary {
  const states: Record<string, RecipientState> = entry.recipients[entry.id] ?? {};
  const failed: Array<{ name: string; state: 'expired' | 'refused' | 'held' | 'discarded'; reason: string }> = [];
  let delivered = 0;
  let confirmed = 0;
  let stored = 0;
  let sent = 0;
  for (const [name, recipient] of Object.entries(states)) {
    if (recipient.state === 'delivered') delivered++;
    else if (recipient.state === 'confirmed') confirmed++;
    else if (recipient.state === 'stored') stored++;
    else if (recipient.state === 'sent') sent++;
    else failed.push({ name, state: recipient.state, reason: recipient.reason ?? recipient.state });
  }
  return {
    id: entry.shownAs ?? entry.id,
    to: entry.to,
    text: entry.text,
    total: Object.keys(states).length,
    delivered,
    confirmed,
    stored,
    sent,
    failed,
    pending: entry.acked !== true,
  };
}

/**
 * One line for the user. "delivered" only when the recipient's client said so end to end; what
 * only the server says reads as its word: "server says: reached bob's client", "server says:
 * stored until they are back", "held by bob (...)", "discarded unread by bob".
 */
export function describeDelivery(summary: DeliverySummary): string {
  if (summary.pending) return 'sending…';
  if (summary.total === 0) return 'no one else is here';
  const parts: string[] = [];
  const direct = !isRoomTarget(summary.to);
  if (summary.delivered > 0) parts.push(direct || summary.delivered === summary.total ? 'delivered' : `delivered to ${summary.delivered} of ${summary.total}`);
  const server: string[] = [];
  if (summary.confirmed > 0) {
    server.push(
      direct
        ? `reached ${summary.to}'s client`
        : summary.confirmed < summary.total
          ? `reached ${summary.confirmed} of ${summary.total}`
          : summary.total === 1
            ? 'reached its reader'
            : `reached all ${summary.total}`,
    );
  }
  if (summary.stored > 0) server.push(direct ? 'stored until they are back' : `stored for ${summary.stored} away`);
  if (summary.sent > 0) server.push(direct ? 'sent' : `sent to ${summary.sent}`);
  if (server.length > 0) parts.push(`server says: ${server.join(', ')}`);
  for (const failure of summary.failed) parts.push(describeFailure(failure));
  return parts.join(', ');
}

function describeFailure(failure: DeliverySummary['failed'][number]): string {
  switch (failure.state) {
    case 'held':
      return `held by ${failure.name} (their client says: ${failure.reason.replace(/^.*?holds it unread: /, '')})`;
    case 'discarded':
      return `discarded unread by ${failure.name}`;
    case 'expired':
      return `expired for ${failure.name}: ${failure.reason}`;
    case 'refused':
      return `not delivered for ${failure.name}: ${failure.reason}`;
  }
}
