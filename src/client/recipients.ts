// Whom a line goes to, and whether their keys are here: the one "look them up before sending"
// policy of a session. On a big server a DM's recipient may not be listed, and a big room's
// members are listed without keys (UnkeyedPeers); lookup() lists them with keys, one round trip,
// and needsLookup() says when a line must wait for it (TUI, `--json`, the outgoing queue).
import { isRoomTarget } from '../core/room-names.js';
import type { DirectoryPeer, PeerDirectory } from './peer-directory.js';
import type { RoomRosters } from './room-rosters.js';
import type { SessionPresence } from './session-presence.js';

export interface RoomRecipients {
  /** The room's name as the server spells it. */
  readonly room: string;
  /** Members listed with keys (we excluded). */
  readonly members: DirectoryPeer[];
  /** Members whose keys we do not have: told as not delivered. */
  readonly unkeyed: string[];
}

export class Recipients {
  constructor(
    private readonly directory: PeerDirectory,
    private readonly rosters: RoomRosters,
    private readonly presence: SessionPresence,
  ) {}

  /**
   * Lists `to` with keys if the server has such a user (on a big server, by following them, or
   * fetching the keys of one listed from presence); false when nobody has that name. For a room,
   * lists its members with keys (a big room's are fetched here, the first time a line goes there).
   */
  async lookup(to: string): Promise<boolean> {
    await this.presence.ensureListed(this.namesOf(to));
    return isRoomTarget(to) ? this.rosters.get(to) !== undefined : this.directory.get(to) !== undefined;
  }

  /** True when a line to `to` must wait for lookup() first: a big server, and someone it goes to is not listed with keys. */
  needsLookup(to: string | null): boolean {
    if (to === null || !this.presence.follower.followsOnly) return false;
    return this.namesOf(to).some((name) => this.directory.get(name) === undefined && !this.directory.isSelf(name));
  }

  /** A room's members split by whether we have their keys (undefined: we are not in it). */
  ofRoom(room: string): RoomRecipients | undefined {
    const roster = this.rosters.get(room);
    if (roster === undefined) return undefined;
    const members: DirectoryPeer[] = [];
    const unkeyed: string[] = [];
    for (const member of roster.members) {
      if (this.directory.isSelf(member.name)) continue;
      const peer = this.directory.get(member.name);
      if (peer === undefined) unkeyed.push(member.name);
      else members.push(peer);
    }
    return { room: roster.name, members, unkeyed };
  }

  private namesOf(to: string): string[] {
    return isRoomTarget(to) ? (this.rosters.get(to)?.members.map((member) => member.name) ?? []) : [to];
  }
}
