// On a server past its full-presence size (welcome `presence: 'followed'`) the client is told only
// of the users it follows. This asks the server to follow the ones it needs now (someone it writes
// to, hears from or shares a room with) and waits for the answer. The server answers `follow`
// requests in the order they came, so the oldest waiter takes each `followed`.
import { MAX_KEY_REQUEST } from '../core/message-codec.js';
import type { PresenceScope } from '../core/messages.js';

/** How long to wait for the server's answer before going on without it (those names stay unlisted). */
export const FOLLOW_TIMEOUT_MS = 10_000;

type Waiter = (unknown: readonly string[]) => void;

export class PresenceFollower {
  private currentScope: PresenceScope = 'everyone';
  private readonly waiting: Waiter[] = [];

  /** `send` puts one `follow` request on the wire; false when there is no connection to put it on. */
  constructor(
    private readonly send: (names: string[]) => boolean,
    private readonly timeoutMs = FOLLOW_TIMEOUT_MS,
  ) {}

  get scope(): PresenceScope {
    return this.currentScope;
  }

  /** True when the server tells us only of those we follow: unknown names must be followed first. */
  get followsOnly(): boolean {
    return this.currentScope === 'followed';
  }

  /** A new welcome (or none: a closed connection) says how presence works; nobody waits on the old one. */
  reset(scope: PresenceScope): void {
    this.currentScope = scope;
    for (const waiter of this.waiting.splice(0)) waiter([]);
  }

  /** Follows these names; resolves, once the server answered, with those nobody has. */
  async follow(names: readonly string[]): Promise<string[]> {
    const asked: Array<Promise<readonly string[]>> = [];
    for (let i = 0; i < names.length; i += MAX_KEY_REQUEST) {
      if (!this.send(names.slice(i, i + MAX_KEY_REQUEST))) break;
      asked.push(this.answer());
    }
    return (await Promise.all(asked)).flat();
  }

  /**
   * The answer to the request just sent. A server that never answers must not hold up what waits
   * on it (messages are handled in order): after timeoutMs the caller goes on without the names,
   * and the late answer, if it comes, is taken by this request's place in the queue, not the next.
   */
  private answer(): Promise<readonly string[]> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (unknown: readonly string[]) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        resolve(unknown);
      };
      const timer = setTimeout(() => settle([]), this.timeoutMs);
      timer.unref?.();
      this.waiting.push(settle);
    });
  }

  /** The server answered the oldest request: whoever waits for it (undefined for one never asked). */
  answered(): Waiter | undefined {
    return this.waiting.shift();
  }
}
