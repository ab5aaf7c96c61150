// One connection's flood control, per frame: chat frames spend a message and their bytes (20 a
// second, 256 KiB a second by default), file chunks spend bytes of their own (64 MiB a second):
// a 100 MiB upload is not chat flood, and a chat flood gets no help from file bytes. A connection
// may start below full: what its address or name had left when their last connection closed
// (budget-carryover.ts), so hanging up and coming back buys no fresh burst.
import { type Frame, FrameType } from '../core/frame-types.js';
import type { ServerLimits } from './server-limits.js';
import { TokenBucket } from './token-bucket.js';

/** What is left in each of a connection's buckets. */
export interface BudgetLevels {
  readonly messages: number;
  readonly bytes: number;
  readonly fileBytes: number;
}

export class FrameBudgets {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly fileBytes: TokenBucket;

  constructor(limits: ServerLimits, now: number, start?: BudgetLevels) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now, start?.messages);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now, start?.bytes);
    this.fileBytes = new TokenBucket(limits.fileBytesPerSecond, limits.fileByteBurst, now, start?.fileBytes);
  }

  levels(now: number): BudgetLevels {
    return { messages: this.messages.level(now), bytes: this.bytes.level(now), fileBytes: this.fileBytes.level(now) };
  }

  /** Brings each bucket down to `levels` where it is above (a name's leftovers, learnt at join). */
  lowerTo(levels: BudgetLevels, now: number): void {
    this.messages.lowerTo(levels.messages, now);
    this.bytes.lowerTo(levels.bytes, now);
    this.fileBytes.lowerTo(levels.fileBytes, now);
  }

  /** How long `frame` must wait before it may be handled (0: now). */
  waitMs(frame: Frame, now: number): number {
    if (frame.type === FrameType.FILE) return this.fileBytes.waitMs(now);
    return Math.max(this.messages.waitMs(now), this.bytes.waitMs(now));
  }

  /** `frame` is handled now: its cost is spent. */
  spend(frame: Frame, now: number): void {
    if (frame.type === FrameType.FILE) {
      this.fileBytes.take(frame.body.length, now);
      return;
    }
    this.messages.take(1, now);
    this.bytes.take(frame.body.length, now);
  }
}
