// Making untrusted text safe for blessed: its tag syntax ({bold}, {red-fg}) must never be
// triggered by what a peer typed. Control characters are already gone (ChatSession strips them).

/** Escapes blessed tag braces so "{bold}" from a peer shows literally. */
export function escapeTags(text: string): string {
  return text.replace(/[{}]/g, (brace) => (brace === '{' ? '{open}' : '{close}'));
}

/**
 * Stable color per name: the same name gets the same color on every screen and every run. Twelve
 * colors where the terminal has 256; four where it has 8 or 16. None is yellow, orange or red:
 * bold yellow marks a line that names you and a warning, red an error, and a nick in those colors
 * read as one (two of the twelve did).
 */
export const NAME_COLORS_256 = [
  'green',
  'cyan',
  'magenta',
  '#5f87ff',
  '#87d7ff',
  '#d7afff',
  '#afd75f',
  '#5fd7af',
  '#ff87d7',
  '#af87ff',
  '#87afaf',
  '#00d75f',
] as const;
export const NAME_COLORS_8 = ['green', 'blue', 'magenta', 'cyan'] as const;
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

/**
 * A name in its color, escaped (`shown`: the name as drawn, cut to fit). Names are validated
 * ASCII, but escape anyway: cheap and certain.
 */
export function coloredName(name: string, shown = name): string {
  return `{${nameColor(name)}-fg}${escapeTags(shown)}{/${nameColor(name)}-fg}`;
}
