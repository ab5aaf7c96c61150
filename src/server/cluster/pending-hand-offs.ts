// DMs handed to another node and not yet answered. One map and one sweep timer for all of them:
// nats.js's request() builds two Error objects (with stack traces) and a timer per call, which at
// ten thousand DMs a second was most of a node's CPU (docs/SCALING.md has the figures).
import type { HandOff } from './cluster-bus.js';

interface Waiting {
  readonly settle: (outcome: HandOff) => void;
  readonly deadline: number;
}

export class PendingHandOffs {
  private readonly waiting = new Map<number, Waiting>();
  private nextId = 1;
  private sweeper: NodeJS.Timeout | undefined;

  constructor(private readonly timeoutMs: number) {}

  get size(): number {
    return this.waiting.size;
  }

  /** A new hand-off: its id (to put in the reply subject) and its eventual outcome. */
  open(): { readonly id: number; readonly outcome: Promise<HandOff> } {
    const id = this.nextId++;
    const outcome = new Promise<HandOff>((settle) => this.waiting.set(id, { settle, deadline: performance.now() + this.timeoutMs }));
    this.sweeper ??= setInterval(() => this.sweep(), Math.max(10, Math.min(250, this.timeoutMs / 4)));
    this.sweeper.unref();
    return { id, outcome };
  }

  /** Settles one hand-off; an answer for one already settled (or never opened) is ignored. */
  settle(id: number, outcome: HandOff): void {
    const waiting = this.waiting.get(id);
    if (waiting === undefined) return;
    this.waiting.delete(id);
    waiting.settle(outcome);
    this.stopSweeperIfIdle();
  }

  /** Settles every open hand-off (the link went down, the node is closing). */
  settleAll(outcome: HandOff): void {
    for (const id of [...this.waiting.keys()]) this.settle(id, outcome);
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, waiting] of this.waiting) if (waiting.deadline <= now) this.settle(id, 'unreachable');
    this.stopSweeperIfIdle();
  }

  private stopSweeperIfIdle(): void {
    if (this.waiting.size > 0 || this.sweeper === undefined) return;
    clearInterval(this.sweeper);
    this.sweeper = undefined;
  }
}
