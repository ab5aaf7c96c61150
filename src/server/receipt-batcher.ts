// Receipts to senders, gathered per sender and written once per event-loop turn: a room message
// read by fifty members costs its sender one frame of receipts, not fifty.
import type { Receipt } from '../core/messages.js';
import type { MemberLink } from './member-link.js';

export class ReceiptBatcher {
  private readonly pending = new Map<MemberLink, Receipt[]>();
  private scheduled = false;

  add(to: MemberLink, receipt: Receipt): void {
    const list = this.pending.get(to);
    if (list === undefined) this.pending.set(to, [receipt]);
    else list.push(receipt);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => this.flush());
  }

  flush(): void {
    this.scheduled = false;
    for (const [connection, receipts] of this.pending) {
      if (connection.isOpen) connection.send({ type: 'receipts', receipts });
    }
    this.pending.clear();
  }
}
