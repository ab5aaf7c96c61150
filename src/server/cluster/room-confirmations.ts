// Room batches handed to the broker and not yet confirmed by every node they carry recipients for.
// Each such node answers a batch once, naming the recipients it no longer had; a node that does
// not answer in time may never have received it (core NATS delivers at most once), so its
// recipients are reported to their senders as unconfirmed. Nothing is lost without a word.
import type { UndeliveredNotice } from './cluster-bus.js';
import type { RoomRelay } from './cluster-wire.js';
import { SweepTimer } from './sweep-timer.js';

interface PendingBatch {
  readonly relays: readonly RoomRelay[];
  /** Nodes that have not answered yet. */
  readonly waiting: Set<string>;
  readonly deadline: number;
}

export class RoomConfirmations {
  private readonly batches = new Map<number, PendingBatch>();
  private nextId = 1;
  private readonly sweeper: SweepTimer;

  constructor(
    private readonly timeoutMs: number,
    private readonly report: (notice: UndeliveredNotice) => void,
  ) {
    this.sweeper = new SweepTimer(timeoutMs, () => this.sweep());
  }

  /** Batches still waiting for a node's answer. */
  get size(): number {
    return this.batches.size;
  }

  /** Registers a batch about to be published; returns its id for the reply subject. */
  open(relays: readonly RoomRelay[]): number {
    const id = this.nextId++;
    const waiting = new Set(relays.flatMap((relay) => Object.keys(relay.recipients)));
    this.batches.set(id, { relays, waiting, deadline: performance.now() + this.timeoutMs });
    this.sweeper.start();
    return id;
  }

  /** A node's answer: the envelope ids whose recipients (named) it no longer had. */
  confirm(batchId: number, node: string, missed: ReadonlyArray<{ readonly id: string; readonly names: readonly string[] }>): void {
    const batch = this.batches.get(batchId);
    if (batch === undefined || !batch.waiting.delete(node)) return;
    for (const { id, names } of missed) {
      const relay = batch.relays.find((candidate) => candidate.id === id && candidate.recipients[node] !== undefined);
      if (relay === undefined) continue;
      // Only names the relay really sent to that node: a node cannot make up recipients.
      const sent = new Set(Object.keys(relay.recipients[node]!));
      const known = names.filter((name) => sent.has(name));
      if (known.length > 0) this.report({ id, from: relay.from, names: known, reason: 'left' });
    }
    this.finishIfDone(batchId, batch);
  }

  /** The batch never left this node (the link was down): every recipient in it is reported. */
  fail(batchId: number): void {
    const batch = this.batches.get(batchId);
    if (batch === undefined) return;
    this.reportWaiting(batch, 'not-sent');
    this.batches.delete(batchId);
    this.stopSweeperIfIdle();
  }

  private sweep(): void {
    const now = performance.now();
    for (const [batchId, batch] of this.batches) {
      if (batch.deadline > now) continue;
      this.reportWaiting(batch, 'unconfirmed');
      this.batches.delete(batchId);
    }
    this.stopSweeperIfIdle();
  }

  private reportWaiting(batch: PendingBatch, reason: UndeliveredNotice['reason']): void {
    for (const relay of batch.relays) {
      const names = [...batch.waiting].flatMap((node) => Object.keys(relay.recipients[node] ?? {}));
      if (names.length > 0) this.report({ id: relay.id, from: relay.from, names, reason });
    }
  }

  private finishIfDone(batchId: number, batch: PendingBatch): void {
    if (batch.waiting.size > 0) return;
    this.batches.delete(batchId);
    this.stopSweeperIfIdle();
  }

  private stopSweeperIfIdle(): void {
    if (this.batches.size === 0) this.sweeper.stop();
  }
}
