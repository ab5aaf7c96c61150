// Text with terminal styles (SGR escapes, as blessed turns its {tags} into), cut into glyphs that
// know their width and wrapped into rows of a given width: words kept whole where they fit, and
// rows after the first indented under the text (a hanging indent, as weechat and irssi do).
// Pure: painting the rows into the screen is painted-box.ts's job.
import { drawableGlyph, graphemeWidth, graphemes } from './display-width.js';

/** A style change (an SGR escape, no width) or one grapheme cluster with its width in columns. */
export type StyledToken = { readonly sgr: string } | { readonly glyph: string; readonly width: number };
export type StyledRow = readonly StyledToken[];

const SGR = /\x1b\[[\d;]*m/y;
const SPACE: StyledToken = { glyph: ' ', width: 1 };

/** Cuts styled text into tokens; '\n' becomes a glyph of width 0 that wrapRows treats as a break. */
export function tokenize(styled: string): StyledToken[] {
  const tokens: StyledToken[] = [];
  let text = '';
  const flushText = () => {
    for (const cluster of graphemes(text)) {
      const glyph = drawableGlyph(cluster);
      tokens.push({ glyph, width: glyph === '\n' ? 0 : graphemeWidth(glyph) });
    }
    text = '';
  };
  for (let index = 0; index < styled.length; ) {
    SGR.lastIndex = index;
    const match = styled.charCodeAt(index) === 0x1b ? SGR.exec(styled) : null;
    if (match === null) {
      text += styled[index];
      index++;
      continue;
    }
    flushText();
    tokens.push({ sgr: match[0] });
    index += match[0].length;
  }
  flushText();
  return tokens;
}

/** Columns a row of tokens takes. */
export function rowWidth(row: StyledRow): number {
  let width = 0;
  for (const token of row) if ('glyph' in token) width += token.width;
  return width;
}

function isSpace(token: StyledToken): boolean {
  return 'glyph' in token && token.glyph === ' ';
}

/**
 * Wraps prefix + body into rows of at most `width` columns. The prefix (time, nick) opens the first
 * row; every later row starts with blanks as wide as the prefix, so wrapped text lines up under the
 * first word (unless the prefix would take more than half the row). Breaks fall after a space;
 * a word longer than a whole row is cut. A '\n' in the body starts a new row at the same indent.
 */
export function wrapRows(prefix: readonly StyledToken[], body: readonly StyledToken[], width: number): StyledRow[] {
  const columns = Math.max(1, width);
  const prefixWidth = rowWidth(prefix);
  const indentWidth = prefixWidth <= columns / 2 ? prefixWidth : 0;
  const indent = Array.from({ length: indentWidth }, () => SPACE);
  const rows: StyledToken[][] = [];
  let row: StyledToken[] = [...prefix];
  let used = prefixWidth;
  // Every style change so far: a wrapped row replays them, so it starts in the style its text had
  // (each row is drawn on its own, and may be the first one on screen).
  const styles: StyledToken[] = prefix.filter((token) => 'sgr' in token);
  // Where the current row may break: the index just after its last space in the body, or -1.
  let breakAt = -1;
  let rowStart = row.length;

  const startRow = (carried: StyledToken[]) => {
    rows.push(row);
    const carriedStyles = carried.filter((token) => 'sgr' in token).length;
    row = [...indent, ...styles.slice(0, styles.length - carriedStyles)];
    rowStart = row.length;
    // Spaces at the start of a wrapped row would only push the text off its column.
    let first = 0;
    while (first < carried.length && isSpace(carried[first]!)) first++;
    row.push(...carried.slice(first));
    used = indentWidth + rowWidth(carried.slice(first));
    breakAt = -1;
  };

  for (const token of body) {
    if (!('glyph' in token)) {
      row.push(token);
      styles.push(token);
      continue;
    }
    if (token.glyph === '\n') {
      startRow([]);
      continue;
    }
    if (used + token.width > columns && used > indentWidth) {
      if (isSpace(token)) {
        // The space a row ends on is where it breaks: drop it.
        startRow([]);
        continue;
      }
      if (breakAt > rowStart) startRow(row.splice(breakAt));
      else startRow([]);
      // A word wider than the row is cut where the row is full.
      if (used + token.width > columns && used > indentWidth) startRow([]);
    }
    row.push(token);
    used += token.width;
    if (isSpace(token)) breakAt = row.length;
  }
  rows.push(row);
  return rows;
}

/** Cuts a row at `width` columns (for pre-drawn pictures, which are never wrapped). */
export function clipRow(row: StyledRow, width: number): StyledRow {
  const clipped: StyledToken[] = [];
  let used = 0;
  for (const token of row) {
    if ('glyph' in token) {
      if (used + token.width > width) break;
      used += token.width;
    }
    clipped.push(token);
  }
  return clipped;
}
