// Who the left column lists, as weechat does: in the lobby or a DM, everyone on the server (you
// first, then who is online, then who is away, by name); in a named room, that room's members (a
// nicklist: operators first, marked @, then who is here, who is away, who is offline). Pure.
import type { PeerView } from '../client/chat-session.js';
import type { RoomView } from '../core/messages.js';
import { nameKey } from '../core/names.js';

/** An offline user not seen for this long (14 days) leaves the server-wide list (the list says how many). */
export const LONG_GONE_MS = 14 * 24 * 3600_000;

/** A row of the list: a peer, and whether they are an operator of the room listed. */
export interface ListedPeer extends PeerView {
  readonly op?: boolean;
}

/**
 * Everyone on the server, but registered users not seen for LONG_GONE_MS with no DM open (otherwise
 * users who never came back stayed listed for as long as the server kept their names): counted.
 */
export function serverPeers(peers: readonly PeerView[], now: number, hasDm: (name: string) => boolean): { listed: PeerView[]; longGone: number } {
  const listed = peers.filter((peer) => peer.isSelf || peer.online || now - peer.joinedAt < LONG_GONE_MS || hasDm(peer.name));
  listed.sort((a, b) => Number(b.isSelf) - Number(a.isSelf) || Number(b.online) - Number(a.online) || a.name.localeCompare(b.name));
  return { listed, longGone: peers.length - listed.length };
}

/** A room's members, with what the client knows of each (a member it has no presence of is listed offline). */
export function roomMembers(room: RoomView, peers: readonly PeerView[]): ListedPeer[] {
  const known = new Map(peers.map((peer) => [nameKey(peer.name), peer]));
  const rank = (peer: ListedPeer) => (peer.op === true ? 0 : !peer.online ? 3 : peer.awayMessage !== undefined ? 2 : 1);
  return room.members
    .map((member): ListedPeer => ({ ...(known.get(nameKey(member.name)) ?? unknownMember(member.name)), op: member.op === true }))
    .sort((a, b) => rank(a) - rank(b) || a.name.localeCompare(b.name));
}

function unknownMember(name: string): PeerView {
  return {
    name,
    fingerprint: '',
    joinedAt: 0,
    trust: 'new',
    verified: false,
    firstSeen: undefined,
    isSelf: false,
    online: false,
    lookalikeOf: undefined,
    awayMessage: undefined,
  };
}
