// `tui-chat top`: a live dashboard of a running server, read from its metrics endpoint, drawn with
// blessed-contrib (made for exactly this): deliveries and traffic over the last minutes, a gauge of
// connections against --max-clients, video and cluster tables, process health, and a log of what
// went wrong. q (or Ctrl+C) quits and restores the terminal. An unreachable endpoint is said once
// per outage and retried every interval.
import contrib from 'blessed-contrib';
import { createScreen } from '../blessed-internals.js';
import { HISTORY_POINTS, MetricsHistory } from './metrics-history.js';
import { type Samples, parsePrometheusText, sumOf } from './prometheus-text.js';

export interface TopOptions {
  /** http://HOST:PORT/metrics */
  readonly url: string;
  /** Between scrapes. Default 1000 ms. */
  readonly intervalMs?: number;
  readonly terminal?: { readonly input: NodeJS.ReadableStream; readonly output: NodeJS.WritableStream; readonly term?: string };
}

/** A scrape that takes longer than this counts as a failure. */
const SCRAPE_TIMEOUT_MS = 2000;
/** Points on the charts: the last five minutes at one scrape a second. */
const CHART_POINTS = Math.min(300, HISTORY_POINTS);

/** Runs until the user quits; resolves with the exit code after the terminal is restored. */
export function runTop(options: TopOptions): Promise<number> {
  return new Promise((resolve) => {
    const screen = createScreen('tui-chat top', options.terminal);
    const grid = new contrib.grid({ rows: 12, cols: 12, screen });
    const chart = grid.set(0, 0, 6, 8, contrib.line, {
      label: ` ${options.url} `,
      showLegend: true,
      legend: { width: 16 },
      wholeNumbersOnly: false,
      style: { line: 'yellow', text: 'green', baseline: 'white' },
    });
    const connections = grid.set(0, 8, 3, 4, contrib.gauge, { label: ' connections / --max-clients ', stroke: 'green', fill: 'white', percent: [0] });
    const video = grid.set(3, 8, 3, 4, contrib.table, { label: ' video ', columnWidth: [16, 8], keys: false, interactive: 'false' });
    const cluster = grid.set(6, 0, 3, 6, contrib.table, { label: ' cluster ', columnWidth: [12, 20], keys: false, interactive: 'false' });
    const serverTable = grid.set(6, 6, 3, 6, contrib.table, { label: ' server ', columnWidth: [20, 14], keys: false, interactive: 'false' });
    const log = grid.set(9, 0, 3, 12, contrib.log, { label: ' log (q quits) ', fg: 'green' });

    const history = new MetricsHistory();
    let reachable: boolean | undefined;
    let timer: NodeJS.Timeout | undefined;
    let stopped = false;

    const show = (samples: Samples) => {
      const points = history.points.slice(-CHART_POINTS);
      const x = points.map((p) => `${p.t}s`);
      chart.setData([
        { title: 'deliveries/s', x, y: points.map((p) => round(p.deliveriesPerSecond)), style: { line: 'yellow' } },
        { title: 'KB/s', x, y: points.map((p) => round(p.kilobytesPerSecond)), style: { line: 'cyan' } },
      ]);
      const open = sumOf(samples, 'tuichat_connections');
      const max = samples.get('tuichat_max_clients') ?? 0;
      connections.setPercent(max > 0 ? Math.min(100, Math.round((open / max) * 100)) : 0);
      connections.setLabel(` connections ${open} / ${max} `);
      video.setData({
        headers: ['what', 'now'],
        data: [
          ['streams', text(samples.get('tuichat_video_streams'))],
          ['ffmpeg', text(samples.get('tuichat_ffmpeg_processes'))],
        ],
      });
      const up = [...samples].find(([key]) => key.startsWith('tuichat_cluster_up{'))?.[1];
      const nodes = [...samples].find(([key]) => key.startsWith('tuichat_cluster_nodes{'))?.[1];
      cluster.setData({
        headers: ['cluster', ''],
        data:
          up === undefined
            ? [['state', 'standing alone']]
            : [
                ['state', up === 1 ? 'linked' : 'CUT OFF'],
                ['nodes', text(nodes)],
              ],
      });
      serverTable.setData({
        headers: ['server', ''],
        data: [
          ['joined', text(samples.get('tuichat_connections{state="joined"}'))],
          ['handshaking', text(samples.get('tuichat_connections{state="handshaking"}'))],
          ['memory (RSS)', `${Math.round((samples.get('process_resident_memory_bytes') ?? 0) / 2 ** 20)} MB`],
          ['event-loop lag', `${round((samples.get('nodejs_eventloop_lag_seconds') ?? 0) * 1000)} ms`],
        ],
      });
    };

    const scrape = async () => {
      try {
        const response = await fetch(options.url, { signal: AbortSignal.timeout(SCRAPE_TIMEOUT_MS) });
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        const samples = parsePrometheusText(await response.text());
        if (reachable !== true) log.log(`${time()} connected to ${options.url}`);
        reachable = true;
        for (const warning of history.add(samples, Date.now())) log.log(`${time()} ${warning}`);
        show(samples);
      } catch (error) {
        if (reachable !== false) {
          const why = error instanceof Error ? ((error.cause as Error | undefined)?.message ?? error.message) : String(error);
          log.log(`${time()} cannot reach ${options.url} (${why}); retrying every ${options.intervalMs ?? 1000} ms`);
        }
        reachable = false;
      }
      if (stopped) return;
      screen.render();
      timer = setTimeout(() => void scrape(), options.intervalMs ?? 1000);
    };

    screen.key(['q', 'C-c'], () => {
      stopped = true;
      clearTimeout(timer);
      screen.destroy();
      resolve(0);
    });
    screen.render();
    void scrape();
  });
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

function text(n: number | undefined): string {
  return n === undefined ? '–' : String(n);
}

function time(): string {
  return new Date().toISOString().slice(11, 19);
}
