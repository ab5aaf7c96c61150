import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { HalfBlockRenderer, quantize256 } from '../../../src/client/video/half-block-renderer.js';

/**
 * A tiny terminal for exactly the sequences the renderer may emit. It fails the test on anything
 * else, so the renderer cannot start writing sequences nobody checked.
 */
class VirtualScreen {
  readonly cells = new Map<string, { glyph: string; fg: string; bg: string }>();
  private row = 1;
  private col = 1;
  private fg = '?';
  private bg = '?';
  private saved: [number, number] = [1, 1];

  apply(bytes: Buffer): void {
    const text = bytes.toString('utf8');
    let i = 0;
    while (i < text.length) {
      const rest = text.slice(i);
      const sync = /^\u001b\[\?2026[hl]/.exec(rest);
      const move = /^\u001b\[(\d+);(\d+)H/.exec(rest);
      const sgr = /^\u001b\[([\d;]+)m/.exec(rest);
      if (sync !== null) {
        i += sync[0].length;
      } else if (rest.startsWith('\u001b7')) {
        this.saved = [this.row, this.col];
        i += 2;
      } else if (rest.startsWith('\u001b8')) {
        [this.row, this.col] = this.saved;
        i += 2;
      } else if (move !== null) {
        this.row = Number(move[1]);
        this.col = Number(move[2]);
        i += move[0].length;
      } else if (sgr !== null) {
        this.sgr(sgr[1]!);
        i += sgr[0].length;
      } else if ('▀▄█ '.includes(rest[0]!)) {
        this.cells.set(`${this.row},${this.col}`, { glyph: rest[0]!, fg: this.fg, bg: this.bg });
        this.col++;
        i++;
      } else throw new Error(`unexpected output at ${JSON.stringify(rest.slice(0, 12))}`);
    }
  }

  private sgr(params: string): void {
    const p = params.split(';').map(Number);
    for (let k = 0; k < p.length; ) {
      const target = p[k] === 38 ? 'fg' : p[k] === 48 ? 'bg' : null;
      if (target === null) throw new Error(`unexpected SGR ${params}`);
      if (p[k + 1] === 2) {
        this[target] = p.slice(k + 2, k + 5).join(',');
        k += 5;
      } else if (p[k + 1] === 5) {
        this[target] = `#${p[k + 2]}`;
        k += 3;
      } else {
        throw new Error(`unexpected SGR ${params}`);
      }
    }
  }

  /** The two pixel colors a cell shows, top then bottom. */
  pixels(row: number, col: number): [string, string] {
    const cell = this.cells.get(`${row},${col}`);
    if (cell === undefined) return ['unset', 'unset'];
    if (cell.glyph === ' ') return [cell.bg, cell.bg];
    if (cell.glyph === '█') return [cell.fg, cell.fg];
    return cell.glyph === '▀' ? [cell.fg, cell.bg] : [cell.bg, cell.fg];
  }
}

function image(width: number, height: number, pixel: (x: number, y: number) => [number, number, number]): Buffer {
  const rgb = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) rgb.set(pixel(x, y), (y * width + x) * 3);
  return rgb;
}

function assertShows(screen: VirtualScreen, rgb: Buffer, width: number, height: number, top: number, left: number): void {
  for (let y = 0; y < height; y += 2) {
    for (let x = 0; x < width; x++) {
      const at = (yy: number) => [...rgb.subarray((yy * width + x) * 3, (yy * width + x) * 3 + 3)].join(',');
      assert.deepEqual(screen.pixels(top + y / 2, left + x), [at(y), at(y + 1)], `cell at pixel ${x},${y}`);
    }
  }
}

describe('HalfBlockRenderer', () => {
  it('draws two pixels per cell at the right place, wrapped in synchronized output and cursor save/restore', () => {
    const rgb = image(4, 4, (x, y) => [x * 60, y * 60, 7]);
    const renderer = new HalfBlockRenderer({ cols: 4, rows: 2, top: 5, left: 10, colorMode: 'truecolor' });
    const out = renderer.render(rgb, 4, 4);
    const text = out.toString('utf8');
    assert.ok(text.startsWith('\u001b[?2026h\u001b7') && text.endsWith('\u001b8\u001b[?2026l'));
    const screen = new VirtualScreen();
    screen.apply(out);
    assertShows(screen, rgb, 4, 4, 5, 10);
  });

  it('writes nothing for a frame identical to the last one', () => {
    const rgb = image(8, 8, (x, y) => [x * 30, y * 30, 100]);
    const renderer = new HalfBlockRenderer({ cols: 8, rows: 4, top: 1, left: 1, colorMode: 'truecolor' });
    renderer.render(rgb, 8, 8);
    assert.equal(renderer.render(rgb, 8, 8).length, 0);
  });

  it('rewrites only the cell that changed, with one cursor move and one color sequence', () => {
    const before = image(8, 8, () => [10, 20, 30]);
    const after = Buffer.from(before);
    after.set([200, 0, 0], (5 * 8 + 3) * 3); // pixel x=3, y=5: the bottom half of cell row 2, col 3
    const renderer = new HalfBlockRenderer({ cols: 8, rows: 4, top: 1, left: 1, colorMode: 'truecolor' });
    renderer.render(before, 8, 8);
    const text = renderer.render(after, 8, 8).toString('utf8');
    assert.equal(text, '\u001b[?2026h\u001b7\u001b[3;4H\u001b[38;2;10;20;30;48;2;200;0;0m▀\u001b8\u001b[?2026l');
  });

  it('uses a space with a background color when both pixels match, and repeats no color', () => {
    const rgb = image(3, 2, () => [50, 60, 70]);
    const text = new HalfBlockRenderer({ cols: 3, rows: 1, top: 1, left: 1, colorMode: 'truecolor' }).render(rgb, 3, 2).toString('utf8');
    assert.equal(text, '\u001b[?2026h\u001b7\u001b[1;1H\u001b[48;2;50;60;70m   \u001b8\u001b[?2026l');
  });

  it('speaks 256 colors when asked, with palette indices', () => {
    const rgb = image(1, 2, (_x, y) => (y === 0 ? [255, 0, 0] : [0, 0, 255]));
    const text = new HalfBlockRenderer({ cols: 1, rows: 1, top: 1, left: 1, colorMode: '256' }).render(rgb, 1, 2).toString('utf8');
    assert.match(text, /\u001b\[38;5;196;48;5;21m▀/);
    assert.equal(quantize256(0x808080), 232 + Math.round((128 / 255) * 23));
  });

  it('centres a smaller image and paints the rest of the area black once', () => {
    const rgb = image(2, 2, () => [255, 255, 255]);
    const renderer = new HalfBlockRenderer({ cols: 4, rows: 3, top: 1, left: 1, colorMode: 'truecolor' });
    const screen = new VirtualScreen();
    screen.apply(renderer.render(rgb, 2, 2));
    assert.deepEqual(screen.pixels(2, 2), ['255,255,255', '255,255,255']);
    assert.deepEqual(screen.pixels(1, 1), ['0,0,0', '0,0,0']);
    assert.deepEqual(screen.pixels(3, 4), ['0,0,0', '0,0,0']);
  });

  it('repaints everything after invalidate()', () => {
    const rgb = image(4, 4, () => [1, 2, 3]);
    const renderer = new HalfBlockRenderer({ cols: 4, rows: 2, top: 1, left: 1, colorMode: 'truecolor' });
    const first = renderer.render(rgb, 4, 4).length;
    renderer.invalidate();
    assert.equal(renderer.render(rgb, 4, 4).length, first);
  });

  it('leaves the screen showing exactly the last frame after any sequence of frames', () => {
    const pixel = fc.constantFrom<[number, number, number]>([0, 0, 0], [255, 0, 0], [0, 255, 0], [10, 10, 10], [255, 255, 255]);
    const frame = fc.array(pixel, { minLength: 6 * 4, maxLength: 6 * 4 });
    fc.assert(
      fc.property(fc.array(frame, { minLength: 1, maxLength: 6 }), (frames) => {
        const renderer = new HalfBlockRenderer({ cols: 6, rows: 2, top: 3, left: 2, colorMode: 'truecolor' });
        const screen = new VirtualScreen();
        let rgb = Buffer.alloc(0);
        for (const pixels of frames) {
          rgb = Buffer.from(pixels.flat());
          screen.apply(renderer.render(rgb, 6, 4));
        }
        assertShows(screen, rgb, 6, 4, 3, 2);
      }),
      { numRuns: 300 },
    );
  });

  it('repaints a cell the tolerance left stale within repaintEvery frames, then never again', () => {
    const rows = 6;
    const shown = image(1, rows * 2, () => [100, 100, 100]);
    const drifted = image(1, rows * 2, () => [103, 103, 103]);
    const renderer = new HalfBlockRenderer({ cols: 1, rows, top: 1, left: 1, colorMode: 'truecolor', tolerance: 6, repaintEvery: 3 });
    const screen = new VirtualScreen();
    screen.apply(renderer.render(shown, 1, rows * 2));
    // Within the tolerance, so skipped... but each frame repaints one band of rows exactly.
    const repainted: number[] = [];
    for (let frame = 0; frame < 3; frame++) {
      const out = renderer.render(drifted, 1, rows * 2);
      screen.apply(out);
      repainted.push(out.length === 0 ? 0 : (out.toString('utf8').match(/\u001b\[\d+;1H/g) ?? []).length);
    }
    assertShows(screen, drifted, 1, rows * 2, 1, 1);
    assert.ok(
      repainted.every((moves) => moves > 0 && moves <= rows / 3),
      `one band a frame: ${repainted}`,
    );
    for (let frame = 0; frame < 3; frame++) assert.equal(renderer.render(drifted, 1, rows * 2).length, 0, 'nothing stale is left');
  });

  it('with no repaint, a fixed tolerance leaves the cell stale (what the repaint is for)', () => {
    const renderer = new HalfBlockRenderer({ cols: 1, rows: 1, top: 1, left: 1, colorMode: 'truecolor', tolerance: 6, repaintEvery: Number.MAX_SAFE_INTEGER });
    renderer.render(
      image(1, 2, () => [100, 100, 100]),
      1,
      2,
    );
    for (let frame = 0; frame < 30; frame++)
      assert.equal(
        renderer.render(
          image(1, 2, () => [103, 103, 103]),
          1,
          2,
        ).length,
        0,
      );
  });

  it("reports what a plain change-only writer would write: every changed cell's colors in full, nothing for a still frame", () => {
    const before = image(8, 8, () => [10, 20, 30]);
    const after = Buffer.from(before);
    after.set([200, 0, 0], (5 * 8 + 3) * 3);
    const renderer = new HalfBlockRenderer({ cols: 8, rows: 4, top: 1, left: 1, colorMode: 'truecolor' });
    renderer.render(before, 8, 8);
    assert.ok(renderer.lastCost.plainBytes >= renderer.lastCost.bytes, 'a first frame: every cell, colors in full');
    const out = renderer.render(after, 8, 8);
    const plain = '\u001b[?2026h\u001b7\u001b[3;4H\u001b[38;2;10;20;30;48;2;200;0;0m▀\u001b8\u001b[?2026l';
    assert.deepEqual(renderer.lastCost, { bytes: out.length, plainBytes: Buffer.byteLength(plain) });
    renderer.render(after, 8, 8);
    assert.deepEqual(renderer.lastCost, { bytes: 0, plainBytes: 0 });
  });
});
