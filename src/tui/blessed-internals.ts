// The one place that reaches into blessed's undocumented internals (its types do not describe
// them). blessed 0.1.81 is unmaintained, so these shapes are fixed; each use says why it is needed.
import { createRequire } from 'node:module';
import blessed from 'blessed';
import { graphemeWidth, graphemes } from './display-width.js';

const require = createRequire(import.meta.url);

interface ScreenInternals {
  readonly tput: { readonly unicode: boolean; brokenACS: boolean };
  /** What blessed drew (olines) and will draw (lines), cell by cell: [attribute, character]. */
  readonly lines: Array<Array<[number, string]> & { dirty?: boolean }>;
  readonly olines: Array<Array<[number, string]>>;
}

interface ProgramInternals {
  flush(): void;
  readonly output: NodeJS.WritableStream;
}

/**
 * On a UTF-8 terminal, draw borders with Unicode box characters rather than the DEC special
 * graphics set (ACS): same look, but copy/paste and `tmux capture-pane` get real lines, not "qqqx".
 */
export function preferUnicodeBorders(screen: blessed.Widgets.Screen): void {
  const { tput } = screen as unknown as ScreenInternals;
  if (tput.unicode) tput.brokenACS = true;
}

/**
 * Marks a region of the screen as unknown, so blessed's next render rewrites it: blessed believes
 * the cells under our video frames are blank (it never drew them) and would leave pixels behind.
 * Region: 0-based, end exclusive.
 */
export function forgetDrawnCells(screen: blessed.Widgets.Screen, region: { xi: number; xl: number; yi: number; yl: number }): void {
  const { lines, olines } = screen as unknown as ScreenInternals;
  for (let y = region.yi; y < region.yl; y++) {
    const line = lines[y];
    const old = olines[y];
    if (line === undefined || old === undefined) continue;
    for (let x = region.xi; x < region.xl && x < old.length; x++) old[x]![0] = -1;
    line.dirty = true;
  }
}

/**
 * The terminfo name blessed should use. blessed 0.1.81 reads tmux-256color as 8 colors and fails to
 * compile screen-256color, so every "gray" turned black-on-black inside tmux and screen; for them
 * (and any terminal announcing truecolor) xterm-256color describes what the terminal really does.
 */
export function blessedTerminalName(term: string | undefined, colorterm: string | undefined): string | undefined {
  if (term === undefined) return undefined;
  const multiplexer = /^(tmux|screen)(-|$)/.test(term);
  const announces256 = /256color/.test(term) || /^(truecolor|24bit)$/i.test(colorterm ?? '');
  return multiplexer && announces256 ? 'xterm-256color' : term;
}

/** Screen options for a given terminal: blessed's types have `input` as a Writable, wrongly. */
export function screenStreamOptions(terminal: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; term?: string }): blessed.Widgets.IScreenOptions {
  return {
    input: terminal.input as unknown as blessed.Widgets.IScreenOptions['input'],
    output: terminal.output as unknown as blessed.Widgets.IScreenOptions['output'],
    ...(terminal.term === undefined ? {} : { terminal: terminal.term }),
  };
}

/** What blessed last drew: its cell buffer as text, one line per row (for in-process specs). */
export function screenText(screen: blessed.Widgets.Screen): string {
  const { lines } = screen as unknown as ScreenInternals;
  return lines
    .map((line) =>
      line
        .map(([, ch]) => ch)
        .join('')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * Writes bytes to the terminal in order with blessed's own output: blessed buffers until the next
 * tick, so its buffer is flushed first.
 */
export function terminalWriter(screen: blessed.Widgets.Screen): { beforeWrite: () => void; write: (bytes: Buffer) => void } {
  const program = screen.program as unknown as ProgramInternals;
  return { beforeWrite: () => program.flush(), write: (bytes) => program.output.write(bytes) };
}

/**
 * blessed 0.1.81 builds its 8-color fallback map at load by matching every color against the first
 * 8 entries, and leaves those matches in the cache its `#rrggbb` lookup reads: so every hex color in
 * a tag drew as one of 8 colors even on a 256-color terminal (12 nick colors showed as 6).
 * Emptying that cache once lets a hex color find its xterm-256 neighbour; blessed still reduces to
 * 8 or 16 colors on terminals that have only those.
 */
let paletteRestored = false;
function restoreFullPalette(): void {
  if (paletteRestored) return;
  paletteRestored = true;
  (blessed as unknown as { colors: { _cache: Record<number, number> } }).colors._cache = {};
}

/** Colors the terminal under a screen can show (8, 16, 256), as blessed read its terminfo. */
export function screenColors(screen: blessed.Widgets.Screen): number {
  return (screen as unknown as { tput: { colors: number } }).tput.colors;
}

/**
 * A full-screen blessed screen on the given terminal (default: this process's, with $TERM read as
 * blessedTerminalName says), with Unicode borders. The TUI and `tui-chat top` both start here.
 */
export function createScreen(
  title: string,
  terminal?: { input: NodeJS.ReadableStream; output: NodeJS.WritableStream; term?: string | undefined; colorterm?: string | undefined },
): blessed.Widgets.Screen {
  restoreFullPalette();
  const screen = blessed.screen({
    smartCSR: true,
    fullUnicode: true,
    title,
    warnings: false,
    ...(terminal === undefined
      ? { terminal: blessedTerminalName(process.env['TERM'], process.env['COLORTERM']) }
      : screenStreamOptions({ ...terminal, term: blessedTerminalName(terminal.term, terminal.colorterm) })),
  });
  preferUnicodeBorders(screen);
  useClickMouseModes(screen);
  return screen;
}

/**
 * blessed asks xterm-like terminals for every mouse motion (modes 1002/1003, UTF-8 coordinates),
 * which floods the input and breaks the terminal's own selection. Clicks and the wheel are all the
 * TUI uses: normal tracking (1000) with SGR coordinates (1006), which also work past column 223.
 * (Shift+drag still selects text in xterm, tmux and most terminals.)
 */
function useClickMouseModes(screen: blessed.Widgets.Screen): void {
  const program = screen.program as unknown as { setMouse(modes: Record<string, boolean>, enable: boolean): void; enableMouse(): void };
  program.enableMouse = () => program.setMouse({ vt200Mouse: true, sgrMouse: true }, true);
}

/**
 * blessed decides while drawing whether a cell holds a wide glyph (and so skips the cell after it)
 * with its own width table, which says 1 for emoji. PaintedBox gives a wide cluster its cell plus an
 * empty one; this makes blessed's check measure a cell the way PaintedBox laid it out. Calls with an
 * index, and ASCII cells, (blessed measuring its own content strings) keep blessed's answer.
 */
let wideGlyphsTaught = false;
function teachBlessedWideGlyphs(): void {
  if (wideGlyphsTaught) return;
  wideGlyphsTaught = true;
  const unicode = require('blessed/lib/unicode') as { charWidth: (text: string | number, index?: number) => number };
  const blessedWidth = unicode.charWidth;
  unicode.charWidth = (text, index) => {
    if (typeof text !== 'string' || index !== undefined || text.length === 0 || text.charCodeAt(0) < 0x7f) return blessedWidth(text, index);
    const first = graphemes(text)[0];
    return first === undefined ? 0 : graphemeWidth(first);
  };
}

/**
 * The inside of a box, cell by cell, for code that lays out its own text (painted-box.ts): blessed
 * draws the border, label and background first, then `paint` writes cells over them.
 */
export interface CellCanvas {
  readonly left: number;
  /** Exclusive. */
  readonly right: number;
  readonly top: number;
  /** Exclusive. */
  readonly bottom: number;
  /** The box's own style as an attribute: where each row starts. */
  readonly plain: number;
  /** The attribute after an SGR escape, from `current`. */
  attrAfter(sgr: string, current: number): number;
  /** The attribute for a blessed style ({ bg: 'gray' }). */
  attrOf(style: Record<string, unknown>): number;
  /** Writes one cell (an empty string: the second column of a wide glyph, drawn by the first). */
  put(x: number, y: number, attr: number, text: string): void;
  /** Adds text (a zero-width mark) to the cell at x, y. */
  append(x: number, y: number, text: string): void;
}

interface PaintableScreen {
  readonly lines: Array<Array<[number, string]> & { dirty?: boolean }>;
  attrCode(code: string, current: number, fallback: number): number;
}

interface RenderCoords {
  readonly xi: number;
  readonly xl: number;
  readonly yi: number;
  readonly yl: number;
}

/** Makes `box` call `paint` with its inside as a canvas each time blessed renders it. */
export function paintInside(box: blessed.Widgets.BoxElement, paint: (canvas: CellCanvas) => void): void {
  teachBlessedWideGlyphs();
  const frame = box.render.bind(box) as () => RenderCoords | undefined;
  const element = box as unknown as { sattr(style: unknown): number; border?: unknown; render: () => RenderCoords | undefined };
  element.render = () => {
    const coords = frame();
    if (coords === undefined) return coords;
    const screen = box.screen as unknown as PaintableScreen;
    const inset = element.border === undefined ? 0 : 1;
    const plain = element.sattr(box.style);
    const cell = (x: number, y: number) => screen.lines[y]?.[x];
    paint({
      left: coords.xi + inset,
      right: coords.xl - inset,
      top: coords.yi + inset,
      bottom: coords.yl - inset,
      plain,
      attrAfter: (sgr, current) => screen.attrCode(sgr, current, plain),
      attrOf: (style) => element.sattr(style),
      put: (x, y, attr, text) => {
        const line = screen.lines[y];
        if (line === undefined || line[x] === undefined) return;
        line[x] = [attr, text];
        line.dirty = true;
      },
      append: (x, y, text) => {
        const target = cell(x, y);
        if (target !== undefined) target[1] += text;
      },
    });
    return coords;
  };
}

/** blessed's tag markup ({red-fg}, {open}) as the SGR escapes this screen would draw. */
export function tagsToEscapes(screen: blessed.Widgets.Screen, tagged: string): string {
  const { helpers } = blessed as unknown as { helpers: { parseTags(text: string, screen: blessed.Widgets.Screen): string } };
  return helpers.parseTags(tagged, screen);
}
