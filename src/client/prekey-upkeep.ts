// Keeping the server stocked with our prekeys: a signed prekey replaced when it is due (checked at
// connect and hourly) and announced, and one-time prekeys topped up to ONE_TIME_PREKEY_TARGET when
// the server says few are left. The private halves are on disk (the state committed) before the
// public ones leave: a session may start from one before our next run.
import type { Identity } from '../core/identity.js';
import { MAX_ONE_TIME_PREKEYS_PER_MESSAGE } from '../core/message-codec.js';
import type { PrekeysMessage } from '../core/messages.js';
import { signPrekey } from '../core/prekey.js';
import type { E2eEngine } from './e2e-engine.js';
import { ONE_TIME_PREKEY_TARGET, SIGNED_PREKEY_CHECK_MS } from './own-prekeys.js';
import type { ClientState } from './state/client-state.js';

export interface PrekeyUpkeepParts {
  readonly identity: Identity;
  readonly engine: E2eEngine;
  readonly state: ClientState;
  /** Our name now (the signed prekey is signed with it). */
  name(): string;
  isReady(): boolean;
  send(message: PrekeysMessage): void;
}

export class PrekeyUpkeep {
  /** Checks hourly, while connected, whether the signed prekey is due for rotation. */
  private rotationTimer: NodeJS.Timeout | undefined;

  constructor(private readonly parts: PrekeyUpkeepParts) {}

  /** Joined: the signed prekey is checked every SIGNED_PREKEY_CHECK_MS until disconnected. */
  startRotationChecks(): void {
    if (this.rotationTimer !== undefined) return;
    this.rotationTimer = setInterval(() => this.rotateIfDue(), SIGNED_PREKEY_CHECK_MS);
    this.rotationTimer.unref();
  }

  stopRotationChecks(): void {
    clearInterval(this.rotationTimer);
    this.rotationTimer = undefined;
  }

  /** Replaces the signed prekey if it is due and announces it; the last few are kept, so sessions started to them still open. */
  rotateIfDue(now?: number): boolean {
    const { engine, state, identity } = this.parts;
    if (!this.parts.isReady() || !engine.rotateSignedPrekeyIfDue(now)) return false;
    state.commit(engine.exportState());
    const prekey = engine.signedPrekey.publicRaw;
    this.parts.send({
      type: 'prekeys',
      oneTime: [],
      signed: { prekey: prekey.toString('base64'), prekeySig: signPrekey(identity.privateKey, this.parts.name(), prekey).toString('base64') },
    });
    return true;
  }

  /** The server holds `held` of our one-time prekeys: sends fresh ones up to ONE_TIME_PREKEY_TARGET. */
  topUp(held: number): void {
    const { engine, state } = this.parts;
    const missing = ONE_TIME_PREKEY_TARGET - held;
    if (missing <= 0 || !this.parts.isReady()) return;
    const made = engine.makeOneTimePrekeys(Math.min(missing, MAX_ONE_TIME_PREKEYS_PER_MESSAGE));
    // None made: every half we hold may still be in use (OwnPrekeys never drops one to make room).
    if (made.length === 0) return;
    state.commit(engine.exportState());
    this.parts.send({ type: 'prekeys', oneTime: made });
  }
}
