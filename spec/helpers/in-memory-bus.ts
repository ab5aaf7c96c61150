// A ClusterBus without a broker, for ClusterLink specs: one InMemoryBroker per test, one bus per
// node. Delivery is asynchronous (a microtask), never to the publisher itself (like NATS noEcho),
// claims are atomic in one map, and a node's link can be cut and restored.
import type { ClaimOutcome, ClusterBus, ClusterHandlers, HandOff } from '../../src/server/cluster/cluster-bus.js';
import type { DirectRelay, PresenceMessage, ReceiptRelay, RoomRelay } from '../../src/server/cluster/cluster-wire.js';

export class InMemoryBroker {
  readonly buses = new Map<string, InMemoryBus>();
  /** name key -> node id holding its claim. */
  readonly claims = new Map<string, string>();
  /** Every presence message published, for assertions. */
  readonly presenceLog: PresenceMessage[] = [];

  bus(nodeId: string): InMemoryBus {
    const bus = new InMemoryBus(nodeId, this);
    this.buses.set(nodeId, bus);
    return bus;
  }

  /** The buses that would receive a message from `from` now. */
  listeners(from: string): InMemoryBus[] {
    return [...this.buses.values()].filter((bus) => bus.nodeId !== from && bus.isUp && bus.handlers !== undefined);
  }
}

export class InMemoryBus implements ClusterBus {
  handlers: ClusterHandlers | undefined;
  private up = false;

  constructor(
    readonly nodeId: string,
    private readonly broker: InMemoryBroker,
  ) {}

  get isUp(): boolean {
    return this.up;
  }

  async start(handlers: ClusterHandlers): Promise<void> {
    this.handlers = handlers;
    this.up = true;
  }

  async close(): Promise<void> {
    this.up = false;
    this.broker.buses.delete(this.nodeId);
  }

  /** Cuts this node off the broker (true) or brings it back (false), as a broker outage would. */
  setCutOff(cutOff: boolean): void {
    this.up = !cutOff;
    this.handlers?.linkChanged(!cutOff);
  }

  async claimName(name: string): Promise<ClaimOutcome> {
    if (!this.up) throw new Error('broker unreachable');
    const key = name.toLowerCase();
    const owner = this.broker.claims.get(key);
    const ownerBus = owner === undefined ? undefined : this.broker.buses.get(owner);
    // Taken over only from a node that is gone, or that says it no longer holds the name.
    if (owner === undefined || owner === this.nodeId || ownerBus === undefined || ownerBus.handlers?.holds(name) !== true) {
      this.broker.claims.set(key, this.nodeId);
      return { won: true };
    }
    return { won: false, owner };
  }

  async releaseName(name: string): Promise<void> {
    if (this.broker.claims.get(name.toLowerCase()) === this.nodeId) this.broker.claims.delete(name.toLowerCase());
  }

  publishPresence(message: PresenceMessage): boolean {
    if (!this.up) return false;
    this.broker.presenceLog.push(message);
    for (const bus of this.broker.listeners(this.nodeId)) queueMicrotask(() => bus.handlers!.presence(message));
    return true;
  }

  publishRoom(relay: RoomRelay): boolean {
    if (!this.up) return false;
    for (const bus of this.broker.listeners(this.nodeId)) {
      if (relay.recipients[bus.nodeId] === undefined) continue;
      queueMicrotask(() => {
        const missed = bus.handlers!.room(relay);
        if (missed.length > 0) this.handlers?.undelivered({ id: relay.id, from: relay.from, names: missed, reason: 'left' });
      });
    }
    return true;
  }

  async sendDirect(node: string, relay: Omit<DirectRelay, 'n'>): Promise<HandOff> {
    if (!this.up) return 'unreachable';
    const bus = this.broker.buses.get(node);
    if (bus === undefined || !bus.isUp || bus.handlers === undefined) return 'absent';
    await Promise.resolve();
    return bus.handlers.direct({ ...relay, n: 0 }) ? 'delivered' : 'not-delivered';
  }

  sendReceipt(node: string, relay: ReceiptRelay): boolean {
    if (!this.up) return false;
    const bus = this.broker.buses.get(node);
    if (bus?.isUp) queueMicrotask(() => bus.handlers?.receipts({ node: this.nodeId, receipts: [relay] }));
    return true;
  }
}
