// What the server says that a session only passes on to its views: video news, the rooms list,
// the cluster's state, and a transfer's answers. Every name or sentence in it came from the server
// and is stripped of control characters before any view sees it; nothing here needs the order
// that presence and messages keep.
import { stripControlCharacters } from '../core/names.js';
import type { FileTransfers } from './files/file-transfers.js';
import type { LinkMessage } from './server-link.js';
import type { SessionEvents } from './session-events.js';

export type NewsMessage = Extract<
  LinkMessage,
  { type: 'watch' | 'rooms' | 'cluster' | 'videos' | 'poster' | 'stream-start' | 'stream-status' | 'stream-end' | 'file-accepted' | 'file-stored' }
>;

/** How a session tells its views (its own emit). */
export type EmitSessionEvent = <K extends keyof SessionEvents & string>(event: K, payload: SessionEvents[K]) => void;

/** Passes `message` on to the session's views (or its transfers), cleaned. */
export function relayNews(message: NewsMessage, emit: EmitSessionEvent, files: Pick<FileTransfers, 'onNews'>): void {
  switch (message.type) {
    case 'watch':
      emit('watch', { ...message, video: stripControlCharacters(message.video) });
      return;
    case 'rooms':
      emit(
        'rooms',
        message.rooms.map((room) => ({ ...room, topic: stripControlCharacters(room.topic) })),
      );
      return;
    case 'cluster':
      emit('cluster', { state: message.state, message: stripControlCharacters(message.message) });
      return;
    case 'videos':
      emit(
        'videos',
        message.videos.map((video) => ({ ...video, name: stripControlCharacters(video.name) })),
      );
      return;
    case 'poster':
      emit('poster', { name: stripControlCharacters(message.name), jpeg: Buffer.from(message.jpeg, 'base64') });
      return;
    case 'stream-start':
      emit('stream-start', { ...message, name: stripControlCharacters(message.name) });
      return;
    case 'stream-status':
      emit('stream-status', message);
      return;
    case 'stream-end':
      emit('stream-end', { ...message, message: stripControlCharacters(message.message) });
      return;
    case 'file-accepted':
    case 'file-stored':
      files.onNews(message);
      return;
  }
}
