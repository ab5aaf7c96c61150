// The end-to-end receipts this client owes: for each DM it showed, one receipt sealed to its
// sender, which must not be lost to a crash, a dropped connection or a restart. A DM shown is
// written to the history marked as owing one (the same record, so the two cannot part); a receipt
// with a final word from the server is written as 'receipted'; one on its way is an outbox entry.
// What is owed is therefore rebuilt from the files alone: shown − receipted − on its way.
import { nameKey } from '../../core/names.js';

/** Most receipts owed to one sender (the oldest are given up first). */
const MAX_OWED_PER_SENDER = 1000;

export class OwedReceipts {
  /** By the sender's name key: their name as last seen, and the ids owed. */
  private readonly bySender = new Map<string, { name: string; ids: Set<string> }>();

  /** A DM from `from` was shown: a receipt is owed for it. */
  owe(from: string, id: string): void {
    const key = nameKey(from);
    let owed = this.bySender.get(key);
    if (owed === undefined) {
      owed = { name: from, ids: new Set() };
      this.bySender.set(key, owed);
    }
    owed.ids.add(id);
    if (owed.ids.size > MAX_OWED_PER_SENDER) owed.ids.delete(owed.ids.values().next().value!);
  }

  /** These ids are receipted (or on their way): no longer owed. */
  paid(from: string, ids: readonly string[]): void {
    const owed = this.bySender.get(nameKey(from));
    if (owed === undefined) return;
    for (const id of ids) owed.ids.delete(id);
    if (owed.ids.size === 0) this.bySender.delete(nameKey(from));
  }

  /** The senders we owe receipts to, by name. */
  senders(): string[] {
    return [...this.bySender.values()].map((owed) => owed.name);
  }

  /** What is owed to `from`, taken out (to go on its way now). */
  take(from: string): string[] {
    const owed = this.bySender.get(nameKey(from));
    this.bySender.delete(nameKey(from));
    return owed === undefined ? [] : [...owed.ids];
  }
}
