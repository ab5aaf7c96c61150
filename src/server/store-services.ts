// What lives over the server's store: registrations and messages for away users (StoreAndForward),
// the rooms, and the router that delivers through both. Built again whenever the store changes
// (memory at construction, LMDB once listening, or a cluster's shared JetStream store).
import type { Logger } from '../core/logger.js';
import type { PeerRegistry } from '../core/peer-registry.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { JoinedPeer } from './joined-peer.js';
import { MessageRouter } from './message-router.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import { RoomCreationRation } from './rooms/room-creation-ration.js';
import { RoomDirectory } from './rooms/room-directory.js';
import { RoomService } from './rooms/room-service.js';
import type { ServerLimits } from './server-limits.js';
import { StoreAndForward } from './store-and-forward.js';
import { DurableStore } from './store/durable-store.js';
import { type KeyValue, MemoryKeyValue } from './store/key-value.js';

export interface StoreServices {
  /** Registrations and messages for away users; undefined on a cluster whose bus keeps no store. */
  readonly store: DurableStore | undefined;
  readonly rooms: RoomService;
  readonly forward: StoreAndForward;
  readonly router: MessageRouter;
}

export interface StoreServiceParts {
  readonly registry: PeerRegistry<JoinedPeer>;
  readonly logger: Logger;
  readonly metrics: ServerMetrics;
  /** The limits in force (the store and rooms take them when opened; reload() reconfigures them). */
  limits(): ServerLimits;
  cluster(): ClusterLink | undefined;
  /** Online here or on another node, or registered. */
  knowsUser(name: string): boolean;
  /** Past the server's full-presence size (see MemberPresence.isBig). */
  isBig(): boolean;
  /** `name` left `room` (their stream of its video goes). */
  leftRoom(room: string, name: string): void;
  /** `name` joined `room` (they and its members hear of each other from now on). */
  joinedRoom(room: string, name: string): void;
}

/** Builds the services over `kv` (none kept for away users when undefined; the rooms then in memory). */
export function storeServicesOver(kv: KeyValue | undefined, parts: StoreServiceParts): StoreServices {
  const { registry, metrics } = parts;
  const limits = parts.limits();
  const store = kv === undefined ? undefined : new DurableStore(kv, limits);
  const rooms = new RoomService(
    new RoomDirectory(kv ?? new MemoryKeyValue(), limits),
    registry,
    parts.knowsUser,
    parts.leftRoom,
    parts.joinedRoom,
    new RoomCreationRation(() => parts.limits().maxRoomsCreatedPerAddress),
  );
  const forward = new StoreAndForward(
    registry,
    store,
    parts.logger,
    metrics,
    (sender, receipt) => parts.cluster()?.tellRemote(sender, receipt) ?? false,
    (a, b) => rooms.directory.sharesRoom(a, b),
  );
  const router = new MessageRouter(
    registry,
    parts.cluster,
    forward,
    // The lobby is kept for away users while the server is small; past its full-presence size the
    // lobby is an open, live room (named rooms are for day-to-day talk there): a line stored for
    // every one of thousands of registered users would cost its sender its whole share of the store.
    () => (store === undefined || parts.isBig() ? [] : store.registeredNames()),
    rooms.directory,
    metrics,
  );
  return { store, rooms, forward, router };
}

/**
 * Deletes stored messages past the retention time (each sender is told) and registrations past
 * their time to live; then names released (expired, or by `serve release-name`) leave their
 * rooms, so whoever takes one next starts in none. `held`: online here or on another node.
 */
export async function expireStored(services: StoreServices, held: (name: string) => boolean, logger: Logger): Promise<void> {
  const { forward, rooms } = services;
  await forward.expire(Date.now());
  if (forward.store === undefined) return;
  for (const name of new Set(rooms.directory.memberNames())) {
    if (forward.isRegistered(name) || held(name)) continue;
    await rooms.forget(name).catch((error: unknown) => logger.log('warn', 'rooms.forget_failed', { error: String(error).slice(0, 120) }));
  }
}
