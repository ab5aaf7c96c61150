// What a connection has read, handed on at the pace its flood control allows (frame-budgets.ts).
// When a budget is overdrawn the rest wait, and the socket stops being read, until it has
// refilled: the peer is slowed by TCP, never kicked, and none of what it sent is dropped. What
// waits here is at most one read's worth of frames; everything else stays in the kernel.
import type { Socket } from 'node:net';
import type { FrameBudgets, InboundFrame } from './frame-budgets.js';

export interface PacerParts {
  isOpen(): boolean;
  /** Handles one frame; false stops the pacer (the connection is ending). */
  handle(inbound: InboundFrame): boolean;
  /** The peer is made to wait `waitMs` (said once per connection, counted each time). */
  throttled(waitMs: number): void;
}

export class InboundPacer {
  /** Frames read but not yet handled because the peer is over its flood-control budget. */
  private readonly backlog: InboundFrame[] = [];
  private timer: NodeJS.Timeout | undefined;
  private isPaused = false;

  constructor(
    private readonly socket: Socket,
    readonly budgets: FrameBudgets,
    private readonly parts: PacerParts,
  ) {}

  /** Frames just read, handled now as far as the budgets allow. */
  push(frames: Iterable<InboundFrame>): void {
    for (const frame of frames) this.backlog.push(frame);
    this.run();
  }

  stop(): void {
    clearTimeout(this.timer);
  }

  private run(): void {
    while (this.backlog.length > 0 && this.parts.isOpen()) {
      const now = performance.now();
      const waitMs = this.budgets.waitMs(this.backlog[0]!.budget, now);
      if (waitMs > 0) {
        this.throttle(waitMs);
        return;
      }
      const inbound = this.backlog.shift()!;
      this.budgets.spend(inbound.budget, inbound.frame.body.length, now);
      if (!this.parts.handle(inbound)) return;
    }
    if (this.isPaused && this.parts.isOpen()) {
      this.isPaused = false;
      this.socket.resume();
    }
  }

  private throttle(waitMs: number): void {
    if (this.timer !== undefined) return;
    this.parts.throttled(waitMs);
    this.isPaused = true;
    this.socket.pause();
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.run();
    }, waitMs);
  }
}
