// The `:join`, `:part`, `:topic`, `:invite`, `:kick`, `:mode` and `:rooms` requests: checked and
// applied through the RoomDirectory, then told to this node's members they concern. Events made
// on other nodes come through the directory's store and are told here the same way.
import { ChatError, ErrorCode } from '../../core/errors.js';
import { encodeMessage } from '../../core/message-codec.js';
import type { RoomRequest } from '../../core/messages.js';
import { nameKey, stripControlCharacters } from '../../core/names.js';
import type { PeerRegistry } from '../../core/peer-registry.js';
import type { MemberLink } from '../member-link.js';
import type { JoinedPeer } from '../joined-peer.js';
import type { RoomDirectory, RoomEvent } from './room-directory.js';
import { RoomCreationRation } from './room-creation-ration.js';

export class RoomService {
  constructor(
    readonly directory: RoomDirectory,
    private readonly members: PeerRegistry<JoinedPeer>,
    /** Whether a user by that name exists (online anywhere, or registered): only they can be invited. */
    private readonly knows: (name: string) => boolean,
    /** Someone left a room or was kicked from it (they stop watching its video, if they were). */
    private readonly left: (room: string, name: string) => void = () => {},
    /** Someone joined a room (they and its members now hear of each other's presence). */
    private readonly joined: (room: string, name: string) => void = () => {},
    /** Rooms one address may create a day (--max-rooms-created-per-address). */
    private readonly creations = new RoomCreationRation(() => Number.POSITIVE_INFINITY),
  ) {
    directory.onRemoteEvent((event) => this.announce(event));
  }

  /** One request from a joined member; a ChatError it rejects with goes back to them, not fatal. */
  async handle(connection: MemberLink, request: RoomRequest): Promise<void> {
    const me = connection.peer!.name;
    switch (request.type) {
      case 'list-rooms':
        connection.send({ type: 'rooms', rooms: this.directory.list(me) });
        return;
      case 'room-join': {
        const creating = this.directory.nameOf(request.room) === undefined;
        if (creating && !this.creations.mayCreate(connection.ipAddress)) {
          throw new ChatError(ErrorCode.ROOM_LIMIT, 'your address has made the most new rooms a day this server allows: join an existing one, or try tomorrow');
        }
        const events = await this.directory.join(request.room, me);
        if (creating && events.length > 0) this.creations.createdBy(connection.ipAddress);
        // Already in it: the room again, so the client opens it as after a first join.
        const view = events.length === 0 ? this.directory.view(request.room) : undefined;
        if (view !== undefined) connection.send({ type: 'room', room: view });
        return this.announceAll(events);
      }
      case 'room-part':
        return this.announceAll(await this.directory.part(request.room, me));
      case 'room-topic':
        // The topic reaches every member's terminal: control characters go here.
        return this.announceAll(await this.directory.setTopic(request.room, me, stripControlCharacters(request.topic).trim()));
      case 'room-mode':
        return this.announceAll(await this.directory.setMode(request.room, me, request));
      case 'room-kick':
        // The reason reaches every member's terminal: control characters go here.
        return this.announceAll(await this.directory.kick(request.room, me, request.name, stripControlCharacters(request.reason ?? '').trim()));
      case 'room-invite':
        if (!this.knows(request.name)) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${request.name} is online or registered on this server`);
        return this.announceAll(await this.directory.invite(request.room, me, request.name));
    }
  }

  /** A name released or expired: it leaves its rooms, and their members are told. */
  async forget(name: string): Promise<void> {
    this.announceAll(await this.directory.forget(name));
  }

  private announceAll(events: readonly RoomEvent[]): void {
    for (const event of events) this.announce(event);
  }

  /** Sends one frame to the room's members connected here, but `except` (a name). */
  tellMembers(room: string, frame: Buffer, except?: string): void {
    const skipped = except === undefined ? undefined : nameKey(except);
    for (const name of this.directory.membersOf(room)) {
      if (nameKey(name) !== skipped) this.members.get(name)?.connection.sendFrame(frame);
    }
  }

  /**
   * Tells this node's members of the room, and the one it is about (who left, was kicked or
   * invited). Whoever joined gets the whole room instead: members, topic, mode.
   */
  private announce(event: RoomEvent): void {
    if (event.kind === 'part' || event.kind === 'kick') this.left(event.room, event.name);
    if (event.kind === 'join') this.joined(event.room, event.name);
    const frame = encodeMessage({ type: 'room-event', ...event });
    this.tellMembers(event.room, frame, event.name);
    const about = this.members.get(event.name);
    if (about === undefined) return;
    const view = event.kind === 'join' ? this.directory.view(event.room) : undefined;
    if (view !== undefined) about.connection.send({ type: 'room', room: view });
    else about.connection.sendFrame(frame);
  }
}
