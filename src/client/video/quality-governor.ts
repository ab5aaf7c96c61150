// Decides how much the terminal renderer may spend per frame. When drawing a frame (render plus
// the terminal write) takes longer than the frame interval, it steps down: lossy color tolerance,
// then 256 colors, then fewer frames per second; when there is room again it steps back up.
// Pure, so its hysteresis is unit-tested.
import type { ColorMode } from './half-block-renderer.js';

export interface QualityLevel {
  readonly tolerance: number;
  readonly colorMode: ColorMode;
  /** Draw every n-th frame. */
  readonly frameStep: number;
}

/**
 * Level 0 is the measured best trade (docs/VIDEO.md, `npm run bench -- fidelity`): with lossless
 * frames, a cell within 6 of what is shown per channel is not redrawn. On a slow pan over a
 * photograph that keeps 43 dB PSNR (timg: 35) for 0.64x timg's bytes; tolerance 0 would write
 * 1.4x as much for differences no one sees. Tolerance 10, then 16, when the terminal lags.
 */
export const QUALITY_LADDER: readonly QualityLevel[] = [
  { tolerance: 6, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 10, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 16, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 0, colorMode: '256', frameStep: 1 },
  { tolerance: 0, colorMode: '256', frameStep: 2 },
  { tolerance: 0, colorMode: '256', frameStep: 3 },
];

/** Step down when a frame costs more than this share of its interval (on average)... */
const STEP_DOWN_SHARE = 0.8;
/** ...and back up after this many frames in a row below this share. */
const STEP_UP_SHARE = 0.35;
const STEP_UP_AFTER_FRAMES = 90;
/** Smoothing of the average cost: one slow frame is not a trend. */
const EWMA_WEIGHT = 0.2;

export class QualityGovernor {
  private level = 0;
  private averageMs = 0;
  private calmFrames = 0;

  constructor(
    private readonly highestLevel: number = 0,
    private readonly lowestLevel: number = QUALITY_LADDER.length - 1,
  ) {
    this.level = highestLevel;
  }

  get current(): QualityLevel {
    return QUALITY_LADDER[this.level]!;
  }

  get levelIndex(): number {
    return this.level;
  }

  /** Records one drawn frame; returns true when the level changed. */
  record(costMs: number, frameIntervalMs: number): boolean {
    this.averageMs = this.averageMs === 0 ? costMs : this.averageMs + EWMA_WEIGHT * (costMs - this.averageMs);
    if (this.averageMs > STEP_DOWN_SHARE * frameIntervalMs && this.level < this.lowestLevel) {
      this.level++;
      this.calmFrames = 0;
      this.averageMs = 0;
      return true;
    }
    if (this.averageMs < STEP_UP_SHARE * frameIntervalMs) {
      if (++this.calmFrames >= STEP_UP_AFTER_FRAMES && this.level > this.highestLevel) {
        this.level--;
        this.calmFrames = 0;
        return true;
      }
    } else {
      this.calmFrames = 0;
    }
    return false;
  }
}
