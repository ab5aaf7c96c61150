// The chat server's files: the FileService over its folder (the data folder's `files/`, or a
// temporary one for a server that keeps nothing), and what it needs to know of users and rooms.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nameKey } from '../../core/names.js';
import { isRoomTarget } from '../../core/room-names.js';
import type { RoomDirectory } from '../rooms/room-directory.js';
import type { ServerLimits } from '../server-limits.js';
import type { DurableStore } from '../store/durable-store.js';
import { DiskFileBackend, type FileBackend } from './file-backend.js';
import { FileService } from './file-service.js';

export interface ServerFilesParts {
  readonly dataDir: string | undefined;
  readonly limits: ServerLimits;
  readonly logger: Logger;
  /** The rooms (a function: a clustered server replaces them when it joins the cluster's store). */
  rooms(): RoomDirectory;
  /** Online here or on another node, or registered. */
  knowsUser(name: string): boolean;
  store(): DurableStore | undefined;
}

/** `backend`: where the chunks live (a cluster's bucket); default the data folder's `files/`, or a temporary one. */
export function createServerFiles(parts: ServerFilesParts, backend?: FileBackend): FileService {
  const dir = () => (parts.dataDir === undefined ? mkdtempSync(join(tmpdir(), 'tui-chat-files-')) : join(parts.dataDir, 'files'));
  return new FileService(backend ?? new DiskFileBackend(dir, parts.dataDir !== undefined), parts.limits, {
    logger: parts.logger,
    recipientsOf: (sender, to) => {
      if (isRoomTarget(to)) {
        if (!parts.rooms().isMember(to, sender)) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${to}`);
        return parts
          .rooms()
          .membersOf(to)
          .map(nameKey)
          .filter((member) => member !== nameKey(sender));
      }
      if (!parts.knowsUser(to) || nameKey(to) === nameKey(sender)) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${to} is here to send a file to`);
      return [nameKey(to)];
    },
    originOf: (address) => parts.store()?.originOf(address) ?? address,
    isNewcomer: (name) => parts.store()?.standingOf(name, name, false).isNewcomer ?? false,
  });
}
