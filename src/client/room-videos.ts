// What each room is watching together, followed from `watch` events: what `:watch` without a
// video joins. Shared by the TUI and the --json line mode.
import type { WatchEventMessage } from '../core/messages.js';
import { roomKey } from '../core/room-names.js';

export class RoomVideos {
  private readonly playing = new Map<string, string>();

  observe(event: WatchEventMessage): void {
    if (event.kind === 'started') this.playing.set(roomKey(event.room), event.video);
    else if (event.kind === 'stopped' || event.kind === 'finished') this.playing.delete(roomKey(event.room));
  }

  /** The video the room is watching now, if any. */
  of(room: string): string | undefined {
    return this.playing.get(roomKey(room));
  }
}
