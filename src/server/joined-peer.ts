// What this node holds for each member joined to it: routing, store-and-forward and rooms read it,
// and none of them needs the others for it (a module of its own, so none imports another's).
import type { PeerRecord } from '../core/peer-registry.js';
import type { MemberLink } from './member-link.js';

/**
 * A member of this node: what the registry holds for each joined connection. `Link`: what its
 * connection is to whoever reads it (routing and rooms see a MemberLink; the server its socket's).
 */
export interface JoinedPeer<Link extends MemberLink = MemberLink> extends PeerRecord {
  /** Replaced when the member rotates it while connected. */
  prekey: string;
  prekeySig: string;
  /** The version of its keys presence announces: computed once per key and prekey, not per welcome. */
  keyId: string;
  readonly connection: Link;
  /** The away message the member set (`:away TEXT`), if any. */
  away?: string;
  /** When it was last asked for more one-time prekeys (ms). */
  prekeyNoticeAt?: number;
}
