// How many terminal columns text takes. `.length` counts UTF-16 units: an emoji is 2, 日 is 1, é
// written as e + U+0301 is 2, yet a terminal draws them in 2, 2 and 1 columns. Text is cut into
// grapheme clusters (what a user sees as one character: a ZWJ family, a flag, a letter with its
// accents) and each is measured with string-width, which follows Unicode's East Asian Width and
// emoji presentation tables and is kept current; blessed's own table predates emoji.
import stringWidth from 'string-width';

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/** The grapheme clusters of text, in order. */
export function graphemes(text: string): string[] {
  const clusters: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(text)) clusters.push(segment);
  return clusters;
}

/** Columns one grapheme cluster takes: 0 (a lone zero-width mark), 1, or 2 (CJK, emoji). */
export function graphemeWidth(cluster: string): number {
  // Printable ASCII is by far the most common case and always one column.
  if (cluster.length === 1) {
    const code = cluster.charCodeAt(0);
    if (code >= 0x20 && code < 0x7f) return 1;
  }
  return Math.min(2, stringWidth(cluster));
}

// Code points that make terminals disagree on a cluster's width: a zero-width joiner (👨‍💻), the
// emoji variation selector (❤️), a skin-tone modifier (👍🏽) and tag characters (subdivision flags).
// tmux 3.3 and xterm draw 👍🏽 as 👍 then 🏽 (4 columns), kitty and foot as one glyph (2): whatever
// we count, one of them draws past it, pushing the rest of the row and the border over and
// leaving fragments that last until Ctrl+L.
const DISPUTED_WIDTH = /[\u200d\ufe0f\u{1f3fb}-\u{1f3ff}\u{e0020}-\u{e007f}]/u;

/**
 * The cluster as the TUI draws it: unchanged, unless terminals disagree on its width, then its
 * first code point alone (👍🏽 is drawn 👍, 👨‍💻 is drawn 👨), which every terminal draws in the
 * columns graphemeWidth counts. The text itself (sent, stored, searched) keeps every code point.
 */
export function drawableGlyph(cluster: string): string {
  if (cluster.length < 2 || !DISPUTED_WIDTH.test(cluster)) return cluster;
  return String.fromCodePoint(cluster.codePointAt(0)!);
}

/** Columns a plain (untagged) string takes, drawn as drawableGlyph draws it. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const cluster of graphemes(text)) width += graphemeWidth(drawableGlyph(cluster));
  return width;
}
