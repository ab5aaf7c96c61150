// Forward-secret keys for direct messages: the Double Ratchet's shape (Signal's spec) over X25519,
// HKDF-SHA256 and HMAC-SHA256, with node:crypto. Every message has its own key, derived from a
// chain that only moves forward; every turn of the conversation mixes in a fresh Diffie-Hellman
// result. Keys are deleted once used, so stealing a device's state later opens no past message,
// and the identity keys only ever sign.
//
// Start (protocol v4): the session's shared secret comes from session-start.ts (X3DH's shape); the
// initiator sends first, the responder's first ratchet key is its signed prekey, as in Signal.
import { type KeyObject, createPrivateKey, createPublicKey, diffieHellman, generateKeyPairSync, hkdfSync, timingSafeEqual } from 'node:crypto';
import { CryptoError, ErrorCode } from './errors.js';
import { stepChain } from './hash-chain.js';

/** Most message keys kept for messages that have not arrived yet (libsignal keeps 2,000). */
export const MAX_SKIPPED_KEYS = 2000;

/** What a session's first messages carry so the responder can start it (all raw keys base64). */
export interface SessionInit {
  /** The initiator's signed prekey. */
  readonly spk: string;
  /** The responder's signed prekey the initiator used (which of its recent ones). */
  readonly to: string;
  /** The id of the responder's one-time prekey the initiator used, if any. */
  readonly opk?: string;
}

export interface RatchetHeader {
  /** The session: the initiator's base key (raw, base64). A pair can hold a few sessions at once. */
  readonly sid: string;
  /** Until the responder has answered, the initiator's messages carry what starts the session. */
  readonly init?: SessionInit;
  /** The sender's current ratchet public key, raw 32 bytes, base64. */
  readonly dh: string;
  /** How many messages the sender sent on its previous sending chain. */
  readonly pn: number;
  /** This message's number on the current sending chain. */
  readonly n: number;
}

export interface X25519KeyPair {
  readonly privateKey: KeyObject;
  /** Raw 32-byte public key. */
  readonly publicRaw: Buffer;
}

const ZERO32 = Buffer.alloc(32);

/** A ratchet as plain JSON, for the client's encrypted state file. Holds secrets: never logged. */
export interface RatchetState {
  readonly rootKey: string;
  /** Our current ratchet key pair: PKCS#8 DER of the private key, base64. */
  readonly sending: string;
  readonly remote: string;
  readonly sendChain?: string;
  readonly receiveChain?: string;
  readonly sent: number;
  readonly received: number;
  readonly previousSent: number;
  readonly skipped: ReadonlyArray<readonly [string, string]>;
  readonly sid: string;
  readonly init?: SessionInit;
}

/**
 * Exported forms of key pairs already exported: a pair never changes, and a client's state is
 * exported after every turn that moved it, with its hundred one-time prekeys each time (on a
 * room's first line every member's client does that at once).
 */
const exported = new WeakMap<X25519KeyPair, string>();

export function exportX25519(pair: X25519KeyPair): string {
  let pkcs8 = exported.get(pair);
  if (pkcs8 === undefined) {
    pkcs8 = pair.privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64');
    exported.set(pair, pkcs8);
  }
  return pkcs8;
}

export function importX25519(pkcs8: string): X25519KeyPair {
  const privateKey = createPrivateKey({ key: Buffer.from(pkcs8, 'base64'), format: 'der', type: 'pkcs8' });
  return { privateKey, publicRaw: publicRawOf(privateKey) };
}

export function generateX25519(): X25519KeyPair {
  const { privateKey } = generateKeyPairSync('x25519');
  return { privateKey, publicRaw: publicRawOf(privateKey) };
}

/** X25519's base point (u = 9), as a key: a private key's Diffie-Hellman with it is its public key. */
const BASE_POINT = createPublicKey({
  key: { kty: 'OKP', crv: 'X25519', x: Buffer.concat([Buffer.from([9]), Buffer.alloc(31)]).toString('base64url') },
  format: 'jwk',
});

// A raw public key is X25519(private, 9), the definition of an X25519 public key (RFC 7748 section
// 6.1), taken as a Diffie-Hellman with the base point: 35 us here, where exporting the public key
// as SPKI DER took 75-90 us (two per member of a room's first line: 0.4 s of the sender's 3.6 at
// 5,000). Not a JWK export (1.3 us): on Node 20 a JWK export of an X25519 key hung a fresh process
// about once in twenty runs of 500 (measured here, never with DER or a Diffie-Hellman). Keys come
// in as JWK (12 us; DER takes 120 us, OpenSSL 3's decoder), which never hung in 100 runs of 1,500.
function publicRawOf(privateKey: KeyObject): Buffer {
  return diffieHellman({ privateKey, publicKey: BASE_POINT });
}

function publicFromRaw(raw: Buffer): KeyObject {
  if (raw.length !== 32) throw invalid();
  return createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: raw.toString('base64url') }, format: 'jwk' });
}

/** X25519 with the all-zero (low-order point) result refused, as RFC 7748 section 6.1 advises. */
export function x25519(privateKey: KeyObject, publicRaw: Buffer): Buffer {
  let shared: Buffer;
  try {
    shared = diffieHellman({ privateKey, publicKey: publicFromRaw(publicRaw) });
  } catch {
    throw invalid();
  }
  if (timingSafeEqual(shared, ZERO32)) throw invalid();
  return shared;
}

function kdfRoot(rootKey: Buffer, dhOutput: Buffer): { rootKey: Buffer; chainKey: Buffer } {
  const out = Buffer.from(hkdfSync('sha256', dhOutput, rootKey, 'tui-chat/ratchet/v1', 64));
  return { rootKey: out.subarray(0, 32), chainKey: out.subarray(32) };
}

function invalid(): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
}

export class DoubleRatchet {
  private rootKey: Buffer;
  private sending: X25519KeyPair;
  private remote: Buffer;
  private sendChain: Buffer | undefined;
  private receiveChain: Buffer | undefined;
  private sent = 0;
  private received = 0;
  private previousSent = 0;
  /**
   * Keys of messages skipped over, by "dh:n"; bounded, the oldest go first. A Map, not an LRU
   * cache: lru-cache preallocates its `max` (2,000) for every ratchet, and a client has one per peer.
   */
  private readonly skipped = new Map<string, Buffer>();
  /** The session id every header carries (the initiator's base key). */
  private sid = '';
  /** Carried in our headers until the responder has answered (the initiator's side only). */
  private init: SessionInit | undefined;

  private constructor(rootKey: Buffer, sending: X25519KeyPair, remote: Buffer) {
    this.rootKey = rootKey;
    this.sending = sending;
    this.remote = remote;
  }

  /** The initiator, from the session secret and the responder's signed prekey: it sends first. */
  static asInitiator(secret: Buffer, responderSpk: Buffer, sid: string, init: SessionInit): DoubleRatchet {
    const sending = generateX25519();
    const ratchet = new DoubleRatchet(secret, sending, responderSpk);
    const step = kdfRoot(secret, x25519(sending.privateKey, responderSpk));
    ratchet.rootKey = step.rootKey;
    ratchet.sendChain = step.chainKey;
    ratchet.sid = sid;
    ratchet.init = init;
    return ratchet;
  }

  /** The responder, from the same secret and its signed prekey pair: it answers once it has received. */
  static asResponder(secret: Buffer, ownSpk: X25519KeyPair, sid: string): DoubleRatchet {
    // No remote key yet: the initiator's first header brings it (and the first DH step).
    const ratchet = new DoubleRatchet(secret, ownSpk, ZERO32);
    ratchet.sid = sid;
    return ratchet;
  }

  /** The session id (the initiator's base key). */
  get sessionId(): string {
    return this.sid;
  }

  /** True once this side can send (the responder only after its first message in). */
  get canSend(): boolean {
    return this.sendChain !== undefined;
  }

  toState(): RatchetState {
    return {
      rootKey: this.rootKey.toString('base64'),
      sending: exportX25519(this.sending),
      remote: this.remote.toString('base64'),
      ...(this.sendChain === undefined ? {} : { sendChain: this.sendChain.toString('base64') }),
      ...(this.receiveChain === undefined ? {} : { receiveChain: this.receiveChain.toString('base64') }),
      sent: this.sent,
      received: this.received,
      previousSent: this.previousSent,
      skipped: [...this.skipped].map(([id, key]) => [id, key.toString('base64')] as const),
      sid: this.sid,
      ...(this.init === undefined ? {} : { init: this.init }),
    };
  }

  static fromState(state: RatchetState): DoubleRatchet {
    const ratchet = new DoubleRatchet(Buffer.from(state.rootKey, 'base64'), importX25519(state.sending), Buffer.from(state.remote, 'base64'));
    if (state.sendChain !== undefined) ratchet.sendChain = Buffer.from(state.sendChain, 'base64');
    if (state.receiveChain !== undefined) ratchet.receiveChain = Buffer.from(state.receiveChain, 'base64');
    ratchet.sent = state.sent;
    ratchet.received = state.received;
    ratchet.previousSent = state.previousSent;
    for (const [id, key] of state.skipped) ratchet.skipped.set(id, Buffer.from(key, 'base64'));
    ratchet.sid = state.sid;
    ratchet.init = state.init;
    return ratchet;
  }

  /** The next message key, with the header the recipient needs to find it. */
  nextSendingKey(): { header: RatchetHeader; messageKey: Buffer } {
    // The responder cannot send before the initiator's first message reached it.
    if (this.sendChain === undefined) throw invalid();
    const { chainKey, messageKey } = stepChain(this.sendChain);
    this.sendChain = chainKey;
    const header: RatchetHeader = {
      sid: this.sid,
      ...(this.init === undefined ? {} : { init: this.init }),
      dh: this.sending.publicRaw.toString('base64'),
      pn: this.previousSent,
      n: this.sent,
    };
    this.sent++;
    return { header, messageKey };
  }

  /**
   * The key for a received header: a stored skipped key, or the receiving chain advanced (with a
   * DH ratchet step when the sender has turned to a new key). Throws ENVELOPE_INVALID when the
   * header would need more than MAX_SKIPPED_KEYS keys stored, or the key is gone (a replay).
   * The state only changes when commit() is called after the message decrypted: a forged header
   * must not advance anything.
   */
  receivingKey(header: RatchetHeader): { messageKey: Buffer; commit: () => void } {
    const remote = Buffer.from(header.dh, 'base64');
    const skippedId = `${header.dh}:${header.n}`;
    const stored = this.skipped.get(skippedId);
    if (stored !== undefined) return { messageKey: stored, commit: () => this.skipped.delete(skippedId) };

    // Work on copies; commit() swaps them in.
    let rootKey = this.rootKey;
    let receiveChain = this.receiveChain;
    let received = this.received;
    let sending = this.sending;
    let sendChain = this.sendChain;
    let previousSent = this.previousSent;
    let sent = this.sent;
    const newlySkipped: Array<[string, Buffer]> = [];
    const skipUntil = (until: number, chainDh: string) => {
      if (receiveChain === undefined) return;
      // A header far ahead would make us derive (and store) keys without end: refuse it.
      if (until - received > MAX_SKIPPED_KEYS) throw invalid();
      while (received < until) {
        const step = stepChain(receiveChain);
        receiveChain = step.chainKey;
        newlySkipped.push([`${chainDh}:${received}`, step.messageKey]);
        received++;
      }
    };

    if (!remote.equals(this.remote)) {
      skipUntil(header.pn, this.remote.toString('base64'));
      const receiveStep = kdfRoot(rootKey, x25519(sending.privateKey, remote));
      rootKey = receiveStep.rootKey;
      receiveChain = receiveStep.chainKey;
      received = 0;
      previousSent = sent;
      sent = 0;
      sending = generateX25519();
      const sendStep = kdfRoot(rootKey, x25519(sending.privateKey, remote));
      rootKey = sendStep.rootKey;
      sendChain = sendStep.chainKey;
    } else if (header.n < received) {
      throw invalid(); // already used: a replay, or a key we deleted
    }
    skipUntil(header.n, header.dh);
    if (receiveChain === undefined) throw invalid();
    const { chainKey, messageKey } = stepChain(receiveChain);
    return {
      messageKey,
      commit: () => {
        this.rootKey = rootKey;
        this.remote = remote;
        this.receiveChain = chainKey;
        this.received = received + 1;
        this.sending = sending;
        this.sendChain = sendChain;
        this.previousSent = previousSent;
        this.sent = sent;
        // The responder has answered: it holds the session, our headers need not start it again.
        this.init = undefined;
        for (const [id, key] of newlySkipped) this.skipped.set(id, key);
        while (this.skipped.size > MAX_SKIPPED_KEYS) this.skipped.delete(this.skipped.keys().next().value as string);
      },
    };
  }
}
