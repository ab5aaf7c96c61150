// Who is told when a user joins, goes away or changes keys. A small server tells everyone of
// everyone (a team sees its whole roster); past `fullPresenceMaxUsers` users that would make every
// join cost Θ(users) twice over (the welcome listing all, the announcement reaching all), so later
// connections are told only of the users they follow: their room-mates, whoever they wrote to or
// heard from, whoever they looked up. This is Discord's "large guild" split, for the same reason.
import { nameKey } from '../core/names.js';

/** What the audience needs of a connection: something to send a frame to. */
export interface PresenceListener {
  sendFrame(frame: Buffer): void;
}

export interface PresenceLimits {
  /** While the server has at most this many users, a new connection is told of everyone. */
  readonly fullPresenceMaxUsers: number;
  /** Users one connection may follow; past it the longest-followed is let go. */
  readonly maxFollowed: number;
}

export class PresenceAudience<L extends PresenceListener> {
  /** Connections told of everyone (admitted while the server was small): never more than the limit. */
  private readonly everyone = new Set<L>();
  /** Followers by the name key of whom they follow. */
  private readonly followers = new Map<string, Set<L>>();
  /** What each connection follows, oldest first: to let go past the bound, and on close. */
  private readonly following = new Map<L, Set<string>>();

  constructor(private readonly limits: () => PresenceLimits) {}

  /**
   * A connection joined while the server has `users` users: true when it is told of everyone (its
   * welcome lists all), false when it hears of those it follows only.
   */
  admit(listener: L, users: number): boolean {
    const { fullPresenceMaxUsers } = this.limits();
    if (users > fullPresenceMaxUsers || this.everyone.size >= fullPresenceMaxUsers) return false;
    this.everyone.add(listener);
    return true;
  }

  /** Whether this connection is told of everyone. */
  tellsEverything(listener: L): boolean {
    return this.everyone.has(listener);
  }

  /** From now on `listener` hears of these users' presence (bounded: the oldest followed go first). */
  follow(listener: L, names: Iterable<string>): void {
    if (this.everyone.has(listener)) return;
    const followed = this.following.get(listener) ?? new Set<string>();
    this.following.set(listener, followed);
    for (const name of names) {
      const key = nameKey(name);
      if (followed.has(key)) continue;
      followed.add(key);
      const set = this.followers.get(key) ?? new Set<L>();
      set.add(listener);
      this.followers.set(key, set);
    }
    const { maxFollowed } = this.limits();
    for (const oldest of followed) {
      if (followed.size <= maxFollowed) break;
      followed.delete(oldest);
      this.unfollow(listener, oldest);
    }
  }

  /** The connection closed: it follows nobody any more. */
  forget(listener: L): void {
    this.everyone.delete(listener);
    for (const key of this.following.get(listener) ?? []) this.unfollow(listener, key);
    this.following.delete(listener);
  }

  /** Sends a presence frame about `name` to whoever hears of it, `except` left out. */
  announce(frame: Buffer, name: string, except?: L): void {
    const followers = this.followers.get(nameKey(name));
    for (const listener of this.everyone) {
      if (listener !== except) listener.sendFrame(frame);
    }
    for (const listener of followers ?? []) {
      if (listener !== except) listener.sendFrame(frame);
    }
  }

  /** How many users `listener` follows (tests, the SECURITY.md bound). */
  followedBy(listener: L): number {
    return this.following.get(listener)?.size ?? 0;
  }

  private unfollow(listener: L, key: string): void {
    const set = this.followers.get(key);
    set?.delete(listener);
    if (set?.size === 0) this.followers.delete(key);
  }
}
