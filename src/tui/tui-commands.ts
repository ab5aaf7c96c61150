// The `:` commands as the TUI runs them: the shared ones through CommandRunner (rooms, trust,
// away, ...), then what only a screen does with them: saying a line in the open conversation,
// opening and closing conversations, `:dm`, video in the pane, files, searching the open log.
import type { ChatClient } from '../client/chat-client.js';
import type { CommandRunner } from '../client/command-runner.js';
import { ACTION_PREFIX, type LineCommand } from '../client/line-command.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import type { ChatViewModel } from './chat-view-model.js';
import { directMessage } from './dm-command.js';
import type { TuiFiles } from './tui-files.js';
import type { VideoPane } from './video-pane.js';

export interface TuiCommandParts {
  readonly client: ChatClient;
  readonly model: ChatViewModel;
  readonly commands: CommandRunner;
  readonly video: VideoPane;
  readonly files: TuiFiles;
  /** Says a line in a conversation (shown as ours, with its delivery state). */
  send(to: string | null, text: string): void;
  quit(): Promise<void>;
  /** Something shown changed: redraw. */
  changed(): void;
}

export class TuiCommands {
  constructor(private readonly parts: TuiCommandParts) {}

  run(line: LineCommand): void {
    if (line.kind === 'search' && !line.everywhere) return this.searchConversation(line.query);
    // :stop closes a picture :open showed (there is no stream to stop then).
    if (line.kind === 'stop' && this.parts.video.closeStill()) return;
    const command = this.parts.commands.run(line, this.parts.model.currentRoom);
    switch (command?.kind) {
      case undefined:
      case 'empty':
        return;
      case 'say':
        return this.parts.send(this.parts.model.currentTarget, command.text);
      case 'me':
        return this.parts.send(this.parts.model.currentTarget, `${ACTION_PREFIX}${command.action}`);
      case 'part':
        // No room open and none named: in a DM it closes the conversation, as irssi's /part does a query.
        if (!this.parts.model.closeCurrent()) throw new ChatError(ErrorCode.USAGE, 'the lobby stays: :part #NAME leaves a room');
        return;
      case 'close':
        if (!this.parts.model.closeCurrent()) throw new ChatError(ErrorCode.USAGE, 'the room stays open: :close closes a DM conversation');
        return;
      case 'timestamps':
        this.parts.model.showSeconds = command.seconds;
        return;
      case 'dm':
        return directMessage(command, {
          client: this.parts.client,
          model: this.parts.model,
          send: (to, text) => this.parts.send(to, text),
          changed: () => this.parts.changed(),
        });
      case 'room':
        return this.parts.model.openRoom();
      case 'play':
        return this.parts.video.play(command.video, command.ffplay, this.parts.model.currentRoom);
      case 'watch': {
        const room = command.room ?? this.parts.model.currentRoom;
        if (room === undefined) throw new ChatError(ErrorCode.USAGE, 'watch with which room? open it, or :watch VIDEO #ROOM');
        const video = command.video ?? this.parts.model.watching.of(room);
        if (video === undefined) throw new ChatError(ErrorCode.USAGE, `nothing is playing in ${room}: :watch VIDEO starts one for it`);
        return this.parts.video.play(video, false, room);
      }
      case 'clear':
        return this.parts.model.clearCurrent();
      case 'quit':
        return void this.parts.quit();
      case 'send-file':
      case 'files':
      case 'save':
      case 'open':
        return this.parts.files.run(command);
    }
  }

  /** `:search TEXT` without --all: the open conversation's log (which holds the kept history too). */
  private searchConversation(query: string): void {
    const found = this.parts.model.searchCurrent(query);
    const elsewhere = `:search --all ${query} looks in every conversation kept on this device`;
    if (found.length === 0) {
      this.parts.model.addSystem(`nothing in this conversation contains "${query}" (${elsewhere})`);
      return;
    }
    const lines = found.map((entry) => `${new Date(entry.ts).toTimeString().slice(0, 5)} <${entry.from}> ${entry.text}`);
    this.parts.model.addSystem(
      `${found.length} line${found.length === 1 ? '' : 's'} here containing "${query}", oldest first (${elsewhere}):\n${lines.join('\n')}`,
    );
  }
}
