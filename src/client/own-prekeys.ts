// Our side of the key directory (protocol v4): the signed prekey we announce, rotated on a
// schedule with the last few kept (sessions started to an older one while we were away still
// open), and the one-time prekeys the server hands out one per fetched bundle, each private key
// deleted once a session started from it. All of it is secret state, kept encrypted at rest.
import { randomBytes } from 'node:crypto';
import { type X25519KeyPair, exportX25519, generateX25519, importX25519 } from '../core/double-ratchet.js';

/** How long one signed prekey is announced before a fresh one replaces it (Signal: days to weeks). */
export const SIGNED_PREKEY_ROTATION_MS = 7 * 24 * 3600_000;
/** How often a connected client checks whether its signed prekey is due (it also checks at each connect). */
export const SIGNED_PREKEY_CHECK_MS = 3600_000;
/** Earlier signed prekeys kept: a session start sealed to one while we were away still opens. */
export const PAST_SIGNED_PREKEYS_KEPT = 4;
/**
 * One-time prekeys we hold the private half of. At this many no more are made (sessions then start
 * from the signed prekey alone, as X3DH allows) rather than dropping any: a half handed out may
 * still be used by a peer whose first message waits in the server's store.
 */
export const MAX_ONE_TIME_PREKEYS_KEPT = 500;
/**
 * How long a private half is kept: 60 days, past the server's 30 days for handing one out
 * (ONE_TIME_PREKEY_TTL_MS) plus its 7 days of keeping a first message, with room to spare.
 */
export const ONE_TIME_PREKEY_KEEP_MS = 60 * 86_400_000;
/** How many one-time prekeys the client keeps on the server (tops it up to this at join, and when told it is low). */
export const ONE_TIME_PREKEY_TARGET = 100;

export interface OwnPrekeysState {
  /** PKCS#8 DER, base64. */
  readonly signed: string;
  readonly signedAt: number;
  readonly past: readonly string[];
  /** id -> PKCS#8 DER, base64; oldest first. */
  readonly oneTime: Readonly<Record<string, string>>;
  /** id -> when it was made (ms); absent in states from before it was kept. */
  readonly oneTimeAt?: Readonly<Record<string, number>>;
}

export interface OneTimePrekeyPublic {
  readonly id: string;
  /** Raw X25519 public key, base64. */
  readonly key: string;
}

export class OwnPrekeys {
  private signedPair: X25519KeyPair;
  private signedAt: number;
  private past: X25519KeyPair[];
  private readonly oneTime = new Map<string, X25519KeyPair>();
  private readonly oneTimeAt = new Map<string, number>();
  /** The state as last exported, until something changes: exported after every turn that moved the client's state. */
  private exported: OwnPrekeysState | undefined;

  constructor(state?: OwnPrekeysState, now = Date.now()) {
    this.signedPair = state === undefined ? generateX25519() : importX25519(state.signed);
    this.signedAt = state?.signedAt ?? now;
    this.past = (state?.past ?? []).map(importX25519);
    for (const [id, pkcs8] of Object.entries(state?.oneTime ?? {})) {
      this.oneTime.set(id, importX25519(pkcs8));
      this.oneTimeAt.set(id, state?.oneTimeAt?.[id] ?? now);
    }
  }

  toState(): OwnPrekeysState {
    this.exported ??= {
      signed: exportX25519(this.signedPair),
      signedAt: this.signedAt,
      past: this.past.map(exportX25519),
      oneTime: Object.fromEntries([...this.oneTime].map(([id, pair]) => [id, exportX25519(pair)])),
      oneTimeAt: Object.fromEntries(this.oneTimeAt),
    };
    return this.exported;
  }

  /** The signed prekey we announce now. */
  get signed(): X25519KeyPair {
    return this.signedPair;
  }

  /** Replaces the signed prekey once it is `maxAgeMs` old; true when it did (announce the new one). */
  rotateIfDue(now = Date.now(), maxAgeMs = SIGNED_PREKEY_ROTATION_MS): boolean {
    if (now - this.signedAt < maxAgeMs) return false;
    this.past.push(this.signedPair);
    while (this.past.length > PAST_SIGNED_PREKEYS_KEPT) this.past.shift();
    this.signedPair = generateX25519();
    this.signedAt = now;
    this.exported = undefined;
    return true;
  }

  /** Our signed prekey (current or kept) with this public key, if we still have it. */
  signedByPublic(publicBase64: string): X25519KeyPair | undefined {
    return [this.signedPair, ...this.past].find((pair) => pair.publicRaw.toString('base64') === publicBase64);
  }

  /**
   * Makes up to `count` one-time prekeys; their public halves go to the server. Halves older than
   * ONE_TIME_PREKEY_KEEP_MS go first; younger ones are never dropped to make room, so fewer (or
   * none) are made when MAX_ONE_TIME_PREKEYS_KEPT are held.
   */
  makeOneTime(count: number, now = Date.now()): OneTimePrekeyPublic[] {
    for (const [id, at] of this.oneTimeAt) if (now - at >= ONE_TIME_PREKEY_KEEP_MS) this.useOneTime(id);
    const made: OneTimePrekeyPublic[] = [];
    const room = Math.max(0, Math.min(count, MAX_ONE_TIME_PREKEYS_KEPT - this.oneTime.size));
    for (let i = 0; i < room; i++) {
      const id = randomBytes(9).toString('base64url');
      const pair = generateX25519();
      this.oneTime.set(id, pair);
      this.oneTimeAt.set(id, now);
      made.push({ id, key: pair.publicRaw.toString('base64') });
    }
    if (made.length > 0) this.exported = undefined;
    return made;
  }

  /** The one-time prekey with this id, still unused. */
  oneTimeById(id: string): X25519KeyPair | undefined {
    return this.oneTime.get(id);
  }

  /** A session started from it: the private half goes for good. */
  useOneTime(id: string): void {
    if (this.oneTime.delete(id)) this.exported = undefined;
    this.oneTimeAt.delete(id);
  }
}
