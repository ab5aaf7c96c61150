// Making untrusted text safe for blessed: its tag syntax ({bold}, {red-fg}) must never be
// triggered by what a peer typed. Control characters are already gone (ChatSession strips them).

/** Escapes blessed tag braces so "{bold}" from a peer shows literally. */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (brace) => (brace === '{' ? '{open}' : '{close}'));
}

/**
 * Stable color per name: the same name gets the same color on every screen and every run. Twelve
 * colors where the terminal has 256; the six that stand out from the default text where it has 8
 * or 16 (more would only repeat them).
 */
const NAME_COLORS_256 = ['red', 'green', 'yellow', 'magenta', 'cyan', '#ff8700', '#87d7ff', '#d7afff', '#afd75f', '#ffaf87', '#5fd7af', '#ff5f87'] as const;
const NAME_COLORS_8 = ['red', 'green', 'yellow', 'blue', 'magenta', 'cyan'] as const;
let NAME_COLORS: readonly string[] = NAME_COLORS_256;

/** Picks the nick palette for a terminal of this many colors (the TUI calls it once at start). */
export function useNamePaletteFor(colors: number): void {
  NAME_COLORS = colors >= 256 ? NAME_COLORS_256 : NAME_COLORS_8;
}

export function nameColor(name: string): string {
  let hash = 0x811c9dc5;
  for (const char of name.toLowerCase()) {
    hash ^= char.codePointAt(0)!;
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return NAME_COLORS[hash % NAME_COLORS.length]!;
}

/** A name in its color, escaped. Names are validated ASCII, but escape anyway: cheap and certain. */
export function coloredName(name: string): string {
  return `{${nameColor(name)}-fg}${escapeTags(name)}{/${nameColor(name)}-fg}`;
}
