// What `tui-chat top` keeps between scrapes: rates over the last few minutes from counter deltas,
// and a warning for each counter of trouble that went up (refusals, slow readers, floods, failed
// joins). Pure: the dashboard feeds it samples and draws what it returns.
import { type Samples, sumOf } from './prometheus-text.js';

/** Points kept for the charts: ten minutes at one scrape a second. */
export const HISTORY_POINTS = 600;

/** Counters whose increase is worth a line in the dashboard's log, and how to say it. */
const TROUBLE: ReadonlyArray<readonly [string, string]> = [
  ['tuichat_connections_refused_total', 'connections refused by a limit'],
  ['tuichat_slow_reader_drops_total', 'clients dropped for not reading'],
  ['tuichat_throttled_total', 'floods slowed by flood control'],
  ['tuichat_join_failures_total', 'joins refused or failed'],
];

export interface Point {
  /** Seconds since the first scrape. */
  readonly t: number;
  readonly deliveriesPerSecond: number;
  readonly kilobytesPerSecond: number;
}

export class MetricsHistory {
  readonly points: Point[] = [];
  private previous: { readonly at: number; readonly samples: Samples } | undefined;
  private firstAt: number | undefined;

  /** Adds a scrape taken at `at` (ms); returns the warnings it brings, if any. */
  add(samples: Samples, at: number): string[] {
    this.firstAt ??= at;
    const warnings: string[] = [];
    const previous = this.previous;
    if (previous !== undefined && at > previous.at) {
      const seconds = (at - previous.at) / 1000;
      const rate = (name: string) => Math.max(0, sumOf(samples, name) - sumOf(previous.samples, name)) / seconds;
      this.points.push({
        t: Math.round((at - this.firstAt) / 1000),
        deliveriesPerSecond: rate('tuichat_deliveries_total'),
        kilobytesPerSecond: (rate('tuichat_received_bytes_total') + rate('tuichat_sent_bytes_total')) / 1024,
      });
      if (this.points.length > HISTORY_POINTS) this.points.shift();
      for (const [name, what] of TROUBLE) {
        const more = sumOf(samples, name) - sumOf(previous.samples, name);
        if (more > 0) warnings.push(`${more} ${what}`);
      }
    }
    this.previous = { at, samples };
    return warnings;
  }
}
