// What the server tells of a user, made from what it holds: a joined member (JoinedPeer), an away
// user's registration, and what presence says (keys left out: only the id of their bundle).
import { createHash } from 'node:crypto';
import type { PeerSummary } from '../core/messages.js';
import type { MemberLink } from './member-link.js';
import type { JoinedPeer } from './joined-peer.js';
import type { RegisteringPeer } from './name-registrar.js';
import type { Registration } from './store/durable-store.js';

export function toSummary(peer: JoinedPeer): PeerSummary {
  return {
    name: peer.name,
    publicKey: peer.publicKeyBase64,
    prekey: peer.prekey,
    prekeySig: peer.prekeySig,
    keyId: peer.keyId,
    fingerprint: peer.fingerprint,
    joinedAt: peer.joinedAt,
    ...(peer.away === undefined ? {} : { away: peer.away }),
  };
}

export function awaySummary(registration: Registration): PeerSummary {
  return {
    name: registration.name,
    publicKey: registration.publicKey,
    prekey: registration.prekey,
    prekeySig: registration.prekeySig,
    ...(registration.keyId === undefined ? {} : { keyId: registration.keyId }),
    fingerprint: registration.fingerprint,
    joinedAt: registration.lastSeenAt,
    online: false,
  };
}

/** What presence says of a user (protocol v4): no keys, only the id of their current bundle. */
export function presenceOf(summary: PeerSummary): PeerSummary {
  return {
    name: summary.name,
    fingerprint: summary.fingerprint,
    joinedAt: summary.joinedAt,
    // Cached on the member (and carried by other nodes' summaries): a welcome lists every user.
    keyId: summary.keyId ?? keyIdOf(summary.publicKey, summary.prekey),
    ...(summary.online === false ? { online: false } : {}),
    ...(summary.away === undefined || summary.online === false ? {} : { away: summary.away }),
  };
}

/** 12 bytes of SHA-256 over the key and the prekey: a bundle's version. */
export function keyIdOf(publicKey: string | undefined, prekey: string | undefined): string {
  return createHash('sha256')
    .update(`${publicKey ?? ''}\u0000${prekey ?? ''}`)
    .digest()
    .subarray(0, 12)
    .toString('base64url');
}

/** What a registration is made from, for a connection that has just authenticated. */
export function registeringPeerOf(connection: MemberLink): RegisteringPeer {
  const peer = connection.peer!;
  return {
    name: peer.name,
    publicKeyBase64: peer.key.publicKeyBase64,
    fingerprint: peer.key.fingerprint,
    prekey: peer.prekey,
    prekeySig: peer.prekeySig,
    keyId: keyIdOf(peer.key.publicKeyBase64, peer.prekey),
  };
}
