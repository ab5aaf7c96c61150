// The `:` commands every view shares (who is online, whois, verify, trust, and the video remote),
// run once here; each view says how results look (the TUI as log lines, --json as events) and
// handles the few commands that only make sense to it (conversations, :clear, :quit, :play's box).
import { ChatError, ErrorCode } from '../core/errors.js';
import type { LineCommand } from './line-command.js';
import type { HistoryRecord } from './state/client-state.js';
import type { PeerView } from './peer-directory.js';
import type { VideoRemote } from './video-remote.js';
import type { Census, RoomModeChange, RoomView } from '../core/messages.js';

/** What the commands need of a client: a ChatSession (line mode) or a ChatClient (TUI). */
export interface CommandTarget {
  peers(): PeerView[];
  peer(name: string): PeerView | undefined;
  trust(name: string): PeerView;
  verify(name: string): PeerView;
  safetyNumberWith(name: string): string;
  /** Kept messages containing the text, newest first. */
  search(query: string): HistoryRecord[];
  /** Drops the messages held from NAME; returns how many. */
  discardHeld(name: string): number;
  /** Sets (or, with '', clears) the away message; everyone, you included, hears it as an 'away' event. */
  setAway(message: string): void;
  readonly video: VideoRemote;
  /** A named room we are in. The rest: requests the server answers with room events (or an error). */
  room(name: string): RoomView | undefined;
  joinRoom(room: string): void;
  partRoom(room: string): void;
  setTopic(room: string, topic: string): void;
  invite(room: string, name: string): void;
  kick(room: string, name: string, reason?: string): void;
  setMode(room: string, mode: RoomModeChange): void;
  listRooms(): void;
  /** True on a big server, which lists only those we follow: anyone else is looked up first. */
  readonly followsOnly: boolean;
  /** How many users the server had when we joined, as its welcome said. */
  readonly census: Census | undefined;
  /** Lists `name` if the server has such a user (see ChatSession.lookup). */
  lookup(name: string): Promise<boolean>;
}

/** How a view shows each result. */
export interface CommandOutput {
  /** `census`: on a big server, which lists only those we follow, how many users it has in all. */
  peers(peers: readonly PeerView[], census?: Census): void;
  whois(peer: PeerView): void;
  safetyNumber(name: string, number: string): void;
  verified(peer: PeerView): void;
  trusted(peer: PeerView): void;
  searchResults(query: string, found: readonly HistoryRecord[]): void;
  discarded(name: string, count: number): void;
  /** `:topic` without text, and `:members`: a room we are in. */
  topic(room: RoomView): void;
  members(room: RoomView): void;
  help(): void;
  /** A command that first looked someone up failed afterwards (its error cannot be thrown any more). */
  failed(error: ChatError): void;
}

/** The commands a view runs itself: the runner leaves them alone. */
export type ViewCommand = Extract<
  LineCommand,
  {
    kind:
      | 'say'
      | 'me'
      | 'dm'
      | 'room'
      | 'close'
      | 'play'
      | 'watch'
      | 'clear'
      | 'timestamps'
      | 'quit'
      | 'empty'
      | 'part'
      | 'send-file'
      | 'files'
      | 'save'
      | 'open';
  }
>;

export class CommandRunner {
  constructor(
    private readonly target: CommandTarget,
    private readonly output: CommandOutput,
  ) {}

  /**
   * Runs a shared command and returns undefined, or hands back a command the view runs itself.
   * `here`: the named room open in the view, if any (room commands without a #NAME act on it).
   * Throws ChatError (an unknown peer, nothing playing, bad usage) for the view to show.
   */
  run(command: LineCommand, here?: string): ViewCommand | undefined {
    switch (command.kind) {
      case 'join':
        this.target.joinRoom(command.room);
        return undefined;
      case 'part':
        // Without a room and none open: the view's to handle (the TUI closes a DM).
        if (command.room === null && here === undefined) return command;
        this.target.partRoom(command.room ?? here!);
        return undefined;
      case 'rooms':
        this.target.listRooms();
        return undefined;
      case 'topic': {
        const room = this.roomFor(command.room, here, ':topic #NAME TEXT');
        if (command.text === null) this.output.topic(this.joined(room));
        else this.target.setTopic(room, command.text);
        return undefined;
      }
      case 'members':
        // In the lobby: who is on the server (counted, past the big-server size, as :peers does).
        if (command.room === null && here === undefined) this.output.peers(this.target.peers(), this.target.followsOnly ? this.target.census : undefined);
        else this.output.members(this.joined(this.roomFor(command.room, here, ':members #NAME')));
        return undefined;
      case 'invite':
        this.target.invite(this.roomFor(command.room, here, ':invite NAME #ROOM'), command.name);
        return undefined;
      case 'kick':
        this.target.kick(this.roomFor(command.room, here, ':kick NAME #ROOM'), command.name, command.reason);
        return undefined;
      case 'mode':
        this.target.setMode(
          this.roomFor(command.room, here, ':mode #NAME +i'),
          command.flag === 'i' ? { inviteOnly: command.on } : { membersControlVideo: command.on },
        );
        return undefined;
      case 'peers':
        this.output.peers(this.target.peers(), this.target.followsOnly ? this.target.census : undefined);
        return undefined;
      case 'whois':
        return this.listedFirst(command.name, () => {
          const peer = this.target.peer(command.name);
          if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${command.name} is online or registered here`);
          this.output.whois(peer);
        });
      case 'verify':
        return this.listedFirst(command.name, () => {
          if (command.confirm) this.output.verified(this.target.verify(command.name));
          else this.output.safetyNumber(command.name, this.target.safetyNumberWith(command.name));
        });
      case 'trust':
        return this.listedFirst(command.name, () => this.output.trusted(this.target.trust(command.name)));
      case 'search':
        this.output.searchResults(command.query, this.target.search(command.query));
        return undefined;
      case 'discard':
        this.output.discarded(command.name, this.target.discardHeld(command.name));
        return undefined;
      case 'help':
        this.output.help();
        return undefined;
      case 'away':
        this.target.setAway(command.message);
        return undefined;
      case 'videos':
        this.target.video.list();
        return undefined;
      case 'stop':
        this.target.video.stop();
        return undefined;
      case 'pause':
        this.target.video.togglePause();
        return undefined;
      case 'seek':
        this.target.video.seek(command.seconds * 1000);
        return undefined;
      case 'invalid':
        throw new ChatError(ErrorCode.USAGE, command.message);
      default:
        return command;
    }
  }

  /**
   * Runs `action` now, or on a big server, for someone not listed, once they are looked up (a
   * round trip); its error then goes to the output, since run() has returned.
   */
  private listedFirst(name: string, action: () => void): undefined {
    if (!this.target.followsOnly || this.target.peer(name) !== undefined) {
      action();
      return undefined;
    }
    void this.target.lookup(name).then(() => {
      try {
        action();
      } catch (error) {
        if (!(error instanceof ChatError)) throw error;
        this.output.failed(error);
      }
    });
    return undefined;
  }

  /** The room a command names, or the open one. */
  private roomFor(named: string | null, here: string | undefined, usage: string): string {
    const room = named ?? here;
    if (room === undefined) throw new ChatError(ErrorCode.USAGE, `which room? open it first, or name it: ${usage}`);
    return room;
  }

  private joined(room: string): RoomView {
    const view = this.target.room(room);
    if (view === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${room}`);
    return view;
  }
}
