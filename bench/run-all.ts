// `npm run bench`: prints every benchmark's figures. docs/BENCHMARKS.md records a run and its machine.
import { cpus, totalmem } from 'node:os';
import { type BenchResult, runRelayBench } from './relay-bench.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 5);

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} x ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, ${process.platform}`;
}

function formatRow(result: BenchResult, ceiling: BenchResult | undefined): string {
  const ratio = ceiling === undefined || result === ceiling ? '' : `${((result.perSecond / ceiling.perSecond) * 100).toFixed(0)}% of bare`;
  return [
    result.target.padEnd(11),
    String(result.clients).padStart(7),
    result.mode.padEnd(5),
    Math.round(result.perSecond).toLocaleString('en-US').padStart(13),
    result.p50ms.toFixed(2).padStart(8),
    result.p99ms.toFixed(2).padStart(8),
    ratio,
  ].join('  ');
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}`);
  console.log(`relay throughput: ${SECONDS} s per run, one server process, load generated from this process\n`);
  console.log(['target'.padEnd(11), 'clients'.padStart(7), 'mode '.padEnd(5), 'deliveries/s'.padStart(13), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'vs ceiling'].join('  '));
  const results = await runRelayBench(SECONDS);
  for (const result of results) {
    const ceiling = results.find((r) => r.target === 'bare relay' && r.clients === result.clients && r.mode === result.mode);
    console.log(formatRow(result, ceiling));
  }
}

await main();
