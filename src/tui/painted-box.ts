// A blessed box whose inside we draw ourselves, row by row, from styled rows (styled-rows.ts).
// blessed lays content out per UTF-16 unit with a table that predates emoji: an emoji took one
// cell but two columns on the terminal, so a line of them ran past the border and left debris.
// Here every grapheme cluster takes exactly the cells the terminal gives it (a wide one its cell
// plus an empty one), and blessed only draws the border, the label and the background. The cells
// themselves are reached through blessed-internals.ts (paintInside), like every blessed internal.
import blessed from 'blessed';
import { type CellCanvas, paintInside, tagsToEscapes } from './blessed-internals.js';
import { type StyledRow, type StyledToken, tokenize } from './styled-rows.js';

export class PaintedBox {
  readonly box: blessed.Widgets.BoxElement;
  private rows: readonly StyledRow[] = [];
  private thumb: { readonly from: number; readonly to: number } | null = null;

  constructor(options: blessed.Widgets.BoxOptions) {
    // No tags, no scrolling: blessed has no content to lay out, only the frame to draw.
    this.box = blessed.box({ ...options, tags: false, scrollable: false, content: '' });
    paintInside(this.box, (canvas) => this.paint(canvas));
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
    return tokenize(tagsToEscapes(this.box.screen, tagged));
  }

  private paint(canvas: CellCanvas): void {
    for (let index = 0; index < this.rows.length && canvas.top + index < canvas.bottom; index++) {
      const y = canvas.top + index;
      let attr = canvas.plain;
      let x = canvas.left;
      for (const token of this.rows[index]!) {
        if ('sgr' in token) {
          attr = canvas.attrAfter(token.sgr, attr);
          continue;
        }
        if (token.width === 0) {
          // A lone zero-width mark joins the glyph before it, as the terminal draws it.
          if (x > canvas.left) canvas.append(x - 1, y, token.glyph);
          continue;
        }
        if (x + token.width > canvas.right) break;
        canvas.put(x, y, attr, token.glyph);
        // The second column of a wide glyph: an empty cell, so blessed writes nothing there.
        if (token.width === 2) canvas.put(x + 1, y, attr, '');
        x += token.width;
      }
    }
    if (this.thumb === null || canvas.right - 1 < canvas.left) return;
    const thumbAttr = canvas.attrOf({ bg: 'gray' });
    for (let y = canvas.top + this.thumb.from; y < canvas.top + this.thumb.to && y < canvas.bottom; y++) canvas.put(canvas.right - 1, y, thumbAttr, ' ');
  }
}
