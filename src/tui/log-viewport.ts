// Which rows of a conversation's log are on screen. The log is wrapped here (by display width,
// with a hanging indent) and scrolled here, by rows counted from the bottom: blessed's own scroll
// state went stale when the content changed under it (a switched conversation or a grown window
// showed an empty pane until PgUp). While scrolled up the view stays put as lines arrive, and the
// last row says how many came in below.
import type { LogLine } from './render-panes.js';
import { type StyledRow, type StyledToken, clipRow, wrapRows } from './styled-rows.js';

/** Columns a row of tokens takes. */
function rowWidth(tokens: readonly StyledToken[]): number {
  return tokens.reduce((sum, token) => sum + ('sgr' in token ? 0 : token.width), 0);
}

/** Wrapped lines kept between renders; past this the cache starts over (a log holds 5,000 entries). */
const MAX_CACHED_LINES = 20_000;

export interface LogView {
  readonly rows: StyledRow[];
  /** The scrollbar thumb, in rows from the top, when the log is taller than the pane. */
  readonly thumb: { readonly from: number; readonly to: number } | null;
  /** The picture rows among `rows` (preformatted lines), as drawn: their ANSI and the column they start at. */
  readonly pictures: readonly PictureRow[];
}

export interface PictureRow {
  /** Row in the pane, from its top. */
  readonly row: number;
  readonly column: number;
  /** The row as the picture made it (24-bit escapes): what a truecolor terminal can show as it is. */
  readonly ansi: string;
}

export class LogViewport {
  private fromBottom = 0;
  private newBelow = 0;
  private total = 0;
  private height = 1;
  private width = 0;
  private conversation: string | null = null;
  private entries = 0;
  private readonly wrapped = new Map<string, StyledRow[]>();

  constructor(private readonly toTokens: (tagged: string) => StyledToken[]) {}

  /** Rows one page moves: the pane's height less a little overlap to keep one's place. */
  get page(): number {
    return Math.max(1, this.height - 2);
  }

  /** Scrolls by rows: negative goes back in time. */
  scrollBy(rows: number): void {
    this.fromBottom = Math.max(0, Math.min(this.maxFromBottom(), this.fromBottom - rows));
    if (this.fromBottom === 0) this.newBelow = 0;
  }

  toTop(): void {
    this.fromBottom = this.maxFromBottom();
  }

  toBottom(): void {
    this.fromBottom = 0;
    this.newBelow = 0;
  }

  /** The rows to show for `lines` (a conversation with `entryCount` entries) in a width x height pane. */
  layout(conversation: string, entryCount: number, lines: readonly LogLine[], width: number, height: number): LogView {
    if (conversation !== this.conversation) this.toBottom();
    const rows: StyledRow[] = [];
    const pictureAt = new Map<number, Omit<PictureRow, 'row'>>();
    for (const line of lines) {
      if (line.preformatted === true) pictureAt.set(rows.length, { column: rowWidth(this.toTokens(line.prefix)), ansi: line.body });
      rows.push(...this.wrap(line, width));
    }
    if (this.fromBottom > 0 && conversation === this.conversation) {
      // Keep the same rows in view as lines arrive below; a resize keeps the distance instead.
      if (width === this.width && rows.length > this.total) this.fromBottom += rows.length - this.total;
      if (entryCount > this.entries) this.newBelow += entryCount - this.entries;
    }
    this.conversation = conversation;
    this.entries = entryCount;
    this.total = rows.length;
    this.width = width;
    this.height = Math.max(1, height);
    this.fromBottom = Math.min(this.fromBottom, this.maxFromBottom());
    if (this.fromBottom === 0) this.newBelow = 0;
    const viewHeight = this.fromBottom > 0 ? this.height - 1 : this.height;
    const end = rows.length - this.fromBottom;
    const start = Math.max(0, end - viewHeight);
    const shown = rows.slice(start, end);
    if (this.fromBottom > 0) shown.push(this.toTokens(this.belowMarker()));
    const pictures: PictureRow[] = [];
    for (const [index, picture] of pictureAt) if (index >= start && index < end) pictures.push({ row: index - start, ...picture });
    return { rows: shown, thumb: this.thumb(start, viewHeight), pictures };
  }

  private maxFromBottom(): number {
    // Scrolled up, one row holds the "below" marker.
    return Math.max(0, this.total - (this.height - 1));
  }

  private belowMarker(): string {
    const news = this.newBelow === 0 ? 'more below' : `${this.newBelow} new below`;
    return `{yellow-fg}{inverse} ▼ scrolled up: ${news} (End or PgDn) {/inverse}{/yellow-fg}`;
  }

  private thumb(start: number, viewHeight: number): LogView['thumb'] {
    if (this.total <= this.height) return null;
    const size = Math.max(1, Math.round((this.height * viewHeight) / this.total));
    const travel = this.height - size;
    const from = Math.round((start / Math.max(1, this.total - viewHeight)) * travel);
    return { from, to: from + size };
  }

  private wrap(line: LogLine, width: number): StyledRow[] {
    const key = `${width}\u0000${line.preformatted === true ? 'p' : 'w'}\u0000${line.prefix}\u0000${line.body}`;
    let rows = this.wrapped.get(key);
    if (rows === undefined) {
      const prefix = this.toTokens(line.prefix);
      const body = this.toTokens(line.body);
      rows = line.preformatted === true ? [clipRow([...prefix, ...body], width)] : wrapRows(prefix, body, width);
      if (this.wrapped.size >= MAX_CACHED_LINES) this.wrapped.clear();
      this.wrapped.set(key, rows);
    }
    return rows;
  }
}
