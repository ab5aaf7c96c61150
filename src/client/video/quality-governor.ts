// Decides how much the terminal renderer may spend per frame, from two signals: time and bytes.
// It draws exactly (tolerance 0) while the terminal keeps up and the bytes stay under the budget;
// it steps to a color tolerance only when one of them runs out, and back when both return.
// - Bytes: the budget is a share of what a plain change-only writer (timg's way) would write for
//   the same frames. A picture where exact drawing is cheap is drawn exactly; one where it would
//   cost more than the budget spends the tolerance, and the renderer's stale-cell repaint keeps
//   that error short-lived. Bytes only ever move between the truecolor rungs.
// - Time: when drawing a frame (render plus the terminal write) takes longer than the frame
//   interval, it steps down further: larger tolerances, then 256 colors, then fewer frames.
// Pure, so its hysteresis is unit-tested.
import type { ColorMode } from './half-block-renderer.js';

export interface QualityLevel {
  readonly tolerance: number;
  readonly colorMode: ColorMode;
  /** Draw every n-th frame. */
  readonly frameStep: number;
}

/** Level 0 is exact; the measured trade of each rung is in docs/VIDEO.md (`npm run bench -- fidelity`). */
export const QUALITY_LADDER: readonly QualityLevel[] = [
  { tolerance: 0, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 2, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 4, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 6, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 10, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 16, colorMode: 'truecolor', frameStep: 1 },
  { tolerance: 0, colorMode: '256', frameStep: 1 },
  { tolerance: 0, colorMode: '256', frameStep: 2 },
  { tolerance: 0, colorMode: '256', frameStep: 3 },
];

/** Where a terminal without truecolor starts. */
export const FIRST_256_COLOR_LEVEL = QUALITY_LADDER.findIndex((level) => level.colorMode === '256');
/** The lowest rung the byte budget alone may reach: the last truecolor one (the ladder lists them first). */
const LAST_BUDGET_LEVEL = FIRST_256_COLOR_LEVEL - 1;

/** The byte budget: this share of what a plain change-only writer would write for the same frames. */
export const BYTE_BUDGET_SHARE = 0.8;
/** Below this share for a while, the next sharper rung is tried again. */
const BYTE_RETURN_SHARE = 0.5;
const BYTE_RETURN_AFTER_FRAMES = 30;
/** A budget never below this many bytes per cell of the picture: a still picture is not "over budget". */
const BYTE_BUDGET_FLOOR_PER_CELL = 1;

/** Step down when a frame costs more than this share of its interval (on average)... */
const STEP_DOWN_SHARE = 0.8;
/** ...and back up after this many frames in a row below this share. */
const STEP_UP_SHARE = 0.35;
const STEP_UP_AFTER_FRAMES = 90;
/** Smoothing of the averages: one slow or large frame is not a trend. */
const EWMA_WEIGHT = 0.2;

export interface DrawnFrame {
  /** Milliseconds to render and write it. */
  readonly costMs: number;
  readonly frameIntervalMs: number;
  /** Bytes written, and what a plain writer would have written (see HalfBlockRenderer.lastCost). */
  readonly bytes: number;
  readonly plainBytes: number;
  /** Cells of the picture. */
  readonly cells: number;
}

export class QualityGovernor {
  private level = 0;
  private averageMs = 0;
  private calmFrames = 0;
  private averageBytes = -1;
  private averagePlainBytes = 0;
  private cheapFrames = 0;

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
  record(frame: DrawnFrame): boolean {
    return this.recordTime(frame.costMs, frame.frameIntervalMs) || this.recordBytes(frame);
  }

  private recordTime(costMs: number, frameIntervalMs: number): boolean {
    this.averageMs = this.averageMs === 0 ? costMs : this.averageMs + EWMA_WEIGHT * (costMs - this.averageMs);
    if (this.averageMs > STEP_DOWN_SHARE * frameIntervalMs && this.level < this.lowestLevel) {
      this.step(+1);
      this.averageMs = 0;
      return true;
    }
    if (this.averageMs < STEP_UP_SHARE * frameIntervalMs) {
      this.calmFrames++;
    } else {
      this.calmFrames = 0;
    }
    return false;
  }

  private recordBytes(frame: DrawnFrame): boolean {
    if (this.averageBytes < 0) {
      this.averageBytes = frame.bytes;
      this.averagePlainBytes = frame.plainBytes;
    } else {
      this.averageBytes += EWMA_WEIGHT * (frame.bytes - this.averageBytes);
      this.averagePlainBytes += EWMA_WEIGHT * (frame.plainBytes - this.averagePlainBytes);
    }
    const floor = BYTE_BUDGET_FLOOR_PER_CELL * frame.cells;
    const budget = Math.max(floor, BYTE_BUDGET_SHARE * this.averagePlainBytes);
    if (this.averageBytes > budget && this.level < Math.min(LAST_BUDGET_LEVEL, this.lowestLevel)) {
      this.step(+1);
      return true;
    }
    const cheap = this.averageBytes < Math.max(floor, BYTE_RETURN_SHARE * this.averagePlainBytes);
    this.cheapFrames = cheap ? this.cheapFrames + 1 : 0;
    // Sharper again only after a long calm spell in time, with room in bytes for a while.
    if (
      this.level > this.highestLevel &&
      this.calmFrames >= STEP_UP_AFTER_FRAMES &&
      (this.cheapFrames >= BYTE_RETURN_AFTER_FRAMES || this.level > LAST_BUDGET_LEVEL)
    ) {
      this.step(-1);
      return true;
    }
    return false;
  }

  private step(by: 1 | -1): void {
    this.level += by;
    this.calmFrames = 0;
    this.cheapFrames = 0;
    // The averages were measured at the old rung: start them again from the next frame.
    this.averageBytes = -1;
  }
}
