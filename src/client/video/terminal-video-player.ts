// Plays a stream's frames into a rectangle of the terminal: JPEG -> RGB with sharp (off the main
// thread), then the half-block renderer, then one write. Frames are dropped before the renderer,
// never after it: while one frame is being decoded or drawn only the newest arrival is kept.
import sharp from 'sharp';
import type { VideoFrame } from '../../core/media-frame.js';
import { type ColorMode, HalfBlockRenderer } from './half-block-renderer.js';
import { FIRST_256_COLOR_LEVEL, QualityGovernor } from './quality-governor.js';

export interface VideoArea {
  /** 1-based terminal coordinates of the top-left cell, and the size in cells. */
  readonly top: number;
  readonly left: number;
  readonly cols: number;
  readonly rows: number;
}

export interface PlayerStats {
  readonly received: number;
  readonly drawn: number;
  /** Frames skipped here because the terminal could not keep up. */
  readonly skipped: number;
  readonly bytesWritten: number;
  readonly qualityLevel: number;
}

export interface TerminalVideoPlayerOptions {
  /** Where to draw; until it is known (setArea), frames are received but not drawn. */
  readonly area?: VideoArea;
  /** Best color the terminal supports: truecolor when COLORTERM says so, else 256. */
  readonly colorMode: ColorMode;
  /** Writes bytes to the terminal synchronously (a TTY write blocks while the terminal is busy). */
  readonly write: (bytes: Buffer) => void;
  /** Called right before each write, e.g. to flush the UI library's own buffered output first. */
  readonly beforeWrite?: () => void;
  readonly fps: number;
}

export class TerminalVideoPlayer {
  private readonly options: TerminalVideoPlayerOptions;
  private readonly renderer: HalfBlockRenderer;
  private readonly governor: QualityGovernor;
  private pending: VideoFrame | undefined;
  /** The newest frame that came before the area was known. */
  private beforeArea: VideoFrame | undefined;
  private busy = false;
  private hidden = false;
  private hasArea: boolean;
  /** Where frames are drawn: a frame larger than this is fitted inside it. */
  private area: VideoArea;
  private stopped = false;
  private received = 0;
  private drawn = 0;
  private skipped = 0;
  private bytesWritten = 0;
  private arrivals = 0;

  constructor(options: TerminalVideoPlayerOptions) {
    this.options = options;
    // A 256-color terminal starts at the first 256-color rung of the ladder.
    this.governor = new QualityGovernor(options.colorMode === '256' ? FIRST_256_COLOR_LEVEL : 0);
    this.hasArea = options.area !== undefined;
    const area = options.area ?? { top: 1, left: 1, cols: 0, rows: 0 };
    this.area = area;
    this.renderer = new HalfBlockRenderer({ ...area, colorMode: this.governor.current.colorMode, tolerance: this.governor.current.tolerance });
  }

  get stats(): PlayerStats {
    return { received: this.received, drawn: this.drawn, skipped: this.skipped, bytesWritten: this.bytesWritten, qualityLevel: this.governor.levelIndex };
  }

  /** The area moved or was resized (or painted over): the next frame repaints everything. */
  setArea(area: VideoArea): void {
    this.hasArea = true;
    this.area = area;
    this.renderer.resize({ ...area, colorMode: this.renderer.colorMode, tolerance: this.governor.current.tolerance });
    // A frame that came before the pane had its size is drawn now rather than lost.
    const early = this.beforeArea;
    this.beforeArea = undefined;
    if (early !== undefined && !this.busy && !this.hidden && !this.stopped) void this.draw(early);
  }

  invalidate(): void {
    this.renderer.invalidate();
  }

  /**
   * While hidden (an overlay covers the area) frames are received but not drawn. Only coming back
   * into view repaints everything: views call this on every render, and a repaint per status-bar
   * update once cost ~20% more bytes on those frames.
   */
  setHidden(hidden: boolean): void {
    if (this.hidden && !hidden) this.renderer.invalidate();
    this.hidden = hidden;
  }

  stop(): void {
    this.stopped = true;
    this.pending = undefined;
  }

  onFrame(frame: VideoFrame): void {
    if (this.stopped) return;
    this.received++;
    if (!this.hasArea) {
      // Kept (the newest only) until the pane has its size: the first frame is not lost to layout.
      if (this.beforeArea !== undefined) this.skipped++;
      this.beforeArea = frame;
      return;
    }
    // Lower rungs of the ladder draw every n-th frame only.
    if (this.arrivals++ % this.governor.current.frameStep !== 0 || this.hidden) {
      this.skipped++;
      return;
    }
    if (this.busy) {
      if (this.pending !== undefined) this.skipped++;
      this.pending = frame;
      return;
    }
    void this.draw(frame);
  }

  private async draw(frame: VideoFrame): Promise<void> {
    this.busy = true;
    try {
      // A room's shared stream may send a size made for a larger pane than ours: fitted, not cropped.
      const box = { width: this.area.cols, height: this.area.rows * 2 };
      const image = sharp(frame.payload).removeAlpha();
      const fitted = frame.width > box.width || frame.height > box.height ? image.resize({ ...box, fit: 'inside' }) : image;
      const { data, info } = await fitted.raw().toBuffer({ resolveWithObject: true });
      if (this.stopped || this.hidden) return;
      const started = performance.now();
      const bytes = this.renderer.render(data, info.width, info.height);
      if (bytes.length > 0) {
        this.options.beforeWrite?.();
        this.options.write(bytes);
      }
      this.bytesWritten += bytes.length;
      this.drawn++;
      const drawn = {
        costMs: performance.now() - started,
        frameIntervalMs: 1000 / this.options.fps,
        ...this.renderer.lastCost,
        cells: info.width * Math.ceil(info.height / 2),
      };
      if (this.governor.record(drawn)) {
        const level = this.governor.current;
        this.renderer.setColorMode(level.colorMode);
        this.renderer.setTolerance(level.tolerance);
      }
    } catch {
      // A frame that does not decode is skipped; the next one replaces it.
      this.skipped++;
    } finally {
      this.busy = false;
      const next = this.pending;
      this.pending = undefined;
      if (next !== undefined && !this.stopped) void this.draw(next);
    }
  }
}

/** COLORTERM=truecolor or 24bit is how terminals announce 24-bit color. */
export function detectColorMode(env: NodeJS.ProcessEnv = process.env): ColorMode {
  return /^(truecolor|24bit)$/i.test(env['COLORTERM'] ?? '') ? 'truecolor' : '256';
}
