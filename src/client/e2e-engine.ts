// The end-to-end engine: seals what the user sends and opens what arrives, with no I/O. It holds
// our chain id and prekeys (own-prekeys.ts), the send counters, the DM sessions (dm-sessions.ts),
// our room sender-key chain and the members' chains, the replay guard and the order tracker. The
// session hands it peers (already validated by the PeerDirectory) and writes what it returns.
import { randomBytes } from 'node:crypto';
import { type ChainObservation, ChainTracker } from '../core/chain-tracker.js';
import type { RatchetHeader, X25519KeyPair } from '../core/double-ratchet.js';
import { type MessageKeySource, type SealInput, openEnvelope, sealEnvelope, sealEnvelopes } from '../core/envelope.js';
import { ChatError, CryptoError, ErrorCode } from '../core/errors.js';
import type { Identity } from '../core/identity.js';
import type { DeliverMessage, SendMessage } from '../core/messages.js';
import { ReplayGuard, type ReplayGuardOptions } from '../core/replay-guard.js';
import { SenderKeyChain } from '../core/sender-key.js';
import { type SenderKeyBudget, SenderKeyStore, type SenderKeyStoreState, senderKeySlot } from '../core/sender-key-store.js';
import { LOBBY_NAME, isRoomTarget, roomConversation } from '../core/room-names.js';
import { nameKey } from '../core/names.js';
import { DmSessions, type DmSessionsState } from './dm-sessions.js';
import { type OurChainsState, OurRoomChains, joinedOnly, membershipOf } from './room-chains.js';
import { type OneTimePrekeyPublic, OwnPrekeys, type OwnPrekeysState } from './own-prekeys.js';
import type { DirectoryPeer } from './peer-directory.js';
import type { FileAttachment } from './files/attachment.js';
import { type MessageBody, type RoomGrant, parseBody } from './message-body.js';

export type { MessageBody, RoomGrant } from './message-body.js';

export interface E2eEngineOptions {
  readonly identity: Identity;
  /** Our name right now (it can change while joining, when a name is refused). */
  readonly selfName: () => string;
  readonly replay?: ReplayGuardOptions;
  /** Budget for other members' room sender keys; default DEFAULT_SENDER_KEY_BUDGET. */
  readonly senderKeyBudget?: SenderKeyBudget;
  /** The state saved by exportState() before a reconnect or a restart: the same sessions go on. */
  readonly state?: EngineState;
}

/**
 * Everything the engine must keep across restarts (protocol v4): our signed prekey and chain id,
 * counters, the ratchets, our room chain and the members' chains. Secret: kept encrypted at rest.
 */
export interface EngineState extends OurChainsState {
  readonly prekeys: OwnPrekeysState;
  readonly chainId: string;
  readonly sendCounters: Record<string, number>;
  readonly sessions: DmSessionsState;
  readonly roomKeys: SenderKeyStoreState;
}

/** A member's request for one of our chains (protocol v4, part 8): `room` null is the lobby. */
export interface KeyRequest {
  readonly peer: DirectoryPeer;
  readonly chain: string;
  readonly n: number;
  readonly room: string | null;
  /** The room is open (see sealRoom): anyone on the server may ask. */
  readonly open: boolean;
}
/**
 * An open room's chain (the lobby on a server past its full-presence size, see sealRoom) is
 * replaced after this many messages: how far back someone who asks for it can read.
 */
export const OPEN_CHAIN_MAX_MESSAGES = 1000;

/** A room message sealed for the members who hold our chain, with the handovers it needed first. */
export interface SealedRoom {
  /** To write in this order: key handovers (DMs), then the room message itself. */
  readonly sends: readonly SendMessage[];
  readonly id: string;
  /** Members the message is keyed for. */
  readonly members: readonly DirectoryPeer[];
  /** Members a handover failed for (an unusable prekey): marked so, and left out. */
  readonly unreachable: readonly DirectoryPeer[];
  /**
   * Set when the room message itself was refused (over the server's frame limit): `sends` then
   * holds only the handovers, which must still go out, since the members' chains moved.
   */
  readonly refused?: ChatError;
}

/** What an opened envelope held, and what its sequence number says about the ones before it. */
export type Opened =
  | { readonly kind: 'text'; readonly text: string; readonly file?: FileAttachment; readonly order: ChainObservation }
  | { readonly kind: 'handover'; readonly chain: string; readonly order: ChainObservation }
  | { readonly kind: 'key-request'; readonly chain: string; readonly n: number; readonly room: string | null; readonly order: ChainObservation }
  | { readonly kind: 'receipt'; readonly ids: readonly string[]; readonly order: ChainObservation };

/** DMs sealed together, with the members they reached and those no session could start with. */
interface SealedBatch {
  readonly sends: SendMessage[];
  readonly reached: DirectoryPeer[];
  readonly unreachable: DirectoryPeer[];
}

/** Checks a sealed message before it counts as sent (the server's frame limit); throws to refuse it. */
export type SendCheck = (message: SendMessage) => void;

function failed(): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
}

export class E2eEngine {
  /** Our signed prekey (rotated on a schedule) and one-time prekeys. */
  private readonly prekeys: OwnPrekeys;
  private readonly sessions: DmSessions;
  /** Our chain id: kept with the counters, so a restart neither repeats numbers nor looks like a gap. */
  private readonly chainId: string;
  private readonly replay: ReplayGuard;
  private readonly order = new ChainTracker();
  /** Next seq per conversation we send in ('#room' for the lobby, a room's or the recipient's lowercase name). */
  private readonly sendCounters = new Map<string, number>();
  /** Our current sender-key chain per room ('#room': the lobby) and who holds it, the earlier ones, what was answered. */
  private readonly roomChains: OurRoomChains;
  /** Members' sender-key chains, with a budget per sender. */
  private readonly roomKeys: SenderKeyStore;

  constructor(private readonly options: E2eEngineOptions) {
    this.replay = new ReplayGuard(options.replay);
    this.roomKeys = new SenderKeyStore(options.senderKeyBudget);
    // A state from before X3DH-style sessions (no `prekeys`) starts afresh: its ratchets cannot go on.
    const state = options.state?.prekeys === undefined ? undefined : options.state;
    this.prekeys = new OwnPrekeys(state?.prekeys);
    this.sessions = new DmSessions(this.prekeys, options.selfName, state?.sessions);
    this.chainId = state?.chainId ?? randomBytes(9).toString('base64url');
    this.roomChains = new OurRoomChains(state);
    if (state === undefined) return;
    for (const [conversation, next] of Object.entries(state.sendCounters)) this.sendCounters.set(conversation, next);
    this.roomKeys.restore(state.roomKeys);
  }

  /** What to save so a reconnect or restart continues the same sessions. */
  exportState(): EngineState {
    return {
      prekeys: this.prekeys.toState(),
      chainId: this.chainId,
      sendCounters: Object.fromEntries(this.sendCounters),
      sessions: this.sessions.toState(),
      ...this.roomChains.toState(),
      roomKeys: this.roomKeys.toState(),
    };
  }

  /** Our signed prekey, as announced in `hello` and `prekeys`. */
  get signedPrekey(): X25519KeyPair {
    return this.prekeys.signed;
  }

  /** Replaces our signed prekey once it is due (SIGNED_PREKEY_ROTATION_MS); true when it did. */
  rotateSignedPrekeyIfDue(now?: number, maxAgeMs?: number): boolean {
    return this.prekeys.rotateIfDue(now, maxAgeMs);
  }

  /** Fresh one-time prekeys for the server (save the state before they are sent). */
  makeOneTimePrekeys(count: number): OneTimePrekeyPublic[] {
    return this.prekeys.makeOneTime(count);
  }

  /** Sender-key chains held for other members (tests, and the memory bound in SECURITY.md). */
  get roomKeyStats(): SenderKeyStore['stats'] {
    return this.roomKeys.stats;
  }

  /**
   * Seals a room message for `candidates` under our sender-key chain, replaced by a fresh one
   * (handed to each member over the pairwise ratchets) whenever the members differ from those who
   * hold the current one: a member who left cannot read on, and a newcomer cannot read back. A
   * member the handover fails for is marked unusable and left out; the others get the chain.
   *
   * `open`: the room is open to anyone who joins the server (the lobby, when the server tells us
   * of those we follow only): we know some of its members, the rest ask for our chain. Replacing
   * it whenever we learn of one more member would make every unknown reader ask again, so a
   * newcomer is handed the current chain from the next message on, and the chain is replaced when
   * someone we knew is gone or after OPEN_CHAIN_MAX_MESSAGES.
   */
  sealRoom(to: string | null, text: string, candidates: readonly DirectoryPeer[], check: SendCheck, open = false, file?: FileAttachment): SealedRoom {
    const room = roomConversation(to);
    const sends: SendMessage[] = [];
    const unreachable: DirectoryPeer[] = [];
    let members = [...candidates];
    const current = this.roomChains.get(room);
    let chain = current?.chain;
    const newcomers = open && current !== undefined ? joinedOnly(current.membership, candidates) : undefined;
    if (chain !== undefined && newcomers !== undefined && newcomers.length > 0 && chain.sent < OPEN_CHAIN_MAX_MESSAGES) {
      const grant: RoomGrant = to === null ? chain.grant() : { ...chain.grant(), room };
      const handed = this.sealHandovers(newcomers, grant, check);
      sends.push(...handed.sends);
      unreachable.push(...handed.unreachable);
      members = candidates.filter((member) => !unreachable.includes(member));
      this.roomChains.set(room, { ...current!, membership: membershipOf(members) });
    } else if (chain === undefined || current!.membership !== membershipOf(candidates) || (open && chain.sent >= OPEN_CHAIN_MAX_MESSAGES)) {
      this.roomChains.retire(room);
      chain = new SenderKeyChain();
      const grant: RoomGrant = to === null ? chain.grant() : { ...chain.grant(), room };
      const handed = this.sealHandovers(candidates, grant, check);
      sends.push(...handed.sends);
      unreachable.push(...handed.unreachable);
      members = handed.reached;
      this.roomChains.set(room, { chain, membership: membershipOf(members), first: grant });
    }
    let message: SendMessage;
    try {
      message = this.seal(to, file === undefined ? { text } : { text, file }, { roomKey: chain.next() }, check);
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      return { sends, id: '', members, unreachable, refused: error };
    }
    return { sends: [...sends, message], id: message.envelope.id, members, unreachable };
  }

  /** Asks `peer` for its chain `chain` in `room` (null: the lobby) from message `n` on (a handover that never reached us). */
  requestKey(peer: DirectoryPeer, chain: string, n: number, room: string | null, check: SendCheck): SendMessage {
    const keyRequest = room === null ? { chain, n } : { chain, n, room: roomConversation(room) };
    return this.seal(peer.name, { keyRequest }, { ratchet: this.sessions.sending(peer).nextSendingKey() }, check);
  }

  /** Tells `peer`, sealed end to end, that we kept these DMs of theirs: their client may then say "delivered". */
  sealReceipt(peer: DirectoryPeer, ids: readonly string[], check: SendCheck): SendMessage {
    return this.seal(peer.name, { receipt: { ids } }, { ratchet: this.sessions.sending(peer).nextSendingKey() }, check);
  }

  /**
   * The handovers members asked for (those not theirs to have left out: see OurRoomChains.grantFor),
   * all under one signature per batch, as a room's first line: a lobby line's thousand askers cost
   * sixteen signatures, not a thousand.
   */
  answerKeyRequests(requests: readonly KeyRequest[], check: SendCheck): SendMessage[] {
    const answers: Array<{ readonly member: DirectoryPeer; readonly plaintext: Buffer; readonly request: KeyRequest }> = [];
    for (const request of requests) {
      const room = roomConversation(request.room);
      const from = this.roomChains.grantFor(request.peer.name, request.chain, request.n, room, request.open);
      if (from === undefined) continue;
      const grant: RoomGrant = request.room === null ? from : { ...from, room };
      answers.push({ member: request.peer, plaintext: Buffer.from(JSON.stringify({ senderKey: grant } satisfies MessageBody), 'utf8'), request });
      // Marked before sealing: a second request from the same member in this batch gets nothing.
      this.roomChains.markAnswered(request.peer.name, request.chain);
    }
    const sealed = this.sealBatch(answers, check);
    // In an open room those answered hold our current chain now (see sealRoom): one update per chain.
    const reached = new Set(sealed.reached);
    const holders = new Map<string, { readonly room: string; readonly chain: string; readonly names: string[] }>();
    for (const { member, request } of answers) {
      if (!request.open || !reached.has(member)) continue;
      const room = roomConversation(request.room);
      const key = `${room}\u0000${request.chain}`;
      const entry = holders.get(key) ?? { room, chain: request.chain, names: [] };
      entry.names.push(member.name);
      holders.set(key, entry);
    }
    for (const { room, chain, names } of holders.values()) this.roomChains.heldBy(room, chain, names);
    return sealed.sends;
  }

  /** Seals a DM through the pair's Double Ratchet. */
  sealDirect(peer: DirectoryPeer, text: string, check: SendCheck, file?: FileAttachment): SendMessage {
    return this.seal(peer.name, file === undefined ? { text } : { text, file }, { ratchet: this.sessions.sending(peer).nextSendingKey() }, check);
  }

  /**
   * Opens a delivered envelope from `sender`: the signature, the key (the pair's ratchet for a DM,
   * the sender's chain for the room), then the replay check. The chains move only once the message
   * has opened, so a forgery costs nothing. Throws ChatError (ENVELOPE_INVALID, REPLAY).
   */
  open(message: DeliverMessage, sender: DirectoryPeer, addressedToUs: boolean): Opened {
    if (!addressedToUs) throw failed();
    const isRoom = isRoomTarget(message.to);
    const source = isRoom
      ? this.roomKeys.keyFor(senderKeySlot(sender.name, message.to), message.envelope.senderKey)
      : this.dmKeyFor(sender, message.envelope.ratchet);
    const plaintext = openEnvelope({
      from: sender.name,
      to: message.to,
      envelope: message.envelope,
      senderPublicKey: sender.key.publicKey,
      messageKey: source.messageKey,
    });
    // Replay check only after the signature held, so forged ids cannot fill the table. A stored
    // message may be days old: its id is checked against the client's history instead (ClientState),
    // and its key, used once, cannot open it twice anyway.
    // Ids are the sender's own: keyed with the sender, so another user reusing an id collides with nothing.
    if (message.stored !== true) this.replay.check(`${nameKey(sender.name)}\u0000${message.envelope.id}`, message.envelope.ts);
    source.commit();
    const order = this.order.observe(sender.name, message.envelope.chain, isRoom ? roomConversation(message.to) : 'dm', message.envelope.seq);
    const body = parseBody(plaintext);
    if ('text' in body) return { kind: 'text', text: body.text, ...(body.file === undefined ? {} : { file: body.file }), order };
    // Handovers and requests travel as DMs only.
    if (isRoom) throw failed();
    if ('receipt' in body) return { kind: 'receipt', ids: body.receipt.ids, order };
    if ('keyRequest' in body) return { kind: 'key-request', chain: body.keyRequest.chain, n: body.keyRequest.n, room: body.keyRequest.room ?? null, order };
    const { room, ...grant } = body.senderKey;
    this.roomKeys.remember(senderKeySlot(sender.name, room ?? null), grant);
    return { kind: 'handover', chain: grant.id, order };
  }

  private dmKeyFor(sender: DirectoryPeer, header: RatchetHeader | undefined): { messageKey: Buffer; commit: () => void } {
    if (header === undefined) throw failed();
    return this.sessions.receiving(sender, header);
  }

  /**
   * Hands `grant` to each member through the pair's ratchet, all under one signature per batch
   * (sealEnvelopes): a room's first line costs one RSA signature per 64 members, not one each.
   */
  private sealHandovers(members: readonly DirectoryPeer[], grant: RoomGrant, check: SendCheck): SealedBatch {
    const plaintext = Buffer.from(JSON.stringify({ senderKey: grant } satisfies MessageBody), 'utf8');
    return this.sealBatch(
      members.map((member) => ({ member, plaintext })),
      check,
    );
  }

  /**
   * Seals each plaintext to its member through the pair's ratchet, all under one signature per
   * batch. A member no session can start with (an unusable prekey) is marked so and left out. A
   * member may appear more than once (two chains asked for in one turn): each gets the next number.
   */
  private sealBatch(items: ReadonlyArray<{ readonly member: DirectoryPeer; readonly plaintext: Buffer }>, check: SendCheck): SealedBatch {
    const reached: DirectoryPeer[] = [];
    const unreachable: DirectoryPeer[] = [];
    const inputs: SealInput[] = [];
    const earlierInBatch = new Map<string, number>();
    for (const { member, plaintext } of items) {
      let ratchet: { header: RatchetHeader; messageKey: Buffer };
      try {
        ratchet = this.sessions.sending(member).nextSendingKey();
      } catch (error) {
        if (!(error instanceof CryptoError)) throw error;
        member.prekeyUsable = false;
        unreachable.push(member);
        continue;
      }
      const conversation = sendConversation(member.name);
      const earlier = earlierInBatch.get(conversation) ?? 0;
      earlierInBatch.set(conversation, earlier + 1);
      reached.push(member);
      const input = this.sealInput(member.name, plaintext, { ratchet });
      inputs.push({ ...input, seq: input.seq + earlier });
    }
    const sends = sealEnvelopes(inputs).map((envelope, k): SendMessage => {
      const message: SendMessage = { type: 'send', to: reached[k]!.name, envelope };
      check(message);
      this.countSent(reached[k]!.name);
      return message;
    });
    return { sends, reached, unreachable };
  }

  /** What sealing a message to `to` (null: the lobby) needs, with the conversation's next number. */
  private sealInput(to: string | null, plaintext: Buffer, key: MessageKeySource): SealInput {
    return {
      senderName: this.options.selfName(),
      senderKey: this.options.identity.privateKey,
      chain: this.chainId,
      seq: this.sendCounters.get(sendConversation(to)) ?? 0,
      to,
      plaintext,
      ...key,
    };
  }

  private countSent(to: string | null): void {
    const conversation = sendConversation(to);
    this.sendCounters.set(conversation, (this.sendCounters.get(conversation) ?? 0) + 1);
  }

  /** Seals one envelope; the server fans a room message out to the members. The counter moves only once `check` accepted it. */
  private seal(to: string | null, body: MessageBody, key: MessageKeySource, check: SendCheck): SendMessage {
    const envelope = sealEnvelope(this.sealInput(to, Buffer.from(JSON.stringify(body), 'utf8'), key));
    const message: SendMessage = { type: 'send', to, envelope };
    check(message);
    this.countSent(to);
    return message;
  }
}

/** Where a message to `to` (null: the lobby) is counted: sendCounters' key. */
function sendConversation(to: string | null): string {
  return to === null ? LOBBY_NAME : to.toLowerCase();
}
