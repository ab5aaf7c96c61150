// Posters (one still per video, for :videos) each cost an ffmpeg run. Without a budget, 30 poster
// requests ran 26-29 ffmpeg processes at once (550-680 MiB) past --max-streams 4. Here a poster
// takes one of the server's ffmpeg places (shared with the streams), waits in a bounded queue when
// none is free, and a poster already made or being made is shared instead of made again.
import { LRUCache } from 'lru-cache';
import { ChatError, ErrorCode } from '../../core/errors.js';

export interface PosterQueueOptions {
  /** Posters made at once, at most; they also need a free place in the shared ffmpeg budget. */
  readonly maxRunning: number;
  /** Requests waiting for a place; more are refused with VIDEO_BUSY. */
  readonly maxWaiting: number;
  /** Stills kept in memory (a few KB each), least recently used first out. */
  readonly cacheEntries: number;
  /** True while the server's ffmpeg budget (--max-streams) has a place for one more process. */
  readonly hasFfmpegPlace: () => boolean;
}

/** Two at once keeps a burst of :videos quick without crowding out streams; 64 cached is ~500 KB. */
export const DEFAULT_POSTER_QUEUE = { maxRunning: 2, maxWaiting: 64, cacheEntries: 64 } as const;

export class PosterQueue {
  private running = 0;
  private made = 0;
  private readonly waiting: Array<() => void> = [];
  private readonly cache: LRUCache<string, Buffer>;
  private readonly inFlight = new Map<string, Promise<Buffer>>();

  constructor(private readonly options: PosterQueueOptions) {
    this.cache = new LRUCache({ max: Math.max(1, options.cacheEntries) });
  }

  /** ffmpeg processes making posters right now. */
  get runningCount(): number {
    return this.running;
  }

  /** Posters made (ffmpeg runs) since start; a cached or shared one does not count. */
  get madeCount(): number {
    return this.made;
  }

  /** The still for `key`, from the cache, from a run already under way, or made by `grab` in turn. */
  async get(key: string, grab: () => Promise<Buffer>): Promise<Buffer> {
    const cached = this.cache.get(key);
    if (cached !== undefined) return cached;
    const shared = this.inFlight.get(key);
    if (shared !== undefined) return shared;
    const job = this.make(key, grab);
    this.inFlight.set(key, job);
    try {
      return await job;
    } finally {
      this.inFlight.delete(key);
    }
  }

  /** Lets waiting posters start once an ffmpeg place is free (a poster or a stream ended). */
  wake(): void {
    while (this.waiting.length > 0 && this.canStart()) {
      this.running++;
      this.waiting.shift()!();
    }
  }

  private async make(key: string, grab: () => Promise<Buffer>): Promise<Buffer> {
    await this.acquire();
    this.made++;
    try {
      const jpeg = await grab();
      this.cache.set(key, jpeg);
      return jpeg;
    } finally {
      this.running--;
      this.wake();
    }
  }

  /** Takes a place now, or waits in line for one; refuses when the line is full. */
  private acquire(): Promise<void> {
    if (this.waiting.length === 0 && this.canStart()) {
      this.running++;
      return Promise.resolve();
    }
    if (this.waiting.length >= this.options.maxWaiting) {
      return Promise.reject(new ChatError(ErrorCode.VIDEO_BUSY, `the server is busy making ${this.options.maxWaiting} posters; try again later`));
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private canStart(): boolean {
    return this.running < this.options.maxRunning && this.options.hasFfmpegPlace();
  }
}
