// DMs handed to other nodes and not yet answered. DMs travel in batches (one message per
// destination node per turn of the event loop), so answers come per batch: one receipt naming
// the DMs that could not be delivered, or the broker's "no responders" when the node is gone.
// One map and one sweep timer for everything in flight: nats.js's request() builds two Error
// objects (with stack traces) and a timer per call, which was most of a node's CPU at 10k DMs/s.
import type { HandOff } from './cluster-bus.js';
import { SweepTimer } from './sweep-timer.js';

interface Waiting {
  readonly settle: (outcome: HandOff) => void;
  readonly deadline: number;
}

interface Batch {
  readonly ids: readonly number[];
  readonly deadline: number;
}

export class PendingHandOffs {
  private readonly waiting = new Map<number, Waiting>();
  private readonly batches = new Map<number, Batch>();
  private nextId = 1;
  private readonly sweeper: SweepTimer;

  constructor(private readonly timeoutMs: number) {
    this.sweeper = new SweepTimer(timeoutMs, () => this.sweep());
  }

  /** Hand-offs still waiting for an answer. */
  get size(): number {
    return this.waiting.size;
  }

  /** A new hand-off: its id (carried in the relay) and its eventual outcome. */
  open(): { readonly id: number; readonly outcome: Promise<HandOff> } {
    const id = this.nextId++;
    const outcome = new Promise<HandOff>((settle) => this.waiting.set(id, { settle, deadline: this.deadline() }));
    this.sweeper.start();
    return { id, outcome };
  }

  /** Groups hand-offs sent in one message; returns the batch id its answer will name. */
  openBatch(ids: readonly number[]): number {
    const batchId = this.nextId++;
    this.batches.set(batchId, { ids, deadline: this.deadline() });
    return batchId;
  }

  /** Settles one hand-off; an answer for one already settled (or never opened) is ignored. */
  settle(id: number, outcome: HandOff): void {
    const waiting = this.waiting.get(id);
    if (waiting === undefined) return;
    this.waiting.delete(id);
    waiting.settle(outcome);
    this.stopSweeperIfIdle();
  }

  /** Settles every hand-off of a batch with the outcome `outcomeOf` gives it. */
  settleBatch(batchId: number, outcomeOf: (id: number) => HandOff): void {
    const batch = this.batches.get(batchId);
    if (batch === undefined) return;
    this.batches.delete(batchId);
    for (const id of batch.ids) this.settle(id, outcomeOf(id));
  }

  /** Settles everything still open at once (the link went down, the node is closing). */
  settleAll(outcome: HandOff): void {
    this.batches.clear();
    for (const id of [...this.waiting.keys()]) this.settle(id, outcome);
  }

  private deadline(): number {
    return performance.now() + this.timeoutMs;
  }

  private sweep(): void {
    const now = performance.now();
    for (const [id, waiting] of this.waiting) if (waiting.deadline <= now) this.settle(id, 'unreachable');
    for (const [batchId, batch] of this.batches) if (batch.deadline <= now) this.batches.delete(batchId);
    this.stopSweeperIfIdle();
  }

  private stopSweeperIfIdle(): void {
    if (this.waiting.size === 0 && this.batches.size === 0) this.sweeper.stop();
  }
}
