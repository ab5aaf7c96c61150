// One connection's flood control, per frame: chat frames spend a message and their bytes (20 a
// second, 256 KiB a second by default), file chunks spend bytes of their own (64 MiB a second):
// a 100 MiB upload is not chat flood, and a chat flood gets no help from file bytes. A
// `send-batch` (DMs written in one turn: a room's key handovers) spends one message and bytes of
// its own (1 MiB a second, 8 MiB at once): its entries each go to one member, so unlike a room
// line its bytes are not multiplied by the room, and a 5,000-member room's handovers (7 MB) do
// not wait half a minute on the chat budget. A `received-batch` (confirmations to many senders at
// once: an open lobby's askers) spends the same way. A connection
// may start below full: what its address or name had left when their last connection closed
// (budget-carryover.ts), so hanging up and coming back buys no fresh burst.
import { type Frame, FrameType } from '../core/frame-types.js';
import { decodeClientMessage } from '../core/message-codec.js';
import type { ClientMessage } from '../core/messages.js';
import type { ServerLimits } from './server-limits.js';
import { TokenBucket } from './token-bucket.js';

/** What is left in each of a connection's buckets. */
export interface BudgetLevels {
  readonly messages: number;
  readonly bytes: number;
  readonly fileBytes: number;
  readonly batchBytes: number;
}

/** Which budget a frame spends from: file chunks and batches (`send-batch`, `received-batch`) have bytes of their own. */
export type FrameBudget = 'chat' | 'batch' | 'file';

/** A frame's budget: `messageType` is the decoded type of a control frame. */
export function budgetOf(frame: Frame, messageType?: string): FrameBudget {
  if (frame.type === FrameType.FILE) return 'file';
  return messageType === 'send-batch' || messageType === 'received-batch' ? 'batch' : 'chat';
}

/** A frame read, with the budget it spends from and, for a control frame, its message. */
export interface InboundFrame {
  readonly frame: Frame;
  readonly budget: FrameBudget;
  readonly message?: ClientMessage;
}

/**
 * Frames just read, each with its budget. Control frames are decoded here, before flood control
 * (only a decoded type says it is a batch); throws the codec's ProtocolError on a bad one.
 */
export function withBudgets(frames: readonly Frame[]): InboundFrame[] {
  return frames.map((frame) => {
    if (frame.type === FrameType.FILE) return { frame, budget: budgetOf(frame) };
    const message = decodeClientMessage(frame.body);
    return { frame, budget: budgetOf(frame, message.type), message };
  });
}

export class FrameBudgets {
  private readonly messages: TokenBucket;
  private readonly bytes: TokenBucket;
  private readonly fileBytes: TokenBucket;
  private readonly batchBytes: TokenBucket;

  constructor(limits: ServerLimits, now: number, start?: BudgetLevels) {
    this.messages = new TokenBucket(limits.messagesPerSecond, limits.messageBurst, now, start?.messages);
    this.bytes = new TokenBucket(limits.bytesPerSecond, limits.byteBurst, now, start?.bytes);
    this.fileBytes = new TokenBucket(limits.fileBytesPerSecond, limits.fileByteBurst, now, start?.fileBytes);
    this.batchBytes = new TokenBucket(limits.batchBytesPerSecond, limits.batchByteBurst, now, start?.batchBytes);
  }

  levels(now: number): BudgetLevels {
    return { messages: this.messages.level(now), bytes: this.bytes.level(now), fileBytes: this.fileBytes.level(now), batchBytes: this.batchBytes.level(now) };
  }

  /** Brings each bucket down to `levels` where it is above (a name's leftovers, learnt at join). */
  lowerTo(levels: BudgetLevels, now: number): void {
    this.messages.lowerTo(levels.messages, now);
    this.bytes.lowerTo(levels.bytes, now);
    this.fileBytes.lowerTo(levels.fileBytes, now);
    this.batchBytes.lowerTo(levels.batchBytes, now);
  }

  /** How long a frame spending from `budget` must wait before it may be handled (0: now). */
  waitMs(budget: FrameBudget, now: number): number {
    if (budget === 'file') return this.fileBytes.waitMs(now);
    return Math.max(this.messages.waitMs(now), (budget === 'batch' ? this.batchBytes : this.bytes).waitMs(now));
  }

  /** A frame of `bytes` is handled now: its cost is spent from `budget`. */
  spend(budget: FrameBudget, bytes: number, now: number): void {
    if (budget === 'file') {
      this.fileBytes.take(bytes, now);
      return;
    }
    this.messages.take(1, now);
    (budget === 'batch' ? this.batchBytes : this.bytes).take(bytes, now);
  }
}
