// The video pane of the TUI: a bordered box above the log that blessed leaves empty, and a player
// that writes frames straight to the terminal inside it (blessed only knows 256 colors). Also the
// ffplay alternative, and the :videos / :play / :stop / :pause / :seek commands.
import blessed from 'blessed';
import type { ChatClient } from '../client/chat-client.js';
import type { StreamStartMessage, VideoInfo } from '../core/messages.js';
import { MediaEncoding } from '../core/media-frame.js';
import { FfplaySink, findFfplay } from '../client/video/ffplay-sink.js';
import type { ColorMode } from '../client/video/half-block-renderer.js';
import { TerminalVideoPlayer, type VideoArea } from '../client/video/terminal-video-player.js';
import { escapeTags } from './markup.js';
import { forgetDrawnCells, terminalWriter } from './blessed-internals.js';

export type PlayerKind = 'terminal' | 'ffplay';

export interface VideoPaneOptions {
  readonly screen: blessed.Widgets.Screen;
  readonly client: ChatClient;
  readonly defaultPlayer: PlayerKind;
  readonly ffplayPath: string | undefined;
  readonly colorMode: ColorMode;
  /** Adds a line to the log. */
  readonly say: (text: string, kind?: 'system' | 'error' | 'warning') => void;
  /** Adds a picture (ANSI) with a caption to the log. */
  readonly showImage: (caption: string, ansi: string) => void;
  /** Something about the pane changed: re-lay out and redraw. */
  readonly changed: () => void;
}

/** The video takes at most this share of the right column's height; the log keeps the rest. */
const MAX_VIDEO_SHARE = 0.62;
/** Rows the log keeps below the video, at least. */
const MIN_LOG_ROWS = 6;

/** How the current stream is shown; what it is (name, position, paused) lives in the client's VideoRemote. */
interface ActiveStream {
  readonly kind: PlayerKind;
  /** The ffplay binary, for kind 'ffplay' (checked before the request went out). */
  readonly ffplayPath: string | undefined;
  readonly name: string;
  terminal: TerminalVideoPlayer | undefined;
  ffplay: FfplaySink | undefined;
  /** The pixel box last asked of the server. */
  requested: { width: number; height: number };
  /** A picture (`:open`), not a stream: no server to tell when it closes. */
  readonly still?: boolean;
}

export class VideoPane {
  readonly box: blessed.Widgets.BoxElement;
  private readonly options: VideoPaneOptions;
  private stream: ActiveStream | undefined;
  private drawnArea = '';
  /** Screen cells our frames cover, 0-based and exclusive at the end, while blessed thinks they are blank. */
  private painted: { xi: number; xl: number; yi: number; yl: number } | undefined;
  private column = { left: 0, width: 0, height: 0 };
  private hidden = false;
  private listed: string[] = [];

  constructor(options: VideoPaneOptions) {
    this.options = options;
    this.box = blessed.box({
      parent: options.screen,
      hidden: true,
      top: 0,
      left: 0,
      width: 10,
      height: 4,
      border: { type: 'line' },
      tags: true,
      style: { border: { fg: 'magenta' } },
    });
    const client = options.client;
    client.on('videos', (videos) => this.onVideos(videos));
    client.on('poster', ({ name, jpeg }) => void this.showPoster(name, jpeg));
    client.on('stream-start', (start) => this.onStreamStart(start));
    client.on('stream-status', (status) => {
      if (client.video.isCurrent(status.stream)) options.changed();
    });
    client.on('stream-end', (end) => {
      const stream = this.stream;
      if (stream === undefined || !client.video.isCurrent(end.stream)) return;
      const stats = stream.terminal?.stats;
      const drawn =
        stats === undefined
          ? ''
          : `; drew ${stats.drawn}, ${Math.round(stats.bytesWritten / Math.max(1, stats.drawn) / 1024)} KB a frame, quality level ${stats.qualityLevel}`;
      const detail = `${end.sent} frames sent, ${end.dropped} dropped by the server, ${stats?.skipped ?? 0} skipped here${drawn}`;
      if (end.reason === 'error') options.say(`${stream.name} failed: ${end.message} (${detail})`, 'error');
      else options.say(`${end.reason === 'finished' ? 'finished' : 'stopped'} ${stream.name}: ${detail}`);
      this.close(false);
    });
    client.on('video-frame', (frame) => {
      const stream = this.stream;
      if (stream === undefined || !client.video.isCurrent(frame.stream)) return;
      stream.terminal?.onFrame(frame);
      stream.ffplay?.onFrame(frame);
    });
    client.on('error', () => {
      // The server refused the play (no such video, busy…): the remote forgot it; the empty pane
      // and its "▶ NAME 0.0s/…" go too. The error itself is shown in the log like any other.
      if (this.stream !== undefined && client.video.current === undefined) this.close(false);
    });
    client.on('state', ({ state }) => {
      // The server drops streams with the connection; so does the pane.
      if (state !== 'online' && this.stream !== undefined) this.close(false);
    });
  }

  get isShowing(): boolean {
    return this.stream?.kind === 'terminal';
  }

  /** For the status bar: "name 1.2s/5.0s", or null when nothing plays. */
  get statusText(): string | null {
    const stream = this.stream;
    if (stream?.still === true) return `${stream.name} (:stop closes it)`;
    const state = this.options.client.video.current;
    if (stream === undefined || state === undefined) return null;
    const duration = state.start === undefined ? '…' : `${(state.start.durationMs / 1000).toFixed(1)}s`;
    const where = stream.kind === 'ffplay' ? ' in ffplay' : '';
    const skipped = state.serverDropped + (stream.terminal?.stats.skipped ?? 0);
    const drops = skipped > 0 ? ` (${skipped} dropped)` : '';
    return `${stream.name} ${(state.positionMs / 1000).toFixed(1)}s/${duration}${state.paused ? ' paused' : ''}${drops}${where}`;
  }

  list(): void {
    this.options.client.video.list();
  }

  /** `room`: watch with that room (its one shared stream, in the terminal); else a stream of our own. */
  play(name: string, ffplay: boolean, room?: string): void {
    // A room's stream is drawn here: ffplay gets a private one (it wants other frames).
    const kind: PlayerKind = ffplay ? 'ffplay' : room !== undefined ? 'terminal' : this.options.defaultPlayer;
    // Fail before asking the server if ffplay is missing.
    const ffplayPath = kind === 'ffplay' ? findFfplay(this.options.ffplayPath) : undefined;
    this.close(true);
    const requested = kind === 'ffplay' ? { width: 640, height: 360 } : this.pixelBox();
    // The terminal draws pane-size frames: lossless PNG keeps the picture (JPEG's noise cost ~8 dB
    // and repainted most cells every frame); ffplay's larger frames travel as JPEG.
    this.options.client.video.play(name, requested.width, requested.height, kind === 'terminal' ? 'png' : 'jpeg', kind === 'terminal' ? room : undefined);
    this.stream = { kind, ffplayPath, name, terminal: undefined, ffplay: undefined, requested };
    this.options.changed();
  }

  stop(): void {
    this.options.client.video.stop();
  }

  /** The pixels a picture may fill in the pane. */
  get stillBox(): { width: number; height: number } {
    return this.pixelBox();
  }

  /** `:open`: a picture (PNG, at most stillBox) shown large in the pane until :stop or the next video. */
  showStill(name: string, png: Buffer, width: number, height: number): void {
    this.close(true);
    const terminal = new TerminalVideoPlayer({ colorMode: this.options.colorMode, fps: 1, ...terminalWriter(this.options.screen) });
    this.stream = { kind: 'terminal', ffplayPath: undefined, name, terminal, ffplay: undefined, requested: { width, height }, still: true };
    terminal.onFrame({ stream: 0, seq: 0, ptsMs: 0, width, height, encoding: MediaEncoding.PNG, payload: png });
    this.drawnArea = '';
    this.options.changed();
  }

  /** Closes a picture `:open` showed; false when none shows. */
  closeStill(): boolean {
    if (this.stream?.still !== true) return false;
    this.close(false);
    return true;
  }

  togglePause(): void {
    this.options.client.video.togglePause();
  }

  seek(seconds: number): void {
    this.options.client.video.seek(seconds * 1000);
  }

  /** Overlays (help) cover the pane: stop drawing until they close. */
  setHidden(hidden: boolean): void {
    this.hidden = hidden;
    this.stream?.terminal?.setHidden(hidden);
  }

  /**
   * Places the pane at the top of the right column and returns the rows it takes (0 when no video
   * shows in the terminal). Called on every layout, before blessed renders.
   */
  layout(column: { left: number; width: number; height: number }): number {
    this.column = column;
    const stream = this.stream;
    this.box.hidden = stream?.kind !== 'terminal';
    if (stream === undefined || stream.kind !== 'terminal') {
      this.repaintUnderFrames();
      return 0;
    }
    const start = stream.still === true ? undefined : this.options.client.video.current?.start;
    const pictureHeight = stream.still === true ? stream.requested.height : start?.height;
    const rows = pictureHeight === undefined ? 1 : Math.ceil(pictureHeight / 2);
    const height = Math.min(rows + 2, this.maxRows() + 2);
    this.box.left = column.left;
    this.box.top = 0;
    this.box.width = column.width;
    this.box.height = height;
    this.box.setLabel(` ▶ ${escapeTags(stream.name)} `);
    // Resize the stream when the box it may use changed (terminal resized).
    const box = this.pixelBox();
    if (start !== undefined && (box.width !== stream.requested.width || box.height !== stream.requested.height)) {
      stream.requested = box;
      this.options.client.video.resize(box.width, box.height);
    }
    return height;
  }

  /** After blessed drew the screen: point the player at the pane's inside, repainting if it moved. */
  afterRender(forceRepaint: boolean): void {
    const player = this.stream?.terminal;
    if (player === undefined || this.box.hidden) return;
    const area: VideoArea = {
      top: (this.box.atop as number) + 2,
      left: (this.box.aleft as number) + 2,
      cols: (this.box.width as number) - 2,
      rows: (this.box.height as number) - 2,
    };
    const key = JSON.stringify(area);
    if (key !== this.drawnArea) {
      this.drawnArea = key;
      this.repaintUnderFrames();
      // Make blessed redraw what our old frames covered once the pane moved (next render).
      if (this.painted !== undefined) this.options.changed();
      player.setArea(area);
      this.painted = { xi: area.left - 1, xl: area.left - 1 + area.cols, yi: area.top - 1, yl: area.top - 1 + area.rows };
    } else if (forceRepaint) {
      player.invalidate();
    }
    player.setHidden(this.hidden);
  }

  /**
   * blessed believes the cells under our frames are blank (it never drew them), so when the pane
   * closes or moves it would leave our pixels behind. Marking its record of those cells as unknown
   * makes its next render rewrite them.
   */
  private repaintUnderFrames(): void {
    const region = this.painted;
    if (region === undefined) return;
    this.painted = undefined;
    forgetDrawnCells(this.options.screen, region);
  }

  /** Names from the server's last video listing, for completing `:play`. */
  get knownVideos(): readonly string[] {
    return this.listed;
  }

  private onVideos(videos: readonly VideoInfo[]): void {
    this.listed = videos.map((video) => video.name);
    if (videos.length === 0) {
      this.options.say('the server offers no videos');
      return;
    }
    const rows = videos.map(
      (v) => `  ${v.name}  ${(v.durationMs / 1000).toFixed(1)}s  ${v.width}x${v.height}  ${Math.round(v.fps * 100) / 100} fps  ${formatBytes(v.bytes)}`,
    );
    this.options.say(`videos (:play NAME):\n${rows.join('\n')}`);
    // A still of each (the first few), drawn by terminal-image below the list.
    for (const video of videos.slice(0, MAX_POSTERS)) this.options.client.video.poster(video.name, POSTER_COLS, POSTER_ROWS * 2);
  }

  private async showPoster(name: string, jpeg: Buffer): Promise<void> {
    try {
      const ansi = await renderPoster(jpeg);
      this.options.showImage(name, ansi);
    } catch {
      // A still that does not decode is simply not shown.
    }
  }

  private onStreamStart(start: StreamStartMessage): void {
    const stream = this.stream;
    if (stream === undefined || !this.options.client.video.isCurrent(start.stream)) return;
    if (stream.kind === 'ffplay') {
      if (stream.ffplay === undefined) {
        stream.ffplay = new FfplaySink(stream.ffplayPath!, `tui-chat: ${start.name}`, start.fps, () => {
          if (this.stream === stream) this.stop();
        });
        this.options.say(`playing ${start.name} in ffplay`);
      }
    } else if (stream.terminal === undefined) {
      stream.terminal = new TerminalVideoPlayer({ colorMode: this.options.colorMode, fps: start.fps, ...terminalWriter(this.options.screen) });
      this.drawnArea = '';
    }
    this.drawnArea = '';
    this.options.changed();
  }

  private close(announce: boolean): void {
    const stream = this.stream;
    if (stream === undefined) return;
    this.stream = undefined;
    stream.terminal?.stop();
    stream.ffplay?.end();
    if (announce && this.options.client.video.current?.start !== undefined && this.options.client.state === 'online') {
      this.options.client.video.stop();
    }
    this.drawnArea = '';
    this.options.changed();
  }

  private maxRows(): number {
    return Math.max(2, Math.min(Math.floor(this.column.height * MAX_VIDEO_SHARE), this.column.height - MIN_LOG_ROWS) - 2);
  }

  /** The pixels the pane can show: its inner width, two pixel rows per cell row. */
  private pixelBox(): { width: number; height: number } {
    return { width: Math.max(2, this.column.width - 2), height: this.maxRows() * 2 };
  }
}

/** Posters shown per :videos, and their size in cells. */
const MAX_POSTERS = 8;
const POSTER_COLS = 24;
const POSTER_ROWS = 6;

/**
 * terminal-image draws the still as ANSI half blocks (never a native image protocol, which would
 * write to the terminal behind blessed's back). It takes ~35 ms an image: fine for a listing,
 * never used per frame. Colors: blessed maps 24-bit escapes to its palette, so ask chalk for them.
 */
async function renderPoster(jpeg: Buffer): Promise<string> {
  process.env['FORCE_COLOR'] ??= '3';
  const { default: terminalImage } = await import('terminal-image');
  return terminalImage.buffer(jpeg, { width: POSTER_COLS, height: POSTER_ROWS, preserveAspectRatio: true, preferNativeRender: false });
}

function formatBytes(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(1)} MB` : `${Math.round(bytes / 1024)} KB`;
}
