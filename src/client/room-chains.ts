// Our sender-key chain in each room and who holds it (the membership: the holders' lowercase
// names, sorted, NUL-joined), and the earlier chains kept to answer members whose handover never
// came; as kept in the engine's state.
import { SenderKeyChain } from '../core/sender-key.js';
import type { SenderKeyGrant as ChainState } from '../core/sender-key.js';
import type { DirectoryPeer } from './peer-directory.js';

export interface RoomChainState {
  readonly chain: ChainState;
  readonly membership: string;
  readonly first?: ChainState;
}

/** One of our earlier room chains: its first grant, who held it, how many messages it sealed, and its room. */
export interface PastChain {
  readonly first: ChainState;
  readonly membership: string;
  readonly sent: number;
  /** The named room's lowercase name; absent for the lobby. */
  readonly room?: string;
}

export interface OurChain {
  readonly chain: SenderKeyChain;
  readonly membership: string;
  readonly first: ChainState | undefined;
}

export function ourChainFrom(state: RoomChainState): OurChain {
  return { chain: SenderKeyChain.fromState(state.chain), membership: state.membership, first: state.first };
}

export function chainState(chain: OurChain): RoomChainState {
  return { chain: chain.chain.toState(), membership: chain.membership, ...(chain.first === undefined ? {} : { first: chain.first }) };
}

/** The candidates not in `membership`, when none of its members is missing from them; else undefined. */
export function joinedOnly(membership: string, candidates: readonly DirectoryPeer[]): DirectoryPeer[] | undefined {
  const held = new Set(membership === '' ? [] : membership.split('\u0000'));
  const names = new Set(candidates.map((peer) => peer.name.toLowerCase()));
  for (const name of held) if (!names.has(name)) return undefined;
  return candidates.filter((peer) => !held.has(peer.name.toLowerCase()));
}

/** `membership` with `name` in it (names lowercased and sorted, as membershipOf makes them). */
export function withMember(membership: string, name: string): string {
  const names = new Set(membership === '' ? [] : membership.split('\u0000'));
  names.add(name.toLowerCase());
  return [...names].sort().join('\u0000');
}

export function membershipOf(members: readonly DirectoryPeer[]): string {
  return members
    .map((peer) => peer.name.toLowerCase())
    .sort()
    .join('\u0000');
}
