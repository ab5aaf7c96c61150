// Deliveries in flight, keyed by (sender, envelope id). Envelope ids are each sender's own: room
// members see each other's ids, so keying by id alone let one member's copy replace another's
// message (it was then stored in its place and its sender never told). Here a reused id is another
// entry, and a confirmation that names its sender touches that sender's entry alone. Ids almost
// never collide, so an id holds one entry, and a list only when another sender reused it.
import { nameKey } from '../core/names.js';

interface Entry<V> {
  readonly from: string;
  value: V;
}

export class SenderIdMap<V> {
  /** id -> its entry, or the entries of several senders. */
  private readonly byId = new Map<string, Entry<V> | Array<Entry<V>>>();
  private count = 0;
  /**
   * Ids in the order they were first set, from `head` on, for dropping the oldest. Not the Map's
   * own order: after many deletes at its front, V8's Map walks past every deleted slot to find the
   * first live one (measured: 6 us a drop at 10,000 entries, 11% of the server's time under a
   * client that never confirms). Ids taken meanwhile are skipped when they come up; the queue is
   * rebuilt when it holds twice as many ids as the map.
   */
  private order: string[] = [];
  private head = 0;

  get size(): number {
    return this.count;
  }

  set(from: string, id: string, value: V): void {
    const held = this.byId.get(id);
    if (held === undefined) {
      this.byId.set(id, { from, value });
      this.count++;
      this.order.push(id);
      if (this.order.length - this.head > 2 * this.byId.size + 1024) this.compact();
      return;
    }
    const entries = Array.isArray(held) ? held : [held];
    const same = entries.find((entry) => sameSender(entry.from, from));
    if (same !== undefined) {
      same.value = value;
      return;
    }
    entries.push({ from, value });
    this.byId.set(id, entries);
    this.count++;
  }

  get(from: string, id: string): V | undefined {
    const held = this.byId.get(id);
    if (held === undefined) return undefined;
    if (!Array.isArray(held)) return sameSender(held.from, from) ? held.value : undefined;
    return held.find((entry) => sameSender(entry.from, from))?.value;
  }

  /**
   * Removes and returns the entries for `id` from `from`, or, when `from` is undefined (a client
   * that does not name senders), from every sender.
   */
  take(from: string | undefined, id: string): V[] {
    const held = this.byId.get(id);
    if (held === undefined) return [];
    const entries = Array.isArray(held) ? held : [held];
    const taken = from === undefined ? entries : entries.filter((entry) => sameSender(entry.from, from));
    if (taken.length === 0) return [];
    const left = taken.length === entries.length ? [] : entries.filter((entry) => !taken.includes(entry));
    if (left.length === 0) this.byId.delete(id);
    else this.byId.set(id, left.length === 1 ? left[0]! : left);
    this.count -= taken.length;
    return taken.map((entry) => entry.value);
  }

  /** Drops the entries of the oldest id (a bound on what is tracked). */
  dropOldest(): void {
    while (this.head < this.order.length) {
      const id = this.order[this.head++]!;
      const held = this.byId.get(id);
      if (held === undefined) continue;
      this.count -= Array.isArray(held) ? held.length : 1;
      this.byId.delete(id);
      break;
    }
    if (this.head > 1024 && this.head * 2 > this.order.length) this.compact();
  }

  /** Keeps the queue to the ids still held, oldest first (the Map's own order is that order). */
  private compact(): void {
    this.order = [...this.byId.keys()];
    this.head = 0;
  }

  *values(): IterableIterator<V> {
    for (const held of this.byId.values()) {
      if (Array.isArray(held)) for (const entry of held) yield entry.value;
      else yield held.value;
    }
  }
}

/** Names are unique whatever their case; the same spelling (the usual case) needs no folding. */
function sameSender(a: string, b: string): boolean {
  return a === b || nameKey(a) === nameKey(b);
}
