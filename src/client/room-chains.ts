// Our sender-key chain in each room and who holds it (the membership: the holders' lowercase
// names, sorted, NUL-joined), and the earlier chains kept to answer members whose handover never
// came, with the rules for answering them; as kept in the engine's state.
import { LRUCache } from 'lru-cache';
import { LOBBY_NAME } from '../core/room-names.js';
import { SenderKeyChain, grantFrom } from '../core/sender-key.js';
import type { SenderKeyGrant as ChainState } from '../core/sender-key.js';
import type { DirectoryPeer } from './peer-directory.js';

/** Earlier room chains kept to answer key requests: as many as a receiver keeps per sender, for a few rooms. */
const PAST_CHAINS_KEPT = 16;
/** Key requests answered, remembered so that one member cannot have the same chain re-sent in a loop. */
const MAX_ANSWERED_REQUESTS = 1000;

/** What the engine's state keeps of our chains (the lobby's under its older field name). */
export interface OurChainsState {
  /** Our lobby chain (as kept before named rooms). */
  readonly roomChain?: RoomChainState;
  /** Our chain in each named room, by the room's lowercase name. */
  readonly roomChains?: Readonly<Record<string, RoomChainState>>;
  /** Our previous room chains (newest last), kept to answer members whose handover never came. */
  readonly pastChains?: readonly PastChain[];
}

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

/** `membership` with `added` in it (names lowercased and sorted, as membershipOf makes them). */
export function withMembers(membership: string, added: readonly string[]): string {
  const names = new Set(membership === '' ? [] : membership.split('\u0000'));
  for (const name of added) names.add(name.toLowerCase());
  return [...names].sort().join('\u0000');
}

export function membershipOf(members: readonly DirectoryPeer[]): string {
  return members
    .map((peer) => peer.name.toLowerCase())
    .sort()
    .join('\u0000');
}

/** Our chains by room (the lobby as LOBBY_NAME), the earlier ones, and which requests for them were answered. */
export class OurRoomChains {
  private readonly current = new Map<string, OurChain>();
  private past: PastChain[] = [];
  /** "peer\0chain" for requests already answered (in memory: a restart allows one more). */
  private readonly answered = new LRUCache<string, true>({ max: MAX_ANSWERED_REQUESTS });

  constructor(state?: OurChainsState) {
    if (state?.roomChain !== undefined) this.current.set(LOBBY_NAME, ourChainFrom(state.roomChain));
    for (const [room, chain] of Object.entries(state?.roomChains ?? {})) this.current.set(room, ourChainFrom(chain));
    this.past = [...(state?.pastChains ?? [])];
  }

  get(room: string): OurChain | undefined {
    return this.current.get(room);
  }

  set(room: string, chain: OurChain): void {
    this.current.set(room, chain);
  }

  /** Our current chain in `room` becomes a past one (kept to answer requests), the oldest past one goes. */
  retire(room: string): void {
    const current = this.current.get(room);
    if (current?.first === undefined) return;
    this.past.push({ first: current.first, membership: current.membership, sent: current.chain.sent, ...(room === LOBBY_NAME ? {} : { room }) });
    while (this.past.length > PAST_CHAINS_KEPT) this.past.shift();
  }

  /**
   * The grant `peer` asked for (chain `chain` of `room`, from message `n` on), or undefined when it
   * is not theirs to have: only one of our recent chains, only to someone who was a member when it
   * was made (so no newcomer reads back; in an `open` room anyone may ask), from the message asked
   * for on, and once per member and chain.
   */
  grantFor(peer: string, chain: string, n: number, room: string, open: boolean): ChainState | undefined {
    const current = this.current.get(room);
    const known =
      current?.first?.id === chain
        ? { first: current.first, membership: current.membership, sent: current.chain.sent }
        : this.past.find((past) => past.first.id === chain && (past.room ?? LOBBY_NAME) === room);
    if (known === undefined || n >= known.sent || this.answered.has(answerKey(peer, chain))) return undefined;
    if (!open && !known.membership.split('\u0000').includes(peer.toLowerCase())) return undefined;
    return grantFrom(known.first, Math.max(n, known.first.n));
  }

  /** `peer` was sent chain `chain`: never again. */
  markAnswered(peer: string, chain: string): void {
    this.answered.set(answerKey(peer, chain), true);
  }

  /**
   * In an open room, `peers` were sent our chain `chain` of `room`: if it is our current one they
   * hold it now, and the next line must not hand it to them again. Once per batch of answers: the
   * membership is rebuilt whole each time.
   */
  heldBy(room: string, chain: string, peers: readonly string[]): void {
    const current = this.current.get(room);
    if (current === undefined || current.first?.id !== chain || peers.length === 0) return;
    this.current.set(room, { ...current, membership: withMembers(current.membership, peers) });
  }

  toState(): OurChainsState {
    const lobby = this.current.get(LOBBY_NAME);
    return {
      ...(lobby === undefined ? {} : { roomChain: chainState(lobby) }),
      roomChains: Object.fromEntries([...this.current].filter(([room]) => room !== LOBBY_NAME).map(([room, chain]) => [room, chainState(chain)])),
      pastChains: this.past,
    };
  }
}

function answerKey(peer: string, chain: string): string {
  return `${peer.toLowerCase()}\u0000${chain}`;
}
