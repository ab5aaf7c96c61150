// DMs written in one turn of the event loop (a room's key handovers, the resends after a
// reconnect, key requests answered together) go to the server as `send-batch` frames of up to
// the server's announced count and within its frame limit: one message of flood control per
// frame instead of one per member, so a room's first line no longer waits 20 handovers a second.
// Anything else written meanwhile sends what waits first, so the server sees everything in the
// order it was written (the handovers before the room line they key).
import { isValidName } from '../core/names.js';
import type { AnnouncedLimits, ClientMessage, SendMessage } from '../core/messages.js';

/** What a batch frame adds around its DMs (`{"type":"send-batch","sends":[...]}`), with room to spare. */
const BATCH_OVERHEAD_BYTES = 64;

export class SendBatcher {
  private waiting: SendMessage[] = [];
  private waitingBytes = 0;
  private flushQueued = false;

  constructor(
    /** Writes one message now (encoded once, as measured if it was). */
    private readonly write: (message: ClientMessage) => void,
    /** What the server announced; no `maxBatchSends`: it takes no batches. */
    private readonly limits: () => AnnouncedLimits | undefined,
  ) {}

  send(message: ClientMessage): void {
    const limits = this.limits();
    const maxSends = limits?.maxBatchSends ?? 0;
    if (maxSends < 2 || message.type !== 'send' || message.to === null || !isValidName(message.to)) {
      this.flush();
      this.write(message);
      return;
    }
    const bytes = Buffer.byteLength(JSON.stringify(message)) + 1;
    if (this.waiting.length >= maxSends || this.waitingBytes + bytes + BATCH_OVERHEAD_BYTES > limits!.maxControlFrameBytes) this.flush();
    this.waiting.push(message);
    this.waitingBytes += bytes;
    if (!this.flushQueued) {
      this.flushQueued = true;
      queueMicrotask(() => {
        this.flushQueued = false;
        this.flush();
      });
    }
  }

  /** Sends what waits: a lone DM as itself, more as one batch. */
  flush(): void {
    const sends = this.waiting;
    if (sends.length === 0) return;
    this.waiting = [];
    this.waitingBytes = 0;
    this.write(sends.length === 1 ? sends[0]! : { type: 'send-batch', sends });
  }

  /** The connection went: what waits is dropped (its senders resend what was tracked). */
  clear(): void {
    this.waiting = [];
    this.waitingBytes = 0;
  }
}
