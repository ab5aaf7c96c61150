// Collects relays per destination during one turn of the event loop and hands each destination
// one message at the end of it. Under load a node relays hundreds of messages per turn; one
// broker message for all of them costs the broker, and both nodes' NATS clients, one message's
// work instead of hundreds. Under light load a batch holds one relay and leaves at once.

export class TickBatcher<T> {
  private readonly pending = new Map<string, { items: T[]; bytes: number }>();
  private scheduled = false;

  /**
   * send: publishes one destination's batch. maxBytes: a batch about to pass this is sent
   * straight away (NATS refuses messages over its max_payload, 1 MB by default).
   */
  constructor(
    private readonly send: (destination: string, items: T[]) => void,
    private readonly maxBytes: number,
  ) {}

  get isEmpty(): boolean {
    return this.pending.size === 0;
  }

  add(destination: string, item: T, bytes: number): void {
    let batch = this.pending.get(destination);
    if (batch !== undefined && batch.bytes + bytes > this.maxBytes) {
      this.pending.delete(destination);
      this.send(destination, batch.items);
      batch = undefined;
    }
    if (batch === undefined) {
      batch = { items: [], bytes: 0 };
      this.pending.set(destination, batch);
    }
    batch.items.push(item);
    batch.bytes += bytes;
    if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Sends everything collected so far (also called before anything that must not overtake it). */
  flush(): void {
    this.scheduled = false;
    const batches = [...this.pending];
    this.pending.clear();
    for (const [destination, batch] of batches) this.send(destination, batch.items);
  }

  /** Drops what is collected; returns it so the caller can report it undelivered. */
  discard(): T[] {
    const items = [...this.pending.values()].flatMap((batch) => batch.items);
    this.pending.clear();
    return items;
  }
}
