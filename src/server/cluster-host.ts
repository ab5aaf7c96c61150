// What the other nodes of a cluster ask of this one, answered from the server's parts: its members
// as the cluster should see them, deliveries relayed to them, presence news from other nodes, and
// what the link's state means for the members here.
import { ChatError, ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import { encodeMessage } from '../core/message-codec.js';
import type { PeerRegistry } from '../core/peer-registry.js';
import type { ClusterHost, ClusterLink } from './cluster/cluster-link.js';
import type { ClusterOptions } from './cluster/cluster-options.js';
import type { JoinedPeer } from './joined-peer.js';
import type { Membership } from './membership.js';
import type { MemberPresence } from './member-presence.js';
import type { MessageRouter } from './message-router.js';
import { toSummary } from './peer-summaries.js';
import type { StoreAndForward } from './store-and-forward.js';
import type { VideoService } from './video/video-service.js';

export interface ClusterHostParts {
  readonly logger: Logger;
  readonly registry: PeerRegistry<JoinedPeer>;
  readonly membership: Membership;
  readonly presence: MemberPresence;
  readonly videos: VideoService;
  /** Read on each call: the store (and with it the router) is replaced when the shared one opens. */
  router(): MessageRouter;
  forward(): StoreAndForward;
}

function clusterHostOf(parts: ClusterHostParts): ClusterHost {
  const { registry, presence } = parts;
  return {
    logger: parts.logger,
    nodeGone: (node) => parts.videos.nodeGone(node),
    localMembers: () => registry.list().map(toSummary),
    holdsLocally: (name) => registry.has(name) || parts.membership.isAdmitting(name),
    isMember: (name) => registry.has(name),
    remoteJoined: (peer) => presence.announceSummary(peer),
    remoteAway: (name, message) => presence.remoteAway(name, message),
    remoteLeft: (name) => presence.remoteLeft(name),
    deliverRoom: (relay, recipients) => parts.router().deliverRoom(relay, recipients),
    deliverDirect: (relay) => parts.router().deliverDirect(relay),
    undelivered: (notice) => parts.router().undelivered(notice),
    receiptsArrived: (receipts) => parts.forward().receiptsArrived(receipts),
    linkChanged: (up) => {
      const message = up
        ? // Only this server's link: another server may still be reconnecting, and a message to its
          // users meanwhile is reported to the sender as unconfirmed.
          'this server is linked to the rest of the cluster again'
        : 'this server lost its link to the rest of the cluster: only people on this server can be reached until it is back';
      const frame = encodeMessage({ type: 'cluster', state: up ? 'ok' : 'degraded', message });
      for (const peer of registry.list()) peer.connection.sendFrame(frame);
    },
    evict: (name) => {
      const member = registry.get(name);
      if (member === undefined) return;
      parts.logger.log('warn', 'cluster.evicted', { name });
      member.connection.reject(
        new ChatError(ErrorCode.NAME_TAKEN, `the name ${member.name} was given to someone on another server while this one was cut off from the cluster`),
        true,
      );
    },
  };
}

/**
 * Joins the cluster as a node answering through `parts`. The bus is loaded only when clustering
 * is asked for: a lone node never loads a broker client.
 */
export async function joinCluster(options: ClusterOptions, parts: ClusterHostParts): Promise<ClusterLink> {
  const [{ NatsBus }, { ClusterLink: Link }] = await Promise.all([import('./cluster/nats-bus.js'), import('./cluster/cluster-link.js')]);
  const host = clusterHostOf(parts);
  const link = new Link(new NatsBus(options, host.logger), options, host);
  await link.start();
  return link;
}
