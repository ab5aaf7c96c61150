// The `:` commands every view shares (who is online, whois, verify, trust, and the video remote),
// run once here; each view says how results look (the TUI as log lines, --json as events) and
// handles the few commands that only make sense to it (conversations, :clear, :quit, :play's box).
import { ChatError, ErrorCode } from '../core/errors.js';
import type { LineCommand } from './line-command.js';
import type { HistoryRecord } from './state/client-state.js';
import type { PeerView } from './peer-directory.js';
import type { VideoRemote } from './video-remote.js';

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
}

/** How a view shows each result. */
export interface CommandOutput {
  peers(peers: readonly PeerView[]): void;
  whois(peer: PeerView): void;
  safetyNumber(name: string, number: string): void;
  verified(peer: PeerView): void;
  trusted(peer: PeerView): void;
  searchResults(query: string, found: readonly HistoryRecord[]): void;
  discarded(name: string, count: number): void;
  help(): void;
}

/** The commands a view runs itself: the runner leaves them alone. */
export type ViewCommand = Extract<LineCommand, { kind: 'say' | 'me' | 'dm' | 'room' | 'close' | 'play' | 'clear' | 'timestamps' | 'quit' | 'empty' }>;

export class CommandRunner {
  constructor(
    private readonly target: CommandTarget,
    private readonly output: CommandOutput,
  ) {}

  /**
   * Runs a shared command and returns undefined, or hands back a command the view runs itself.
   * Throws ChatError (an unknown peer, nothing playing, bad usage) for the view to show.
   */
  run(command: LineCommand): ViewCommand | undefined {
    switch (command.kind) {
      case 'peers':
        this.output.peers(this.target.peers());
        return undefined;
      case 'whois': {
        const peer = this.target.peer(command.name);
        if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${command.name} is online or registered here`);
        this.output.whois(peer);
        return undefined;
      }
      case 'verify':
        if (command.confirm) this.output.verified(this.target.verify(command.name));
        else this.output.safetyNumber(command.name, this.target.safetyNumberWith(command.name));
        return undefined;
      case 'trust':
        this.output.trusted(this.target.trust(command.name));
        return undefined;
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
}
