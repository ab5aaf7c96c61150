// What a client writes in one turn of the event loop, batched: DMs (a room's key handovers, the
// resends after a reconnect, key requests answered together) go as `send-batch` frames, and
// confirmations to many senders (an open lobby's hundreds of askers, each confirmed at once) as
// `received-batch` frames, each up to the server's announced count and within its frame limit:
// one message of flood control per frame instead of one per member or per sender. A turn, not a
// microtask: a session handles each message in its own step of a promise chain, and a batch that
// ended with the microtask queue held one message each. Anything else written meanwhile (and a
// batch of the other kind) sends what waits first, so the server sees everything in the order it
// was written (the handovers before the room line they key, receipts before the confirmations).
import { isValidName } from '../core/names.js';
import type { AnnouncedLimits, ClientMessage, ReceivedMessage, SendMessage } from '../core/messages.js';

/** What a batch frame adds around its entries (`{"type":"received-batch","received":[...]}`), with room to spare. */
const BATCH_OVERHEAD_BYTES = 64;

type Batchable = { readonly kind: 'send'; readonly message: SendMessage } | { readonly kind: 'received'; readonly message: ReceivedMessage };

export class BatchWriter {
  private waiting: Batchable[] = [];
  private waitingBytes = 0;
  private flushQueued = false;

  constructor(
    /** Writes one message now (encoded once, as measured if it was). */
    private readonly write: (message: ClientMessage) => void,
    /** What the server announced; no `maxBatchSends` / `maxBatchReceived`: it takes no batches of that kind. */
    private readonly limits: () => AnnouncedLimits | undefined,
    /** A message's size as a frame body (the link's own encoding, kept for when it is written alone). */
    private readonly bytesOf: (message: ClientMessage) => number,
  ) {}

  send(message: ClientMessage): void {
    const limits = this.limits();
    const entry = batchable(message);
    const maxEntries = entry === undefined ? 0 : entry.kind === 'send' ? (limits?.maxBatchSends ?? 0) : (limits?.maxBatchReceived ?? 0);
    if (entry === undefined || maxEntries < 2) {
      this.flush();
      this.write(message);
      return;
    }
    // Plus the comma between entries.
    const bytes = this.bytesOf(message) + 1;
    const kind = this.waiting[0]?.kind;
    if (
      (kind !== undefined && kind !== entry.kind) ||
      this.waiting.length >= maxEntries ||
      this.waitingBytes + bytes + BATCH_OVERHEAD_BYTES > limits!.maxControlFrameBytes
    ) {
      this.flush();
    }
    this.waiting.push(entry);
    this.waitingBytes += bytes;
    if (!this.flushQueued) {
      this.flushQueued = true;
      setImmediate(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /** Sends what waits: a lone message as itself, more as one batch. */
  flush(): void {
    const entries = this.waiting;
    if (entries.length === 0) return;
    this.waiting = [];
    this.waitingBytes = 0;
    if (entries.length === 1) return this.write(entries[0]!.message);
    if (entries[0]!.kind === 'send') this.write({ type: 'send-batch', sends: entries.map((entry) => entry.message as SendMessage) });
    else this.write({ type: 'received-batch', received: entries.map((entry) => entry.message as ReceivedMessage) });
  }

  /** The connection went: what waits is dropped (what was tracked is resent; what was not confirmed the server delivers again, and it is confirmed then). */
  clear(): void {
    this.waiting = [];
    this.waitingBytes = 0;
  }
}

/** A DM (never a room line: it would fan out for one message of flood control) or a confirmation. */
function batchable(message: ClientMessage): Batchable | undefined {
  if (message.type === 'received') return { kind: 'received', message };
  if (message.type === 'send' && message.to !== null && isValidName(message.to)) return { kind: 'send', message };
  return undefined;
}
