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

/** Columns a plain (untagged) string takes. */
export function displayWidth(text: string): number {
  let width = 0;
  for (const cluster of graphemes(text)) width += graphemeWidth(cluster);
  return width;
}
