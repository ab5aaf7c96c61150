// Reads the Prometheus text exposition format as `tui-chat top` needs it: each sample line
// `name{labels} value` into a map from `name{labels}` to the number. Comments, timestamps and
// anything malformed are skipped: a dashboard shows what it can read.

export type Samples = ReadonlyMap<string, number>;

export function parsePrometheusText(text: string): Samples {
  const samples = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][\w:]*(?:\{[^}]*\})?)\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[2]);
    if (!Number.isNaN(value)) samples.set(match[1]!, value);
  }
  return samples;
}

/** The sum of every sample of a metric, whatever its labels (e.g. deliveries of all kinds). */
export function sumOf(samples: Samples, name: string): number {
  let total = 0;
  for (const [key, value] of samples) if (key === name || key.startsWith(`${name}{`)) total += value;
  return total;
}
