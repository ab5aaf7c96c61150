// A member's link without a socket (server/member-link.ts): what routing, the store and rooms
// send it is kept, decoded, for a spec to read. `slow`: it refuses frames, as a connection over
// its queue limit does.
import { decodeServerMessage } from '../../src/core/message-codec.js';
import type { ServerMessage } from '../../src/core/messages.js';
import { FRAME_HEADER_BYTES } from '../../src/core/frame-types.js';
import type { ChatError } from '../../src/core/errors.js';
import type { PublicIdentity } from '../../src/core/identity.js';
import { PeerRegistry } from '../../src/core/peer-registry.js';
import type { JoinedClient } from '../../src/server/connection-host.js';
import type { JoinedPeer } from '../../src/server/joined-peer.js';
import type { MemberLink } from '../../src/server/member-link.js';
import { silentLogger } from '../../src/core/logger.js';
import { noMetrics } from '../../src/server/metrics/server-metrics.js';
import { DEFAULT_SERVER_LIMITS } from '../../src/server/server-limits.js';
import { type StoreServices, storeServicesOver } from '../../src/server/store-services.js';
import { MemoryKeyValue } from '../../src/server/store/key-value.js';

export class FakeMemberLink implements MemberLink {
  readonly received: ServerMessage[] = [];
  readonly rejected: Array<{ readonly code: string; readonly fatal: boolean; readonly ref?: string }> = [];
  isOpen = true;
  slow = false;
  readonly ipAddress: string;

  constructor(
    readonly peer: JoinedClient | undefined,
    ipAddress = '127.0.0.1',
  ) {
    this.ipAddress = ipAddress;
  }

  send(message: ServerMessage): boolean {
    if (!this.isOpen || this.slow) return false;
    this.received.push(message);
    return true;
  }

  sendFrame(frame: Buffer | readonly Buffer[]): boolean {
    if (!this.isOpen || this.slow) return false;
    const bytes = Buffer.isBuffer(frame) ? frame : Buffer.concat(frame);
    this.received.push(decodeServerMessage(bytes.subarray(FRAME_HEADER_BYTES)));
    return true;
  }

  reject(error: ChatError, fatal: boolean, ref?: string): void {
    this.rejected.push({ code: error.code, fatal, ...(ref === undefined ? {} : { ref }) });
    if (fatal) this.isOpen = false;
  }

  /** The messages of one type it was sent, in order. */
  of<T extends ServerMessage['type']>(type: T): Array<Extract<ServerMessage, { type: T }>> {
    return this.received.filter((message): message is Extract<ServerMessage, { type: T }> => message.type === type);
  }
}

/** A registry of members joined through fake links, by name. */
export function fakeMembers(...names: string[]): { registry: PeerRegistry<JoinedPeer>; links: Map<string, FakeMemberLink> } {
  const registry = new PeerRegistry<JoinedPeer>();
  const links = new Map<string, FakeMemberLink>();
  for (const [i, name] of names.entries()) links.set(name, joinFake(registry, name, i));
  return { registry, links };
}

/** Joins `name` (the `i`th member: its key and fingerprint) to `registry` through a new fake link. */
export function joinFake(registry: PeerRegistry<JoinedPeer>, name: string, i: number): FakeMemberLink {
  // The key is never used by routing: the server relays envelopes it cannot open.
  const key = { publicKeyBase64: `key-${name}`, fingerprint: `fp-${i}` } as unknown as PublicIdentity;
  const link = new FakeMemberLink({ name, key, prekey: 'AAAA', prekeySig: 'c2ln', joinedAt: i });
  registry.add({
    name,
    publicKeyBase64: `key-${name}`,
    fingerprint: `fp-${i}`,
    joinedAt: i,
    prekey: 'AAAA',
    prekeySig: 'c2ln',
    keyId: `k${i}`,
    connection: link,
  });
  return link;
}

/** The store, rooms, store-and-forward and router of a lone server with default limits, over memory. */
export function servicesOverMemory(registry: PeerRegistry<JoinedPeer>): StoreServices {
  return storeServicesOver(new MemoryKeyValue(), {
    registry,
    logger: silentLogger,
    metrics: noMetrics,
    limits: () => DEFAULT_SERVER_LIMITS,
    cluster: () => undefined,
    knowsUser: (name) => registry.has(name),
    isBig: () => false,
    leftRoom: () => {},
    joinedRoom: () => {},
  });
}
