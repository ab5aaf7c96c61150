// What a room event says in the log, in words: "alice joined", "bob set the topic: …", "alice
// removed you from #dev". Pure: client-feed.ts decides where each line goes.
import type { RoomChange } from '../client/chat-session.js';
import type { RoomListing, WatchEventMessage } from '../core/messages.js';
import { nameKey } from '../core/names.js';

export function describeRoomChange({ event, room }: RoomChange, selfName: string): string {
  const you = (name: string) => (nameKey(name) === nameKey(selfName) ? 'you' : name);
  const by = event.by === undefined ? 'someone' : you(event.by);
  switch (event.kind) {
    case 'join': {
      if (you(event.name) !== 'you') return `${event.name} joined ${event.room}`;
      const topic = room === undefined || room.topic === '' ? '' : `; topic: ${room.topic}`;
      const members = room === undefined ? '' : `; members: ${room.members.map((m) => `${m.op === true ? '@' : ''}${m.name}`).join(', ')}`;
      return `you joined ${event.room}${topic}${members}`;
    }
    case 'part':
      return `${you(event.name)} left ${event.room}`;
    case 'kick':
      return `${by} removed ${you(event.name)} from ${event.room}${event.reason === undefined ? '' : ` (${event.reason})`}`;
    case 'topic':
      return event.topic === '' ? `${by} cleared the topic of ${event.room}` : `${by} set the topic of ${event.room}: ${event.topic}`;
    case 'mode':
      return [
        event.inviteOnly === undefined ? '' : event.inviteOnly ? `${by} made ${event.room} invite-only (+i)` : `${by} opened ${event.room} to everyone (-i)`,
        event.membersControlVideo === undefined
          ? ''
          : event.membersControlVideo
            ? `${by} let every member of ${event.room} pause, seek and stop the video watched together (+c)`
            : `${by} left the video watched together in ${event.room} to whoever starts it (-c)`,
      ]
        .filter((part) => part !== '')
        .join('; ');
    case 'invite':
      return you(event.name) === 'you' ? `${by} invited you to ${event.room}: :join ${event.room} to go in` : `${by} invited ${event.name} to ${event.room}`;
    case 'op':
      return `${you(event.name)} ${you(event.name) === 'you' ? 'are' : 'is'} now an operator of ${event.room}`;
  }
}

/** "alice paused bars.mp4 at 0:42": what happened to a room's shared video. */
export function describeWatch(event: WatchEventMessage, selfName: string): string {
  const by = event.by === undefined ? 'someone' : nameKey(event.by) === nameKey(selfName) ? 'you' : event.by;
  const at = clock(event.positionMs);
  switch (event.kind) {
    case 'started':
      return `${by} started ${event.video} for ${event.room}${by === 'you' ? '' : ' (:watch to watch along)'}`;
    case 'paused':
      return `${by} paused ${event.video} at ${at}`;
    case 'resumed':
      return `${by} resumed ${event.video} at ${at}`;
    case 'seeked':
      return `${by} jumped ${event.video} to ${at}`;
    case 'stopped':
      return `${by} stopped ${event.video} at ${at}`;
    case 'finished':
      return `${event.video} finished`;
  }
}

/**
 * 0:00.8, 0:42.0, 1:05:03.5: to the tenth of a second, as the status bar says it (a pause at
 * 0.8 s read "paused at 0:00" in the room while the status bar said 0.8s).
 */
export function clock(ms: number): string {
  const tenths = Math.floor(ms / 100);
  const total = Math.floor(tenths / 10);
  const [h, m, s] = [Math.floor(total / 3600), Math.floor((total % 3600) / 60), total % 60];
  const two = (n: number) => String(n).padStart(2, '0');
  const seconds = `${two(s)}.${tenths % 10}`;
  return h > 0 ? `${h}:${two(m)}:${seconds}` : `${m}:${seconds}`;
}

/** `:rooms` as one log line per room. */
export function describeRoomListing(rooms: readonly RoomListing[]): string {
  if (rooms.length === 0) return 'no rooms on this server yet: :join #NAME creates one';
  const lines = rooms.map(
    (room) =>
      `${room.joined ? '*' : ' '} ${room.name} (${room.members} member${room.members === 1 ? '' : 's'}${room.inviteOnly ? ', invite-only' : ''})${room.topic === '' ? '' : `: ${room.topic}`}`,
  );
  return `${rooms.length} room${rooms.length === 1 ? '' : 's'} (* you are in it):\n${lines.join('\n')}`;
}
