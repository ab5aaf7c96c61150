// Draws RGB frames into a rectangle of terminal cells, two pixels per cell: the upper half block
// U+2580 in the top pixel's color over the bottom pixel's color as background (a space when both
// match). Like timg, it remembers what it last emitted per cell and writes only cells that changed,
// emits a color only when it differs from the one in effect, puts both colors in one CSI, moves the
// cursor only when the next changed cell is not the next cell, builds the whole frame in one
// preallocated Buffer with a digit lookup table, and wraps it in synchronized output (DEC 2026).
// The cursor position and attributes are saved and restored around the frame (DECSC/DECRC) so a
// full-screen library drawing the rest of the screen keeps its idea of where the cursor is.
// With a tolerance, a cell within it of what is shown is skipped, but not for ever: each frame
// repaints exactly the stale cells of one band of rows, so no error outlives `repaintEvery` frames.
// Each frame also reports what a plain writer (timg's way: every changed cell, both colors in
// full) would have written for it, the yardstick the quality governor budgets against.

export type ColorMode = 'truecolor' | '256';

export interface RendererOptions {
  /** Cells of the area the video may use. */
  readonly cols: number;
  readonly rows: number;
  /** 1-based terminal coordinates of the area's top-left cell. */
  readonly top: number;
  readonly left: number;
  readonly colorMode: ColorMode;
  /** Largest per-channel difference treated as "unchanged" (0 = exact). Trades fidelity for bytes. */
  readonly tolerance?: number;
  /** A cell left stale by the tolerance is repainted exactly within this many frames. */
  readonly repaintEvery?: number;
}

/** Half a second at 30 fps: long enough to cost little, short enough that no error lingers. */
export const STALE_REPAINT_FRAMES = 15;

export interface RenderedFrameCost {
  /** Bytes this renderer wrote for the frame. */
  readonly bytes: number;
  /** Bytes a plain change-only writer would have written: every cell that changed, both colors in full. */
  readonly plainBytes: number;
}

const ESC = 0x1b;
const UPPER_HALF = Buffer.from('▀', 'utf8');
const LOWER_HALF = Buffer.from('▄', 'utf8');
const FULL_BLOCK = Buffer.from('█', 'utf8');
const SYNC_BEGIN = Buffer.from('\u001b[?2026h\u001b7', 'latin1');
const SYNC_END = Buffer.from('\u001b8\u001b[?2026l', 'latin1');
/** The most bytes one cell can take: cursor move, two 24-bit colors, a 3-byte glyph. */
const MAX_CELL_BYTES = 12 + 38 + 3;

/** "0".."255" as ASCII bytes, so numbers are copied, never formatted. */
const DIGITS: Buffer[] = Array.from({ length: 256 }, (_, n) => Buffer.from(String(n), 'latin1'));

/** Unknown color: forces the first cell of each frame to set both colors. */
const NO_COLOR = -1;

export class HalfBlockRenderer {
  private options: RendererOptions;
  private out: Buffer;
  private pos = 0;
  /** Per cell, the top and bottom colors last emitted (0xRRGGBB), or NO_COLOR. */
  private lastTop: Int32Array;
  private lastBottom: Int32Array;
  /** Per cell, the source colors of the previous frame: what a plain writer would compare with. */
  private sourceTop: Int32Array;
  private sourceBottom: Int32Array;
  private fg = NO_COLOR;
  private bg = NO_COLOR;
  private frameNumber = 0;
  private cost: RenderedFrameCost = { bytes: 0, plainBytes: 0 };

  constructor(options: RendererOptions) {
    this.options = options;
    this.out = Buffer.allocUnsafe(0);
    this.lastTop = new Int32Array(0);
    this.lastBottom = new Int32Array(0);
    this.sourceTop = new Int32Array(0);
    this.sourceBottom = new Int32Array(0);
    this.resize(options);
  }

  get cols(): number {
    return this.options.cols;
  }

  get rows(): number {
    return this.options.rows;
  }

  /** New area or mode: reallocates and forgets what the screen holds. */
  resize(options: RendererOptions): void {
    this.options = options;
    const cells = Math.max(0, options.cols * options.rows);
    this.out = Buffer.allocUnsafe(SYNC_BEGIN.length + SYNC_END.length + cells * MAX_CELL_BYTES + 64);
    this.lastTop = new Int32Array(cells);
    this.lastBottom = new Int32Array(cells);
    this.sourceTop = new Int32Array(cells).fill(NO_COLOR);
    this.sourceBottom = new Int32Array(cells).fill(NO_COLOR);
    this.invalidate();
  }

  /** What the last render wrote, and what a plain writer would have. */
  get lastCost(): RenderedFrameCost {
    return this.cost;
  }

  get tolerance(): number {
    return this.options.tolerance ?? 0;
  }

  setTolerance(tolerance: number): void {
    this.options = { ...this.options, tolerance };
  }

  setColorMode(colorMode: ColorMode): void {
    if (colorMode === this.options.colorMode) return;
    this.options = { ...this.options, colorMode };
    this.invalidate();
  }

  get colorMode(): ColorMode {
    return this.options.colorMode;
  }

  /** Something else drew over the area (or it was cleared): the next frame repaints every cell. */
  invalidate(): void {
    this.lastTop.fill(NO_COLOR);
    this.lastBottom.fill(NO_COLOR);
    // A plain writer would repaint everything too.
    this.sourceTop.fill(NO_COLOR);
    this.sourceBottom.fill(NO_COLOR);
  }

  /**
   * Returns the bytes that bring the area from what was last emitted to this frame. The frame
   * (width x height RGB24 pixels) is centred in the area; cells outside it are painted black once.
   * The returned Buffer is reused by the next call: write it before rendering again.
   */
  render(rgb: Uint8Array, width: number, height: number): Buffer {
    const { cols, rows, top, left } = this.options;
    const is256 = this.options.colorMode === '256';
    // In 256 mode colors are palette indices already; a channel tolerance means nothing there.
    const tolerance = is256 ? 0 : (this.options.tolerance ?? 0);
    const repaintEvery = Math.max(1, this.options.repaintEvery ?? STALE_REPAINT_FRAMES);
    const repaintBand = this.frameNumber++ % repaintEvery;
    let plainBytes = 0;
    const sourceTop = this.sourceTop;
    const sourceBottom = this.sourceBottom;
    const imageCols = Math.min(cols, width);
    const imageRows = Math.min(rows, Math.ceil(height / 2));
    const offsetX = (cols - imageCols) >> 1;
    const offsetY = (rows - imageRows) >> 1;
    this.pos = 0;
    this.copy(SYNC_BEGIN);
    const contentStart = this.pos;
    this.fg = NO_COLOR;
    this.bg = NO_COLOR;
    const lastTop = this.lastTop;
    const lastBottom = this.lastBottom;
    for (let row = 0; row < rows; row++) {
      // The column where the terminal cursor will be after the last cell we wrote on this row.
      let cursorCol = -1;
      let plainCursorCol = -1;
      const rowTolerance = row % repaintEvery === repaintBand ? 0 : tolerance;
      const imageRow = row - offsetY;
      for (let col = 0; col < cols; col++) {
        const imageCol = col - offsetX;
        let topColor = 0;
        let bottomColor = 0;
        if (imageRow >= 0 && imageRow < imageRows && imageCol >= 0 && imageCol < imageCols) {
          const y = imageRow * 2;
          let i = (y * width + imageCol) * 3;
          topColor = (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
          if (y + 1 < height) {
            i += width * 3;
            bottomColor = (rgb[i]! << 16) | (rgb[i + 1]! << 8) | rgb[i + 2]!;
          } else {
            bottomColor = topColor;
          }
        }
        if (is256) {
          topColor = quantize256(topColor);
          bottomColor = quantize256(bottomColor);
        }
        const cell = row * cols + col;
        if (sourceTop[cell] !== topColor || sourceBottom[cell] !== bottomColor) {
          sourceTop[cell] = topColor;
          sourceBottom[cell] = bottomColor;
          if (plainCursorCol !== col) plainBytes += moveBytes(top + row, left + col);
          plainBytes += plainCellBytes(topColor, bottomColor, is256);
          plainCursorCol = col + 1;
        }
        if (isClose(lastTop[cell]!, topColor, rowTolerance) && isClose(lastBottom[cell]!, bottomColor, rowTolerance)) continue;
        lastTop[cell] = topColor;
        lastBottom[cell] = bottomColor;
        if (cursorCol !== col) this.moveTo(top + row, left + col);
        if (topColor === bottomColor) {
          // One color: a space needs only the background.
          if (this.fg === topColor) {
            this.copy(FULL_BLOCK);
          } else {
            this.setColors(NO_COLOR, bottomColor, is256);
            this.out[this.pos++] = 0x20;
          }
        } else if (this.bg === topColor || this.fg === bottomColor) {
          // The lower half block with the colors swapped draws the same cell; pick it when it
          // reuses a color already in effect, so at most one color is sent.
          this.setColors(bottomColor, topColor, is256);
          this.copy(LOWER_HALF);
        } else {
          this.setColors(topColor, bottomColor, is256);
          this.copy(UPPER_HALF);
        }
        cursorCol = col + 1;
      }
    }
    // A plain writer frames its output the same way, when it writes anything.
    if (plainBytes > 0) plainBytes += SYNC_BEGIN.length + SYNC_END.length;
    if (this.pos === contentStart) {
      this.cost = { bytes: 0, plainBytes };
      return this.out.subarray(0, 0);
    }
    this.copy(SYNC_END);
    this.cost = { bytes: this.pos, plainBytes };
    return this.out.subarray(0, this.pos);
  }

  private moveTo(row: number, col: number): void {
    const out = this.out;
    out[this.pos++] = ESC;
    out[this.pos++] = 0x5b; // [
    this.number(row);
    out[this.pos++] = 0x3b; // ;
    this.number(col);
    out[this.pos++] = 0x48; // H
  }

  /** One CSI for whichever of foreground and background changed (NO_COLOR fg: keep it). */
  private setColors(fg: number, bg: number, is256: boolean): void {
    const setFg = fg !== NO_COLOR && fg !== this.fg;
    const setBg = bg !== this.bg;
    if (!setFg && !setBg) return;
    const out = this.out;
    out[this.pos++] = ESC;
    out[this.pos++] = 0x5b;
    if (setFg) {
      this.color(38, fg, is256);
      this.fg = fg;
      if (setBg) out[this.pos++] = 0x3b;
    }
    if (setBg) {
      this.color(48, bg, is256);
      this.bg = bg;
    }
    out[this.pos++] = 0x6d; // m
  }

  /** "38;2;r;g;b" or "38;5;n" (48 for background). In 256 mode the color is already an index. */
  private color(base: 38 | 48, color: number, is256: boolean): void {
    const out = this.out;
    out[this.pos++] = 0x33 + (base === 48 ? 1 : 0); // '3' or '4'
    out[this.pos++] = 0x38; // '8'
    out[this.pos++] = 0x3b;
    if (is256) {
      out[this.pos++] = 0x35; // '5'
      out[this.pos++] = 0x3b;
      this.byte(color & 0xff);
      return;
    }
    out[this.pos++] = 0x32; // '2'
    out[this.pos++] = 0x3b;
    this.byte((color >> 16) & 0xff);
    out[this.pos++] = 0x3b;
    this.byte((color >> 8) & 0xff);
    out[this.pos++] = 0x3b;
    this.byte(color & 0xff);
  }

  private byte(value: number): void {
    const digits = DIGITS[value]!;
    for (let i = 0; i < digits.length; i++) this.out[this.pos++] = digits[i]!;
  }

  private number(value: number): void {
    if (value < 256) return this.byte(value);
    const text = String(value);
    for (let i = 0; i < text.length; i++) this.out[this.pos++] = text.charCodeAt(i);
  }

  private copy(bytes: Buffer): void {
    bytes.copy(this.out, this.pos);
    this.pos += bytes.length;
  }
}

/** "\e[ROW;COLH". */
function moveBytes(row: number, col: number): number {
  return 4 + digitCount(row) + digitCount(col);
}

/** "\e[38;2;R;G;B;48;2;R;G;Bm" and a 3-byte half block ("38;5;N" in 256 colors). */
function plainCellBytes(topColor: number, bottomColor: number, is256: boolean): number {
  if (is256) return '\u001b[38;5;;48;5;m'.length + digitCount(topColor & 0xff) + digitCount(bottomColor & 0xff) + 3;
  return '\u001b[38;2;;;;48;2;;;m'.length + colorDigits(topColor) + colorDigits(bottomColor) + 3;
}

function colorDigits(color: number): number {
  return digitCount((color >> 16) & 0xff) + digitCount((color >> 8) & 0xff) + digitCount(color & 0xff);
}

function digitCount(value: number): number {
  return value < 10 ? 1 : value < 100 ? 2 : value < 1000 ? 3 : String(value).length;
}

function isClose(a: number, b: number, tolerance: number): boolean {
  if (a === b) return true;
  if (tolerance === 0 || a === NO_COLOR) return false;
  return (
    Math.abs(((a >> 16) & 0xff) - ((b >> 16) & 0xff)) <= tolerance &&
    Math.abs(((a >> 8) & 0xff) - ((b >> 8) & 0xff)) <= tolerance &&
    Math.abs((a & 0xff) - (b & 0xff)) <= tolerance
  );
}

/** Levels of the xterm 6x6x6 color cube. */
const CUBE = [0, 95, 135, 175, 215, 255];
const CUBE_INDEX = new Uint8Array(256).map((_, v) => {
  let best = 0;
  for (let i = 1; i < 6; i++) if (Math.abs(CUBE[i]! - v) < Math.abs(CUBE[best]! - v)) best = i;
  return best;
});

/** The nearest xterm-256 palette index: the color cube, or the gray ramp for near-grays. */
export function quantize256(rgb: number): number {
  const r = (rgb >> 16) & 0xff;
  const g = (rgb >> 8) & 0xff;
  const b = rgb & 0xff;
  const max = Math.max(r, g, b);
  const min = Math.min(r, g, b);
  if (max - min < 10 && min > 4 && max < 246) return 232 + Math.min(23, Math.round(((r + g + b) / 3 / 255) * 23));
  return 16 + 36 * CUBE_INDEX[r]! + 6 * CUBE_INDEX[g]! + CUBE_INDEX[b]!;
}
