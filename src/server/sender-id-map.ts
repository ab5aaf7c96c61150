// Deliveries in flight, keyed by (sender, envelope id). Envelope ids are each sender's own: room
// members see each other's ids, so keying by id alone let one member's copy replace another's
// message (it was then stored in its place and its sender never told). Here a reused id is another
// entry, and a confirmation that names its sender touches that sender's entry alone.
import { nameKey } from '../core/names.js';

export class SenderIdMap<V> {
  /** id -> sender's name key -> value; insertion order of ids is kept for dropping the oldest. */
  private readonly byId = new Map<string, Map<string, V>>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  set(from: string, id: string, value: V): void {
    let senders = this.byId.get(id);
    if (senders === undefined) {
      senders = new Map();
      this.byId.set(id, senders);
    }
    if (!senders.has(nameKey(from))) this.count++;
    senders.set(nameKey(from), value);
  }

  get(from: string, id: string): V | undefined {
    return this.byId.get(id)?.get(nameKey(from));
  }

  /**
   * Removes and returns the entries for `id` from `from`, or, when `from` is undefined (a client
   * that does not name senders), from every sender.
   */
  take(from: string | undefined, id: string): V[] {
    const senders = this.byId.get(id);
    if (senders === undefined) return [];
    if (from !== undefined) {
      const value = senders.get(nameKey(from));
      if (value === undefined) return [];
      senders.delete(nameKey(from));
      this.count--;
      if (senders.size === 0) this.byId.delete(id);
      return [value];
    }
    this.byId.delete(id);
    this.count -= senders.size;
    return [...senders.values()];
  }

  /** Drops the entries of the oldest id (a bound on what is tracked). */
  dropOldest(): void {
    const oldest = this.byId.keys().next();
    if (oldest.done === true) return;
    this.count -= this.byId.get(oldest.value)!.size;
    this.byId.delete(oldest.value);
  }

  *values(): IterableIterator<V> {
    for (const senders of this.byId.values()) yield* senders.values();
  }
}
