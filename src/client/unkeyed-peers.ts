// Users the server told us of (online, away) whose keys we have not fetched: on a big server, the
// members of a big room. Their keys come when a session with them is needed (a message from
// them, a line to their room, a DM: SessionPresence.ensureListed), not when they join. Fetched on
// joining, a room of 5,000 cost every joiner 5,000 bundles (and one of each member's one-time
// prekeys), and the room's filling up 12.5 million; a member reads only the few who write.
import type { PeerSummary } from '../core/messages.js';
import { isValidName, nameKey } from '../core/names.js';
import { type PeerView, awayText } from './peer-directory.js';

export class UnkeyedPeers {
  private readonly peers = new Map<string, PeerSummary>();

  /** Lists (or updates) a user from presence alone; a malformed name is not listed. */
  set(summary: PeerSummary): boolean {
    if (!isValidName(summary.name)) return false;
    this.peers.set(nameKey(summary.name), summary);
    return true;
  }

  get(name: string): PeerSummary | undefined {
    return this.peers.get(nameKey(name));
  }

  remove(name: string): boolean {
    return this.peers.delete(nameKey(name));
  }

  /** A listed user set (or, with '', cleared) their away message; false when not listed here. */
  setAway(name: string, message: string): boolean {
    const summary = this.peers.get(nameKey(name));
    if (summary === undefined) return false;
    this.peers.set(nameKey(name), { ...summary, away: message });
    return true;
  }

  clear(): void {
    this.peers.clear();
  }

  get size(): number {
    return this.peers.size;
  }

  /**
   * What the views show of one: presence only. The fingerprint is left empty and the trust 'new'
   * on purpose: the server's word on a fingerprint is never shown as a key, and nothing is pinned
   * before the keys themselves are fetched and checked.
   */
  view(summary: PeerSummary, lookalikeOf: (name: string) => string | undefined): PeerView {
    return {
      name: summary.name,
      fingerprint: '',
      joinedAt: summary.joinedAt,
      trust: 'new',
      verified: false,
      firstSeen: undefined,
      isSelf: false,
      online: summary.online !== false,
      lookalikeOf: lookalikeOf(summary.name),
      awayMessage: awayText(summary.away),
    };
  }

  views(lookalikeOf: (name: string) => string | undefined): PeerView[] {
    return [...this.peers.values()].map((summary) => this.view(summary, lookalikeOf));
  }
}
