// Files in the TUI: `:send PATH` to the open conversation (or `:send NAME|#ROOM PATH`), `:files`,
// `:save ID [PATH]` (`:save!` overwrites), `:open ID`; each transfer is one log line in its
// conversation, updated in place with a progress bar; a picture received is drawn under its line,
// a few rows high (picture-art.ts), and `:open` shows it large in the video pane.
import { readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import type { ChatClient } from '../client/chat-client.js';
import { describeAttachment, formatBytes } from '../client/files/attachment.js';
import type { FileEvents } from '../client/files/file-transfers.js';
import type { LineCommand } from '../client/line-command.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { ChatViewModel } from './chat-view-model.js';
import { type ConversationId, ROOM_ID, conversationOf } from './conversations.js';
import { escapeTags } from './markup.js';
import { pictureArt, pictureStill } from './picture-art.js';
import type { VideoPane } from './video-pane.js';

/** How large a received picture is drawn in the log: at most this many cells. */
const INLINE_PICTURE_COLS = 48;
const INLINE_PICTURE_ROWS = 8;
/** Pictures larger than this are not read into memory to be drawn (:save them). */
const MAX_DRAWN_PICTURE_BYTES = 32 * 1024 * 1024;
const BAR_CELLS = 20;

export type FileCommand = Extract<LineCommand, { kind: 'send-file' | 'files' | 'save' | 'open' }>;

export class TuiFiles {
  constructor(
    private readonly client: ChatClient,
    private readonly model: ChatViewModel,
    private readonly video: VideoPane,
    private readonly changed: () => void,
  ) {
    const files = client.files;
    files.on('file-progress', (progress) => this.onProgress(progress));
    files.on('file', (file) => void this.onArrived(file));
    files.on('file-sent', (sent) => {
      this.model.setLine(lineKey(sent.id), `sent ${escapeTags(describeAttachment(sent))} to ${escapeTags(sent.to)}`, conversationOf(sent.to, sent.to).id);
      this.changed();
    });
    files.on('saved', (saved) => {
      this.model.addSystem(`saved as ${escapeTags(saved.path)}`, 'system', this.conversationOfReceived(saved.id));
      this.changed();
    });
    files.on('error', (error) => {
      const conversation = error.ref === undefined ? this.model.current : this.conversationOfTransfer(error.ref);
      this.model.setLine(lineKey(error.ref ?? 'error'), escapeTags(error.message), conversation, 'error');
      this.changed();
    });
  }

  run(command: FileCommand): void {
    switch (command.kind) {
      case 'send-file': {
        const to = command.to ?? this.model.currentTarget;
        if (to === null) throw new ChatError(ErrorCode.USAGE, 'files go to a DM or a named room: open one, or :send NAME|#ROOM PATH');
        const path = command.path.replace(/^~(?=\/|$)/, homedir());
        this.client.files.send(to, path).then(
          (id) => this.model.setLine(lineKey(id), `sending ${escapeTags(path)} to ${escapeTags(to)}…`, conversationOf(to, to).id),
          (error: unknown) => this.model.addSystem(escapeTags(error instanceof Error ? error.message : String(error)), 'error'),
        );
        return;
      }
      case 'files':
        return this.list(command.from);
      case 'save':
        this.client.files.save(command.id, command.path ?? undefined, command.overwrite);
        return;
      case 'open':
        void this.open(command.id);
        return;
    }
  }

  private list(from: string | null): void {
    const here = from === null ? this.model.current : conversationOf(from, from).id;
    const files = this.client.files.shelf.received.filter(
      (file) => conversationOf(file.to, file.from).id === here || file.from.toLowerCase() === from?.toLowerCase(),
    );
    if (files.length === 0) {
      this.model.addSystem('no files received here (:send PATH sends one)');
      return;
    }
    const lines = files.map((file) => {
      const state = file.state === 'complete' ? (file.savedTo === undefined ? '' : `, saved as ${file.savedTo}`) : `, ${file.state}`;
      return `${file.attachment.id.slice(0, 8)}  ${describeAttachment(file.attachment)} from ${file.from}${state}`;
    });
    this.model.addSystem(escapeTags(`files here (:save ID [PATH] keeps one, :open ID shows a picture):\n${lines.join('\n')}`));
  }

  private async open(id: string): Promise<void> {
    try {
      const file = this.client.files.lookup(id);
      const still = await pictureStill(this.client.files.read(file.attachment.id, MAX_DRAWN_PICTURE_BYTES), this.video.stillBox);
      this.video.showStill(file.attachment.name, still.png, still.width, still.height);
    } catch (error) {
      this.model.addSystem(escapeTags(error instanceof Error ? error.message : String(error)), 'error');
    }
    this.changed();
  }

  private onProgress(progress: FileEvents['file-progress']): void {
    const share = progress.size === 0 ? 1 : progress.bytes / progress.size;
    const filled = Math.round(share * BAR_CELLS);
    const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_CELLS - filled)}] ${Math.floor(share * 100)}%`;
    const verb = progress.direction === 'up' ? 'sending' : 'receiving';
    const conversation = this.conversationOfTransfer(progress.id);
    this.model.setLine(lineKey(progress.id), `${verb} ${escapeTags(progress.name)} (${formatBytes(progress.size)}) ${bar}`, conversation);
    this.changed();
  }

  private async onArrived(file: FileEvents['file']): Promise<void> {
    const conversation = conversationOf(file.to, file.from).id;
    const short = file.id.slice(0, 8);
    const how = file.picture ? `:open ${short} shows it large, :save ${short} keeps it` : `:save ${short} keeps it`;
    this.model.setLine(lineKey(file.id), `${escapeTags(file.from)} sent ${escapeTags(describeAttachment(file))}: ${how}`, conversation);
    this.changed();
    if (!file.picture) return;
    try {
      const art = await pictureArt(this.client.files.read(file.id, MAX_DRAWN_PICTURE_BYTES), INLINE_PICTURE_COLS, INLINE_PICTURE_ROWS);
      this.model.addImage(`${file.name} from ${file.from}`, art.ansi, conversation);
    } catch (error) {
      this.model.addSystem(escapeTags(`${file.name} from ${file.from}: ${error instanceof Error ? error.message : String(error)}`), 'warning', conversation);
    }
    this.changed();
  }

  /** Where a transfer's line goes: the conversation of the file received, or of the upload. */
  private conversationOfTransfer(id: string): ConversationId {
    const upload = this.client.files.shelf.uploads.find((entry) => entry.attachment.id === id);
    return upload !== undefined ? conversationOf(upload.to, upload.to).id : this.conversationOfReceived(id);
  }

  private conversationOfReceived(id: string): ConversationId {
    const file = this.client.files.shelf.received.find((entry) => entry.attachment.id === id);
    return file === undefined ? ROOM_ID : conversationOf(file.to, file.from).id;
  }
}

/** A folder's entries for path completion after `:send` (`~` is the home folder). */
export function listDirectory(folder: string): Array<{ name: string; isFolder: boolean }> {
  return readdirSync(folder.replace(/^~(?=\/|$)/, homedir()), { withFileTypes: true }).map((entry) => ({ name: entry.name, isFolder: entry.isDirectory() }));
}

function lineKey(id: string): string {
  return `file:${id}`;
}
