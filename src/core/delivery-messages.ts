// What the server says of a message's delivery (docs/PROTOCOL.md, "Messages"): the ack that names
// every recipient at once, and the receipts that follow per recipient. core/messages.ts
// re-exports them with the rest of the protocol.

/**
 * Where a message stands for one recipient. On the wire (receipts) every state is the server's
 * word, `delivered` included: the recipient's client told the server it kept it. A client keeps
 * that as `confirmed`, and says `delivered` only on a receipt the recipient's client sealed to it
 * end to end (a DM); `held` (the recipient's client holds it unread: the sender's key changed for a
 * contact they verified) and `discarded` (the recipient threw it away unread) come from the
 * recipient's client through the server.
 */
export type DeliveryState = 'sent' | 'delivered' | 'confirmed' | 'stored' | 'expired' | 'refused' | 'held' | 'discarded';

/** A refusal, per recipient: a code from ErrorCode and a reason for the user. */
export interface RecipientRefusal {
  readonly name: string;
  readonly code: string;
  readonly reason: string;
}

/**
 * The server took a message: who got it live (`sent`, a receipt follows when they have kept it),
 * who it was stored for (away), and who it was refused for and why. Together they name every
 * recipient, so nothing is lost without its sender hearing of it.
 */
export interface AckMessage {
  readonly type: 'ack';
  readonly id: string;
  readonly sent: readonly string[];
  readonly stored: readonly string[];
  readonly refused: readonly RecipientRefusal[];
}

/** Later news of messages acknowledged before: delivered (kept by the recipient), stored, expired, refused. */
export interface Receipt {
  readonly id: string;
  readonly name: string;
  readonly state: Exclude<DeliveryState, 'sent' | 'confirmed'>;
  /** Why, for expired, refused and held. */
  readonly reason?: string;
}
export interface ReceiptsMessage {
  readonly type: 'receipts';
  readonly receipts: readonly Receipt[];
}
