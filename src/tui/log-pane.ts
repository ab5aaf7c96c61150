// The log pane: the open conversation's lines, wrapped and scrolled (log-viewport.ts) in a box we
// paint ourselves (painted-box.ts), and its pictures in 24-bit color. blessed keeps 256 colors in
// its cells, so it draws a picture in the nearest of those; on a truecolor terminal the picture's
// rows are then written again as the picture made them, straight to the terminal over blessed's
// cells, after each render that moved them or redrew the screen (as the video pane draws frames).
// blessed's record of those cells is its 256-color picture, so whatever replaces the picture
// there (a scroll, another conversation) differs from it and is drawn over ours.
import type blessed from 'blessed';
import type { ColorMode } from '../client/video/half-block-renderer.js';
import { terminalWriter } from './blessed-internals.js';
import type { ChatViewModel } from './chat-view-model.js';
import { LogViewport, type PictureRow } from './log-viewport.js';
import { PaintedBox } from './painted-box.js';
import { logLabel, renderLog } from './render-panes.js';

/** One cell of a picture row: its colors and the half block. */
const PICTURE_CELL = /\u001b\[[0-9;]*m▀/g;

export class LogPane {
  readonly box: blessed.Widgets.BoxElement;
  readonly view: LogViewport;
  private readonly painted: PaintedBox;
  private readonly writer: ReturnType<typeof terminalWriter>;
  private pictures: readonly PictureRow[] = [];
  /** What was last written over blessed's cells (where, and what): written again only when it changes. */
  private drawnKey = '';

  constructor(
    parent: blessed.Widgets.Node,
    screen: blessed.Widgets.Screen,
    private readonly colorMode: ColorMode,
  ) {
    const border = { type: 'line' } as const;
    // Widths are set on each render (sidebarColumns): these are only where the first one starts.
    this.painted = new PaintedBox({
      parent,
      top: 0,
      left: '25%',
      width: '75%',
      height: '100%',
      label: ' #room ',
      mouse: true,
      border,
      style: { border: { fg: 'cyan' } },
    });
    this.box = this.painted.box;
    this.view = new LogViewport((tagged) => this.painted.tokens(tagged));
    this.writer = terminalWriter(screen);
  }

  /** The open conversation's rows, for the next render. */
  show(model: ChatViewModel): void {
    const conversation = model.currentConversation;
    this.box.setLabel(logLabel(model));
    // One column stays free for the scrollbar.
    const width = Math.max(1, this.painted.innerWidth - 1);
    const view = this.view.layout(conversation.id, conversation.entries.length, renderLog(conversation, model.showSeconds), width, this.painted.innerHeight);
    this.painted.setRows(view.rows, view.thumb);
    this.pictures = view.pictures;
  }

  /**
   * After blessed drew the screen: the pictures on view in 24-bit (truecolor terminals only; not
   * while something covers the log). `force`: the whole screen was drawn again (a resize).
   */
  afterRender(covered: boolean, force: boolean): void {
    if (this.colorMode !== 'truecolor' || covered || this.pictures.length === 0) {
      this.drawnKey = '';
      return;
    }
    const top = (this.box.atop as number) + (this.box.itop as unknown as number);
    const left = (this.box.aleft as number) + (this.box.ileft as unknown as number);
    const columns = this.painted.innerWidth - 1;
    const key = JSON.stringify([top, left, columns, this.pictures]);
    if (key === this.drawnKey && !force) return;
    this.drawnKey = key;
    let out = '\u001b7';
    for (const picture of this.pictures) {
      const cells = picture.ansi.match(PICTURE_CELL) ?? [];
      const room = Math.max(0, columns - picture.column);
      if (room === 0) continue;
      out += `\u001b[${top + picture.row + 1};${left + picture.column + 1}H${cells.slice(0, room).join('')}\u001b[0m`;
    }
    this.writer.beforeWrite();
    this.writer.write(Buffer.from(`${out}\u001b8`, 'utf8'));
  }
}
