// A blessed box whose inside we draw ourselves, row by row, from styled rows (styled-rows.ts).
// blessed lays content out per UTF-16 unit with a table that predates emoji: an emoji took one
// cell but two columns on the terminal, so a line of them ran past the border and left debris.
// Here every grapheme cluster takes exactly the cells the terminal gives it (a wide one its cell
// plus an empty one), and blessed only draws the border, the label and the background.
import blessed from 'blessed';
import { teachBlessedWideGlyphs } from './blessed-internals.js';
import { type StyledRow, type StyledToken, tokenize } from './styled-rows.js';

type Cell = [number, string];
interface PaintableScreen {
  readonly lines: Array<Cell[] & { dirty?: boolean }>;
  attrCode(code: string, current: number, fallback: number): number;
}
interface Coords {
  readonly xi: number;
  readonly xl: number;
  readonly yi: number;
  readonly yl: number;
}

export class PaintedBox {
  readonly box: blessed.Widgets.BoxElement;
  private rows: readonly StyledRow[] = [];
  private thumb: { readonly from: number; readonly to: number } | null = null;

  constructor(options: blessed.Widgets.BoxOptions) {
    teachBlessedWideGlyphs();
    // No tags, no scrolling: blessed has no content to lay out, only the frame to draw.
    this.box = blessed.box({ ...options, tags: false, scrollable: false, content: '' });
    const frame = this.box.render.bind(this.box) as () => Coords | undefined;
    (this.box as unknown as { render: () => Coords | undefined }).render = () => {
      const coords = frame();
      if (coords !== undefined) this.paint(coords);
      return coords;
    };
  }

  /** Columns and rows inside the border, where rows are painted. */
  get innerWidth(): number {
    return Math.max(0, (this.box.width as number) - (this.box.iwidth as unknown as number));
  }

  get innerHeight(): number {
    return Math.max(0, (this.box.height as number) - (this.box.iheight as unknown as number));
  }

  /**
   * The rows to show from the top of the box (extra rows are not drawn), and a scrollbar thumb
   * drawn in the last inner column (keep rows one column narrower when there is one).
   */
  setRows(rows: readonly StyledRow[], thumb: { readonly from: number; readonly to: number } | null = null): void {
    this.rows = rows;
    this.thumb = thumb;
  }

  /** blessed tags ({red-fg}, {open}) to styled tokens, as this box's screen would draw them. */
  tokens(tagged: string): StyledToken[] {
    const { helpers } = blessed as unknown as { helpers: { parseTags(text: string, screen: blessed.Widgets.Screen): string } };
    return tokenize(helpers.parseTags(tagged, this.box.screen));
  }

  private paint(coords: Coords): void {
    const screen = this.box.screen as unknown as PaintableScreen;
    const box = this.box as unknown as { sattr(style: unknown): number; border?: unknown };
    const inset = box.border === undefined ? 0 : 1;
    const left = coords.xi + inset;
    const right = coords.xl - inset;
    const top = coords.yi + inset;
    const bottom = coords.yl - inset;
    const plain = box.sattr(this.box.style);
    for (let index = 0; index < this.rows.length && top + index < bottom; index++) {
      const line = screen.lines[top + index];
      if (line === undefined) break;
      let attr = plain;
      let x = left;
      for (const token of this.rows[index]!) {
        if ('sgr' in token) {
          attr = screen.attrCode(token.sgr, attr, plain);
          continue;
        }
        if (token.width === 0) {
          // A lone zero-width mark joins the glyph before it, as the terminal draws it.
          const previous = line[x - 1];
          if (x > left && previous !== undefined) previous[1] += token.glyph;
          continue;
        }
        if (x + token.width > right) break;
        line[x] = [attr, token.glyph];
        // The second column of a wide glyph: an empty cell, so blessed writes nothing there.
        if (token.width === 2) line[x + 1] = [attr, ''];
        x += token.width;
      }
      line.dirty = true;
    }
    if (this.thumb === null) return;
    const thumbAttr = box.sattr({ bg: 'gray' });
    for (let y = top + this.thumb.from; y < top + this.thumb.to && y < bottom; y++) {
      const line = screen.lines[y];
      if (line === undefined || right - 1 < left) continue;
      line[right - 1] = [thumbAttr, ' '];
      line.dirty = true;
    }
  }
}
