// A small terminal-screen model for the fidelity bench: it replays the bytes a renderer wrote
// (tui-chat's, timg's, mpv's) and reconstructs each frame it drew as pixels, two per cell, the way
// a truecolor terminal shows half blocks. It knows what these three write: cursor moves (CUP/HVP,
// CUU/CUD/CUF/CUB, CHA), SGR truecolor and 256 colors, DECSC/DECRC, CR/LF (LF as the tty's
// CR+LF), synchronized-output marks, and the characters space, ▀, ▄ and █. Anything else is skipped.

const UPPER = 0x2580;
const LOWER = 0x2584;
const FULL = 0x2588;

/** A frame as drawn: RGB24 pixels, `cols` wide and `rows * 2` high. */
export type Snapshot = Uint8Array;

export class ScreenModel {
  /** RGB24, cols x (rows * 2) pixels. */
  private readonly pixels: Uint8Array;
  private row = 0;
  private col = 0;
  private saved = { row: 0, col: 0 };
  private fg = [255, 255, 255];
  private bg = [0, 0, 0];
  private drawnSinceSnapshot = false;
  /** Cells written at least once: the bounding box of the picture. */
  private readonly touched: Uint8Array;
  readonly snapshots: Snapshot[] = [];

  constructor(
    readonly cols: number,
    readonly rows: number,
  ) {
    this.pixels = new Uint8Array(cols * rows * 2 * 3);
    this.touched = new Uint8Array(cols * rows);
  }

  /**
   * Replays `bytes` (UTF-8), taking a snapshot at each frame boundary, and one at the end.
   * `oneFrame`: the bytes are exactly one frame (possibly empty: nothing changed): one snapshot.
   */
  feed(bytes: Buffer, oneFrame = false): void {
    if (oneFrame) {
      this.replay(bytes, false);
      this.drawnSinceSnapshot = false;
      this.snapshots.push(this.pixels.slice());
      return;
    }
    this.replay(bytes, true);
    this.snapshot();
  }

  private splitFrames = true;

  private replay(bytes: Buffer, splitFrames: boolean): void {
    this.splitFrames = splitFrames;
    const text = bytes.toString('utf8');
    let i = 0;
    while (i < text.length) {
      const code = text.charCodeAt(i);
      if (code === 0x1b) {
        i = this.escape(text, i + 1);
        continue;
      }
      if (code === 0x0d) this.col = 0;
      else if (code === 0x0a) this.moveTo(this.row + 1, 0);
      else if (code >= 0x20) this.put(code);
      i++;
    }
  }

  /** Where the picture is: the cells ever written. */
  bounds(): { left: number; top: number; cols: number; rows: number } {
    let [left, top, right, bottom] = [this.cols, this.rows, -1, -1];
    for (let r = 0; r < this.rows; r++) {
      for (let c = 0; c < this.cols; c++) {
        if (this.touched[r * this.cols + c] === 0) continue;
        left = Math.min(left, c);
        right = Math.max(right, c);
        top = Math.min(top, r);
        bottom = Math.max(bottom, r);
      }
    }
    return right < 0 ? { left: 0, top: 0, cols: 0, rows: 0 } : { left, top, cols: right - left + 1, rows: bottom - top + 1 };
  }

  private escape(text: string, at: number): number {
    const next = text[at];
    if (next === '7') {
      this.saved = { row: this.row, col: this.col };
      return at + 1;
    }
    if (next === '8') {
      this.row = this.saved.row;
      this.col = this.saved.col;
      return at + 1;
    }
    if (next !== '[') return at + 1;
    let end = at + 1;
    while (end < text.length && !/[A-Za-z]/.test(text[end]!)) end++;
    const params = text.slice(at + 1, end);
    this.csi(params, text[end] ?? '');
    return end + 1;
  }

  private csi(params: string, final: string): void {
    const numbers = params
      .replace(/^\?/, '')
      .split(';')
      .map((part) => (part === '' ? 0 : Number(part)));
    const n = Math.max(1, numbers[0] ?? 1);
    switch (final) {
      case 'H':
      case 'f':
        this.moveTo(Math.max(1, numbers[0] ?? 1) - 1, Math.max(1, numbers[1] ?? 1) - 1);
        return;
      case 'A':
        this.moveTo(this.row - n, this.col);
        return;
      case 'B':
        this.moveTo(this.row + n, this.col);
        return;
      case 'C':
        this.col += n;
        return;
      case 'D':
        this.col = Math.max(0, this.col - n);
        return;
      case 'G':
        this.col = n - 1;
        return;
      case 'm':
        this.sgr(numbers);
        return;
      case 'l':
        // The end of a synchronized update (DEC 2026) closes a frame.
        if (params === '?2026') this.snapshot();
        return;
    }
  }

  /** A move up to an earlier row after drawing starts a new frame (timg: CUU; mpv: CUP to the top). */
  private moveTo(row: number, col: number): void {
    if (row < this.row && this.drawnSinceSnapshot) this.snapshot();
    this.row = Math.max(0, row);
    this.col = Math.max(0, col);
  }

  private sgr(numbers: number[]): void {
    for (let i = 0; i < numbers.length; i++) {
      const p = numbers[i]!;
      if (p === 0) {
        this.fg = [255, 255, 255];
        this.bg = [0, 0, 0];
      } else if ((p === 38 || p === 48) && numbers[i + 1] === 2) {
        const color = [numbers[i + 2] ?? 0, numbers[i + 3] ?? 0, numbers[i + 4] ?? 0];
        if (p === 38) this.fg = color;
        else this.bg = color;
        i += 4;
      } else if ((p === 38 || p === 48) && numbers[i + 1] === 5) {
        const color = xterm256(numbers[i + 2] ?? 0);
        if (p === 38) this.fg = color;
        else this.bg = color;
        i += 2;
      } else if (p === 39) this.fg = [255, 255, 255];
      else if (p === 49) this.bg = [0, 0, 0];
    }
  }

  private put(code: number): void {
    if (this.row < this.rows && this.col < this.cols) {
      const [top, bottom] = code === UPPER ? [this.fg, this.bg] : code === LOWER ? [this.bg, this.fg] : code === FULL ? [this.fg, this.fg] : [this.bg, this.bg];
      this.setPixel(this.col, this.row * 2, top!);
      this.setPixel(this.col, this.row * 2 + 1, bottom!);
      this.touched[this.row * this.cols + this.col] = 1;
      this.drawnSinceSnapshot = true;
    }
    this.col++;
  }

  private setPixel(x: number, y: number, color: number[]): void {
    const i = (y * this.cols + x) * 3;
    this.pixels[i] = color[0]!;
    this.pixels[i + 1] = color[1]!;
    this.pixels[i + 2] = color[2]!;
  }

  private snapshot(): void {
    if (!this.drawnSinceSnapshot || !this.splitFrames) return;
    this.drawnSinceSnapshot = false;
    this.snapshots.push(this.pixels.slice());
  }
}

/** The xterm 256-color palette: 16 system colors (xterm's defaults), the 6x6x6 cube, the gray ramp. */
function xterm256(index: number): number[] {
  if (index < 16) {
    const base = [
      [0, 0, 0],
      [205, 0, 0],
      [0, 205, 0],
      [205, 205, 0],
      [0, 0, 238],
      [205, 0, 205],
      [0, 205, 205],
      [229, 229, 229],
      [127, 127, 127],
      [255, 0, 0],
      [0, 255, 0],
      [255, 255, 0],
      [92, 92, 255],
      [255, 0, 255],
      [0, 255, 255],
      [255, 255, 255],
    ];
    return base[index]!;
  }
  if (index < 232) {
    const level = (v: number) => (v === 0 ? 0 : 55 + v * 40);
    const i = index - 16;
    return [level(Math.floor(i / 36)), level(Math.floor(i / 6) % 6), level(i % 6)];
  }
  const gray = 8 + (index - 232) * 10;
  return [gray, gray, gray];
}

/** Crops a snapshot (model pixels, `cols` wide) to a picture of cells at `left`,`top`, `width` x `height` pixels. */
export function crop(snapshot: Snapshot, cols: number, left: number, top: number, width: number, height: number): Uint8Array {
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const from = ((top * 2 + y) * cols + left) * 3;
    out.set(snapshot.subarray(from, from + width * 3), y * width * 3);
  }
  return out;
}

/** Mean squared error per channel value between two RGB24 pictures of the same size. */
export function mse(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = a[i]! - b[i]!;
    sum += d * d;
  }
  return sum / a.length;
}

export function psnrOf(meanSquaredError: number): number {
  return meanSquaredError === 0 ? Number.POSITIVE_INFINITY : 10 * Math.log10((255 * 255) / meanSquaredError);
}

/** SSIM on luma (BT.601), over 8x8 windows, averaged: 1 for identical pictures. */
export function ssim(a: Uint8Array, b: Uint8Array, width: number, height: number): number {
  const luma = (p: Uint8Array, i: number) => 0.299 * p[i]! + 0.587 * p[i + 1]! + 0.114 * p[i + 2]!;
  const c1 = (0.01 * 255) ** 2;
  const c2 = (0.03 * 255) ** 2;
  let total = 0;
  let windows = 0;
  for (let wy = 0; wy + 8 <= height; wy += 8) {
    for (let wx = 0; wx + 8 <= width; wx += 8) {
      let [sa, sb, saa, sbb, sab] = [0, 0, 0, 0, 0];
      for (let y = wy; y < wy + 8; y++) {
        for (let x = wx; x < wx + 8; x++) {
          const i = (y * width + x) * 3;
          const [la, lb] = [luma(a, i), luma(b, i)];
          sa += la;
          sb += lb;
          saa += la * la;
          sbb += lb * lb;
          sab += la * lb;
        }
      }
      const [ma, mb] = [sa / 64, sb / 64];
      const [va, vb, cov] = [saa / 64 - ma * ma, sbb / 64 - mb * mb, sab / 64 - ma * mb];
      total += ((2 * ma * mb + c1) * (2 * cov + c2)) / ((ma * ma + mb * mb + c1) * (va + vb + c2));
      windows++;
    }
  }
  return windows === 0 ? 1 : total / windows;
}
