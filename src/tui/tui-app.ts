// The full-screen client: a thin blessed view over ChatClient. Keys go to the pure InputLine and
// ChatViewModel; client events go to the view model; a throttled render draws both. No protocol or
// crypto code lives here.
// Over 400 lines on purpose: the layout, the key dispatch and the render loop share one screen's
// widgets; split further, each part would take a dozen widgets as arguments.
import blessed from 'blessed';
import type { ChatClient } from '../client/chat-client.js';
import { LINE_COMMANDS, parseLine } from '../client/line-command.js';
import { ChatError } from '../core/errors.js';
import { type CommandOutput, CommandRunner } from '../client/command-runner.js';
import { ChatViewModel, ROOM_ID } from './chat-view-model.js';
import { Completer } from './completion.js';
import { InputLine } from './input-line.js';
import { GLOBAL_KEYS, conversationNumberFor } from './key-map.js';
import { inputKey, peerListKey } from './input-keys.js';
import { feedClientToModel } from './client-feed.js';
import { commandOutputFor } from './command-output.js';
import { HelpOverlay } from './help-overlay.js';
import { createScreen, screenColors, screenText } from './blessed-internals.js';
import { useNamePaletteFor } from './markup.js';
import { sidebarColumns, terminalTitle } from './render-panes.js';
import { SidePanes } from './side-panes.js';
import { BottomBars } from './bottom-bars.js';
import { type PlayerKind, VideoPane } from './video-pane.js';
import { TuiFiles, listDirectory } from './tui-files.js';
import { TuiCommands } from './tui-commands.js';
import { BracketedPasteFilter, DISABLE_BRACKETED_PASTE, ENABLE_BRACKETED_PASTE } from './bracketed-paste.js';
import { LogPane } from './log-pane.js';
import type { ColorMode } from '../client/video/half-block-renderer.js';
import { detectColorMode } from '../client/video/terminal-video-player.js';
import type { NoticeBoard } from '../client/notice-board.js';

export const MIN_COLUMNS = 80;
export const MIN_ROWS = 24;
/** Redraws at most this often: bursts of messages coalesce into one frame (ink uses 30 fps too). */
const RENDER_INTERVAL_MS = 33;

export interface TuiOptions {
  readonly client: ChatClient;
  /** Shown in the status bar, e.g. "chat.example.org:7373". */
  readonly serverLabel: string;
  /** Where :play shows video unless told otherwise (--player). Default terminal. */
  readonly defaultPlayer?: PlayerKind;
  /** --ffplay PATH; else ffplay on PATH. */
  readonly ffplayPath?: string;
  /** Default: truecolor when COLORTERM says so, else 256 colors. */
  readonly colorMode?: ColorMode;
  /** Ring the terminal bell on a DM or a line naming you (--no-bell: false). Default true. */
  readonly bell?: boolean;
  /** Notices from below the UI (a newly pinned server certificate), shown in the room log. */
  readonly notices?: NoticeBoard;
  /**
   * The terminal: its input and output streams and its terminfo name. Default process.stdin,
   * process.stdout and $TERM; specs pass a fake terminal (spec/helpers/fake-terminal.ts).
   */
  readonly terminal?: TerminalStreams;
}

export interface TerminalStreams {
  readonly input: NodeJS.ReadableStream;
  readonly output: NodeJS.WritableStream;
  readonly term?: string;
  /** $COLORTERM: "truecolor" inside tmux or screen says the terminal does more than 8 colors. */
  readonly colorterm?: string;
}

/** A running TUI: when it ends (with the exit code, the terminal restored), and what it shows now. */
export interface TuiHandle {
  readonly done: Promise<number>;
  /** The screen as blessed last drew it, one line per row, without colors. */
  screenText(): string;
}

/** Runs until the user quits; resolves with the exit code after the terminal is restored. */
export function runTui(options: TuiOptions): Promise<number> {
  return startTui(options).done;
}

export function startTui(options: TuiOptions): TuiHandle {
  let app: TuiApp | undefined;
  const done = new Promise<number>((resolve) => {
    app = new TuiApp(options, resolve);
    app.start();
  });
  return { done, screenText: () => app!.screenText() };
}

class TuiApp {
  private readonly client: ChatClient;
  private readonly model: ChatViewModel;
  private readonly line = new InputLine();
  private readonly completer = new Completer();
  private readonly screen: blessed.Widgets.Screen;
  private readonly paste: BracketedPasteFilter;
  private readonly main: blessed.Widgets.BoxElement;
  /** Rooms and peers on the left, the log on the right, the activity, input and status rows below. */
  private readonly sides: SidePanes;
  private readonly log: LogPane;
  private readonly bars: BottomBars;
  private title = 'tui-chat';
  /** A DM or a mention arrived since the last frame: ring once per frame, however many came. */
  private bellDue = false;
  private readonly help: HelpOverlay;
  private readonly tooSmallBox: blessed.Widgets.BoxElement;
  private readonly video: VideoPane;
  private readonly files: TuiFiles;
  private readonly commands: CommandRunner;
  /** The `:` commands as this screen runs them. */
  private readonly tuiCommands: TuiCommands;
  private renderTimer: NodeJS.Timeout | undefined;
  private quitting = false;

  constructor(
    private readonly options: TuiOptions,
    private readonly done: (code: number) => void,
  ) {
    this.client = options.client;
    this.model = new ChatViewModel(this.client.name);
    if (options.bell !== false) this.model.onHighlight = () => (this.bellDue = true);
    const terminal = options.terminal ?? { input: process.stdin, output: process.stdout, term: process.env['TERM'], colorterm: process.env['COLORTERM'] };
    // Pastes are taken out of the input before blessed reads keys (see bracketed-paste.ts).
    this.paste = new BracketedPasteFilter(terminal.input, (text) => {
      if (this.model.helpVisible || this.quitting) return;
      this.model.focus = 'input';
      this.line.insertPaste(text);
      this.scheduleRender();
    });
    this.screen = createScreen('tui-chat', { ...terminal, input: this.paste });
    terminal.output.write(ENABLE_BRACKETED_PASTE);
    useNamePaletteFor(screenColors(this.screen));
    // blessed installs process-wide handlers that exit on uncaught errors; this is the TUI process,
    // where that is acceptable, and the daemon never loads this file (spec/architecture.spec.ts).
    this.main = blessed.box({ parent: this.screen, top: 0, left: 0, width: '100%', height: this.mainHeight(1) });
    // The main area: peers a quarter, the log the rest (percentages of the parent, as blessed does).
    this.sides = new SidePanes(this.main);
    const colorMode = options.colorMode ?? detectColorMode();
    this.log = new LogPane(this.main, this.screen, colorMode);
    this.bars = new BottomBars(this.screen);
    this.help = new HelpOverlay(this.screen);
    this.commands = new CommandRunner(this.client, this.commandOutput());
    this.video = new VideoPane({
      screen: this.screen,
      client: this.client,
      defaultPlayer: options.defaultPlayer ?? 'terminal',
      ffplayPath: options.ffplayPath,
      colorMode,
      say: (text, kind = 'system') => {
        this.model.addSystem(text, kind);
        this.scheduleRender();
      },
      showImage: (caption, ansi) => {
        this.model.addImage(caption, ansi);
        this.scheduleRender();
      },
      changed: () => this.scheduleRender(),
    });
    this.files = new TuiFiles(this.client, this.model, this.video, () => this.scheduleRender());
    this.tuiCommands = new TuiCommands({
      client: this.client,
      model: this.model,
      commands: this.commands,
      video: this.video,
      files: this.files,
      send: (to, text) => this.send(to, text),
      quit: () => this.quit(),
      changed: () => this.scheduleRender(),
    });
    // Declared after the video pane so that it covers the pane when shown.
    this.help.toFront();
    this.tooSmallBox = blessed.box({ parent: this.screen, hidden: true, top: 0, left: 0, width: '100%', height: '100%', tags: true });
  }

  start(): void {
    this.screen.on('keypress', (ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg) => this.onKey(ch, key));
    this.screen.on('resize', () => this.render(true));
    // Clicks: a peer opens its DM, a room or a conversation on the activity bar opens it.
    this.sides.bindClicks(this.model, () => this.scheduleRender());
    this.bars.bindClicks(this.model, () => this.scheduleRender());
    this.log.box.on('wheelup', () => this.scrollLog(-3));
    this.log.box.on('wheeldown', () => this.scrollLog(3));
    this.bindClient();
    this.options.notices?.subscribe((text) => {
      this.model.addSystem(text, 'warning', ROOM_ID);
      this.scheduleRender();
    });
    this.model.addSystem(`connecting to ${this.options.serverLabel} as ${this.client.name}…`, 'system', ROOM_ID);
    this.client.start();
    this.render(true);
  }

  // ---- client events -------------------------------------------------------------------------

  private bindClient(): void {
    feedClientToModel(this.client, this.model, () => this.scheduleRender());
  }

  // ---- keys ----------------------------------------------------------------------------------

  private onKey(ch: string | undefined, key: blessed.Widgets.Events.IKeyEventArg): void {
    const name = key.full;
    if (this.model.helpVisible) {
      if (name === 'escape' || name === 'f1' || name === 'q' || name === 'C-c') this.toggleHelp(false);
      else this.help.scroll(name);
      this.scheduleRender();
      return;
    }
    const global = GLOBAL_KEYS[name];
    if (global !== undefined) return this.onGlobal(global);
    const conversation = conversationNumberFor(name);
    if (conversation !== undefined) {
      this.model.switchToIndex(conversation);
      return this.scheduleRender();
    }
    if (this.model.focus === 'peers') {
      if (peerListKey(this.model, name)) this.scheduleRender();
      return;
    }
    this.onInputKey(ch, name);
  }

  private onGlobal(action: (typeof GLOBAL_KEYS)[string]): void {
    switch (action) {
      case 'quit':
        return void this.quit();
      case 'help':
        return this.toggleHelp(true);
      case 'next-conversation':
        this.model.cycle(1);
        break;
      case 'previous-conversation':
        this.model.cycle(-1);
        break;
      case 'scroll-up':
        return this.scrollLog(-this.log.view.page);
      case 'scroll-down':
        return this.scrollLog(this.log.view.page);
      case 'redraw':
        this.screen.realloc();
        this.render(true);
        return;
    }
    this.scheduleRender();
  }

  private onInputKey(ch: string | undefined, name: string): void {
    const outcome = inputKey(
      {
        line: this.line,
        completer: this.completer,
        model: this.model,
        log: this.log.view,
        completions: () => ({
          peers: this.model.peers.map((p) => p.name),
          commands: Object.keys(LINE_COMMANDS),
          videos: this.video.knownVideos,
          rooms: [...this.model.rooms.map((room) => room.name), ...this.model.listedRooms],
          listDirectory,
        }),
      },
      ch,
      name,
    );
    if (outcome.kind === 'help') return this.toggleHelp(true);
    if (outcome.kind === 'ignored') return;
    if (outcome.kind === 'submit') this.onLine(outcome.line);
    this.scheduleRender();
  }

  // ---- commands ------------------------------------------------------------------------------

  private onLine(line: string): void {
    const command = parseLine(line);
    try {
      this.tuiCommands.run(command);
    } catch (error) {
      if (!(error instanceof ChatError)) throw error;
      this.model.addSystem(error.message, 'error');
    }
    this.log.view.toBottom();
  }

  /** Rows down (positive) or up (negative) in the open conversation's log. */
  private scrollLog(rows: number): void {
    this.log.view.scrollBy(rows);
    this.scheduleRender();
  }

  /** How the shared commands (CommandRunner) show their results here: as log lines. */
  private commandOutput(): CommandOutput {
    return commandOutputFor(
      this.model,
      () => this.client.peers(),
      () => this.toggleHelp(true),
      () => this.scheduleRender(),
    );
  }

  private send(to: string | null, text: string): void {
    const outcome = this.client.send(to, text);
    // A line waiting for its recipient's lookup (a round trip) shows as sending, not as offline.
    const offline = outcome.status === 'queued' && outcome.waitingFor === 'connection';
    this.model.addOutgoing(to, text, offline, outcome.status === 'queued' ? outcome.id : outcome.sent.id);
  }

  private toggleHelp(visible: boolean): void {
    this.model.helpVisible = visible;
    this.video.setHidden(visible);
    if (visible) this.help.rewind();
    this.render(true);
    this.help.label();
  }

  screenText(): string {
    return screenText(this.screen);
  }

  private async quit(): Promise<void> {
    if (this.quitting) return;
    this.quitting = true;
    clearTimeout(this.renderTimer);
    // Restore the terminal first (cursor, modes, alternate screen), then say goodbye.
    (this.screen.program as unknown as { output: NodeJS.WritableStream }).output.write(DISABLE_BRACKETED_PASTE);
    this.screen.destroy();
    this.paste.detach();
    await this.client.stop();
    this.done(0);
  }

  // ---- drawing -------------------------------------------------------------------------------

  private scheduleRender(): void {
    if (this.renderTimer !== undefined || this.quitting) return;
    this.renderTimer = setTimeout(() => {
      this.renderTimer = undefined;
      this.render(false);
    }, RENDER_INTERVAL_MS);
  }

  /** What is left for the peers and the log: the screen less the input, activity and status rows. */
  private mainHeight(inputRows: number): number {
    return Math.max(1, (this.screen.height as number) - inputRows - 2);
  }

  private render(force: boolean): void {
    if (this.quitting) return;
    const width = this.screen.width as number;
    const height = this.screen.height as number;
    const tooSmall = width < MIN_COLUMNS || height < MIN_ROWS;
    this.tooSmallBox.hidden = !tooSmall;
    this.video.setHidden(tooSmall || this.model.helpVisible);
    if (tooSmall) {
      this.tooSmallBox.setContent(
        `\n  tui-chat needs a terminal of at least ${MIN_COLUMNS}x${MIN_ROWS}.\n  This one is ${width}x${height}: please make it larger.`,
      );
      this.tooSmallBox.setFront();
      this.screen.render();
      return;
    }
    const inputRows = this.bars.drawInput(this.model, this.line, width);
    const title = terminalTitle(this.model);
    if (title !== this.title) {
      this.title = title;
      this.screen.title = title;
    }
    if (this.bellDue) {
      this.bellDue = false;
      this.screen.program.bell();
    }
    const mainHeight = this.mainHeight(inputRows);
    this.main.height = mainHeight;
    // The left column: rooms above peers; the log and the video pane take the rest.
    const sidebar = sidebarColumns(this.screen.width as number);
    this.log.box.left = sidebar;
    this.log.box.width = Math.max(1, (this.screen.width as number) - sidebar);

    // The video pane, when playing, takes the top of the right column; the log gets the rest.
    const videoRows = this.video.layout({ left: this.log.box.aleft as number, width: this.log.box.width as number, height: mainHeight });
    this.log.box.top = videoRows;
    this.log.box.height = mainHeight - videoRows;
    this.model.playing = this.video.statusText;

    this.sides.draw(this.model, sidebar, mainHeight);
    this.log.show(this.model);
    this.bars.drawStatus(this.model, { server: this.options.serverLabel, fingerprint: this.client.fingerprint }, this.screen.width as number);
    this.help.place(this.model.helpVisible);
    this.screen.render();
    this.video.afterRender(force);
    this.log.afterRender(this.model.helpVisible, force);
  }
}
