// `npm run bench`: prints every benchmark's figures. docs/BENCHMARKS.md records a run and its machine.
import { cpus, totalmem } from 'node:os';
import { type BenchResult, runRelayBench } from './relay-bench.js';
import { runRendererBench } from './renderer-bench.js';
import { runEncodingBench } from './encoding-bench.js';
import { runFanoutBench } from './fanout-bench.js';
import { runWatchTogetherBench } from './watch-together-bench.js';
import { printFiles } from './files-bench.js';
import { runTuiVideoBench } from './tui-video-bench.js';
import { canPin, runClusterBench, runCrossCostBench, runRelayPathBench } from './cluster-bench.js';
import { type ClipFidelity, FIDELITY_COLS, FIDELITY_ROWS, runFidelityBench } from './fidelity-bench.js';
import { QUALITY_LADDER } from '../src/client/video/quality-governor.js';
import { type JoinScaleResult, runJoinScaleBench, runStoreBench } from './store-bench.js';
import { runLobbyBench } from './lobby-bench.js';
import { printRooms } from './rooms-table.js';

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

function printRenderer(): void {
  console.log('half-block renderer, truecolor, exact colors (one core)\n');
  console.log(['clip'.padEnd(33), 'cells'.padStart(7), 'ms/frame'.padStart(9), 'bytes/frame'.padStart(12), 'bytes/cell'.padStart(11)].join('  '));
  for (const r of runRendererBench()) {
    console.log(
      [
        r.clip.padEnd(33),
        `${r.cols}x${r.rows}`.padStart(7),
        r.msPerFrame.toFixed(3).padStart(9),
        Math.round(r.bytesPerFrame).toLocaleString('en-US').padStart(12),
        r.bytesPerCell.toFixed(1).padStart(11),
      ].join('  '),
    );
  }
  console.log('');
}

async function printEncoding(): Promise<void> {
  console.log('frame encoding on the wire (per frame; JPEG is encoded by ffmpeg, decoded by sharp off the main thread)\n');
  console.log(
    ['clip'.padEnd(11), 'pixels'.padStart(7), 'encoding'.padEnd(23), 'bytes'.padStart(8), 'server ms'.padStart(10), 'client ms'.padStart(10)].join('  '),
  );
  for (const r of await runEncodingBench()) {
    console.log(
      [
        r.clip.padEnd(11),
        r.size.padStart(7),
        r.encoding.padEnd(23),
        Math.round(r.bytesPerFrame).toLocaleString('en-US').padStart(8),
        r.serverMsPerFrame.toFixed(3).padStart(10),
        r.clientMsPerFrame.toFixed(3).padStart(10),
      ].join('  '),
    );
  }
  console.log('');
}

async function printFanout(): Promise<void> {
  console.log('video fan-out: concurrent 30 fps viewers at 80x24 cells, one ffmpeg each (stops after the first run over 1% lost)\n');
  console.log(['viewers'.padStart(7), 'frames due'.padStart(11), 'received'.padStart(9), 'dropped'.padStart(8), 'lost'.padStart(7)].join('  '));
  for (const r of await runFanoutBench()) {
    console.log(
      [
        String(r.viewers).padStart(7),
        String(r.expected).padStart(11),
        String(r.received).padStart(9),
        String(r.dropped).padStart(8),
        `${(r.dropShare * 100).toFixed(2)}%`.padStart(7),
      ].join('  '),
    );
  }
  console.log('');
}

async function printTuiVideo(): Promise<void> {
  console.log('end to end: 30 fps video at 160x48 cells, server -> real TUI in tmux, truecolor\n');
  const r = await runTuiVideoBench();
  console.log(
    `sent ${r.sent}, dropped by server ${r.serverDropped}, skipped by client ${r.skipped}, drawn ${r.drawn} = ${r.fps.toFixed(1)} fps, ${(r.dropShare * 100).toFixed(2)}% of frames not drawn, ${r.kbPerFrame} KB a frame, final quality level ${r.qualityLevel}\n`,
  );
}

async function printCrossCost(): Promise<void> {
  console.log(`cross-node cost: ${SECONDS} s per run, two clustered nodes pinned to one core, 60 clients round-robin over them, one nats-server`);
  console.log('local: every DM to a client on the same node; cross: every DM to a client on the other node\n');
  console.log(
    [
      'round',
      'local DMs/s'.padStart(12),
      'cross DMs/s'.padStart(12),
      'node CPU ms/1k local'.padStart(21),
      'cross'.padStart(6),
      'broker ms/1k cross'.padStart(19),
      'c node 1'.padStart(9),
      'c node 2'.padStart(9),
      'c'.padStart(5),
    ].join('  '),
  );
  const rounds = await runCrossCostBench(SECONDS, Number(process.env['BENCH_ROUNDS'] ?? 5));
  rounds.forEach((r, round) => {
    console.log(
      [
        String(round + 1).padStart(5),
        Math.round(r.local.perSecond).toLocaleString('en-US').padStart(12),
        Math.round(r.cross.perSecond).toLocaleString('en-US').padStart(12),
        r.local.nodeCpuPer1k.toFixed(1).padStart(21),
        r.cross.nodeCpuPer1k.toFixed(1).padStart(6),
        r.cross.brokerCpuPer1k.toFixed(1).padStart(19),
        r.cPerNode[0]!.toFixed(2).padStart(9),
        r.cPerNode[1]!.toFixed(2).padStart(9),
        r.c.toFixed(2).padStart(5),
      ].join('  '),
    );
  });
  // This machine is shared and drifts between runs: the median of the rounds is the figure to read.
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const c = median(rounds.map((r) => r.c));
  const growth = (n: number) => n / (1 / n + ((n - 1) / n) * c);
  console.log(`\nmedian c ${c.toFixed(2)}: with DMs to random peers, n nodes carry n / (1/n + (n-1)/n x c) times one node:`);
  console.log(`3 nodes ${growth(3).toFixed(2)}x, 6 nodes ${growth(6).toFixed(2)}x (issue's aim: c <= 1.5, 3 nodes >= 2.2x, 6 nodes >= 4x)\n`);
}

async function printCluster(): Promise<void> {
  console.log(`cluster: ${SECONDS} s per run, 60 clients spread over the nodes, one nats-server, every process on this machine`);
  console.log(canPin() ? 'node processes pinned to the last core, load generator and broker to core 0\n' : 'no pinning (taskset missing or one core)\n');
  console.log(
    [
      'layout'.padEnd(19),
      'mode '.padEnd(5),
      'deliveries/s'.padStart(13),
      'p50 ms'.padStart(8),
      'p99 ms'.padStart(8),
      'CPU ms per 1k deliveries: nodes'.padStart(31),
      'broker'.padStart(7),
      'generator'.padStart(10),
      'node ctx switches per 1k'.padStart(25),
    ].join('  '),
  );
  for (const r of await runClusterBench(SECONDS)) {
    console.log(
      [
        r.layout.padEnd(19),
        r.mode.padEnd(5),
        Math.round(r.perSecond).toLocaleString('en-US').padStart(13),
        r.p50ms.toFixed(2).padStart(8),
        r.p99ms.toFixed(2).padStart(8),
        r.nodeCpuPer1k.toFixed(1).padStart(31),
        r.brokerCpuPer1k.toFixed(1).padStart(7),
        r.generatorCpuPer1k.toFixed(1).padStart(10),
        Math.round(r.nodeSwitchesPer1k).toString().padStart(25),
      ].join('  '),
    );
  }
  console.log(
    '\nrelay path alone (one process, nothing else running): serialize each envelope, encode a binary batch of DM relays, through the broker, decode, splice each envelope into a delivery frame\n',
  );
  console.log(['batch'.padStart(5), 'relays/s'.padStart(10), 'CPU us per relay'.padStart(17)].join('  '));
  for (const r of await runRelayPathBench()) {
    console.log(
      [String(r.batch).padStart(5), Math.round(r.relaysPerSecond).toLocaleString('en-US').padStart(10), r.cpuMicrosPerRelay.toFixed(1).padStart(17)].join('  '),
    );
  }
  console.log('');
}

async function printStore(): Promise<void> {
  console.log(
    `store path: one sender, DMs, ${SECONDS} s per phase, ${'one server process (LMDB: each ack "stored" is on disk; writes of one turn share a sync)'}\n`,
  );
  const r = await runStoreBench(SECONDS);
  console.log(`live (recipient online, confirming)   ${Math.round(r.livePerSecond).toLocaleString('en-US').padStart(8)} messages/s`);
  console.log(
    `stored (recipient away)               ${Math.round(r.storedPerSecond).toLocaleString('en-US').padStart(8)} messages/s  (${((r.storedPerSecond / r.livePerSecond) * 100).toFixed(0)}% of live)`,
  );
  console.log(`drained when back (${r.drained} stored)  ${Math.round(r.drainedPerSecond).toLocaleString('en-US').padStart(8)} messages/s`);
  console.log('');
}

async function printFidelity(): Promise<void> {
  console.log(
    `picture fidelity: each clip (640x360, 30 fps) at ${FIDELITY_COLS}x${FIDELITY_ROWS} cells, each drawn frame rebuilt from the bytes ` +
      'written and compared with the source scaled (area) to the same pixels; the aim on photographic clips: default PSNR >= timg, bytes <= 0.8x timg\n',
  );
  const clips = process.env['BENCH_FIDELITY_CLIPS']?.split(',');
  const run = runFidelityBench(clips);
  for (;;) {
    const next = await run.next();
    if (next.done === true) {
      if (next.value.length > 0) console.log(`(not installed, so not compared: ${next.value.join(', ')}; apt-get install ${next.value.join(' ')})`);
      break;
    }
    printClipFidelity(next.value);
  }
  console.log('');
}

function printClipFidelity({ clip, results, defaultLevels }: ClipFidelity): void {
  console.log(`${clip.name}: ${clip.description}`);
  console.log(
    [
      'renderer'.padEnd(28),
      'picture'.padStart(8),
      'frames'.padStart(7),
      'bytes/frame'.padStart(12),
      'bytes/cell'.padStart(11),
      'PSNR dB'.padStart(8),
      'SSIM'.padStart(6),
      'cells changed'.padStart(14),
    ].join('  '),
  );
  for (const r of results) {
    console.log(
      [
        r.renderer.padEnd(28),
        r.picture.padStart(8),
        String(r.framesShown).padStart(7),
        Math.round(r.bytesPerFrame).toLocaleString('en-US').padStart(12),
        r.bytesPerCell.toFixed(1).padStart(11),
        (Number.isFinite(r.psnr) ? r.psnr.toFixed(1) : 'exact').padStart(8),
        r.ssim.toFixed(3).padStart(6),
        `${(r.changedCells * 100).toFixed(0)}%`.padStart(14),
      ].join('  '),
    );
  }
  const ours = results[0]!;
  const timg = results.find((r) => r.renderer.startsWith('timg'));
  const rungs = [...defaultLevels].map(([level, frames]) => `tolerance ${QUALITY_LADDER[level]!.tolerance}: ${frames}`).join(', ');
  console.log(`default drew at ${rungs}`);
  if (timg !== undefined) {
    const ratio = ours.bytesPerCell / timg.bytesPerCell;
    const met = ours.psnr >= timg.psnr && ratio <= 0.8;
    const verdict = clip.photographic ? (met ? 'aim met' : 'AIM MISSED') : 'animation: shown, no aim';
    console.log(`default against timg: ${(ours.psnr - timg.psnr).toFixed(1)} dB, ${ratio.toFixed(2)}x bytes per cell (${verdict})`);
  }
  console.log('');
}

async function printJoinScale(): Promise<void> {
  const sizes = (process.env['BENCH_JOIN_SIZES'] ?? '1000,5000,10000').split(',').map(Number);
  const reference = Number(process.env['BENCH_JOIN_EVERYONE'] ?? '1000');
  console.log('join scale: clients joining one server one after another (real handshakes, RSA-3072)');
  console.log(`default presence (everyone told of everyone up to 500 users, then of whom they follow), then everyone told of all at ${reference}\n`);
  console.log(
    [
      'presence'.padEnd(8),
      'clients'.padStart(7),
      'ms/join (last 500)'.padStart(19),
      'welcome bytes'.padStart(14),
      'bytes sent/join'.padStart(16),
      'server KiB/conn'.padStart(16),
    ].join('  '),
  );
  const row = (r: JoinScaleResult) =>
    console.log(
      [
        r.presence.padEnd(8),
        String(r.clients).padStart(7),
        r.msPerJoinAtEnd.toFixed(2).padStart(19),
        r.welcomeBytesAtEnd.toLocaleString('en-US').padStart(14),
        Math.round(r.bytesPerJoinAtEnd).toLocaleString('en-US').padStart(16),
        r.kibPerConnection.toFixed(1).padStart(16),
      ].join('  '),
    );
  await runJoinScaleBench(sizes, row);
  if (reference > 0) await runJoinScaleBench([reference], row, 'everyone');
  console.log('');
}

async function printLobby(): Promise<void> {
  const sizes = (process.env['BENCH_LOBBY_READERS'] ?? '100,300').split(',').map(Number);
  const processes = Number(process.env['BENCH_MEMBER_PROCESSES'] ?? 4);
  console.log(`a lobby line to readers who never heard of its sender (default flood control, one machine, the readers in ${processes} processes)\n`);
  console.log(['presence'.padEnd(8), 'readers'.padStart(7), 'first line ms'.padStart(14), 'unreadable'.padStart(10), 'second line ms'.padStart(15)].join('  '));
  for (const readers of sizes) {
    for (const presence of ['followed', 'everyone'] as const) {
      const r = await runLobbyBench(readers, presence, processes);
      console.log(
        [
          r.presence.padEnd(8),
          String(r.readers).padStart(7),
          Math.round(r.firstLineMs).toLocaleString('en-US').padStart(14),
          String(r.unreadable).padStart(10),
          Math.round(r.secondLineMs).toLocaleString('en-US').padStart(15),
        ].join('  '),
      );
    }
  }
  console.log('');
}

async function printWatchTogether(): Promise<void> {
  console.log(
    "watching together: 50 viewers in one room, 20 s at 30 fps, 80x48 px; private streams, then the room's shared one, then the shared one with the viewers split over two clustered nodes (one nats-server)\n",
  );
  console.log(
    [
      'mode'.padEnd(9),
      'ffmpegs'.padStart(7),
      'server CPU s'.padStart(12),
      'ffmpeg CPU s'.padStart(12),
      'received'.padStart(9),
      'lost'.padStart(6),
      'spread p50/p99/max ms',
    ].join('  '),
  );
  for (const r of await runWatchTogetherBench()) {
    console.log(
      [
        r.mode.padEnd(9),
        String(r.ffmpegs).padStart(7),
        r.serverCpuS.toFixed(2).padStart(12),
        r.ffmpegCpuS.toFixed(2).padStart(12),
        String(r.received).padStart(9),
        `${(r.lostShare * 100).toFixed(2)}%`.padStart(6),
        r.spreadP50Ms === undefined ? '' : `${r.spreadP50Ms.toFixed(1)} / ${r.spreadP99Ms!.toFixed(1)} / ${r.spreadMaxMs!.toFixed(1)}`,
      ].join('  '),
    );
  }
  console.log('');
}

async function main(): Promise<void> {
  console.log(`machine: ${machine()}\n`);
  const only = process.argv[2];
  if (only === undefined || only === 'renderer') printRenderer();
  if (only === undefined || only === 'encoding') await printEncoding();
  if (only === undefined || only === 'fanout') await printFanout();
  if (only === undefined || only === 'watch') await printWatchTogether();
  if (only === undefined || only === 'files') await printFiles();
  if (only === undefined || only === 'tui') await printTuiVideo();
  if (only === undefined || only === 'cluster') await printCluster();
  if (only === undefined || only === 'cross-cost') await printCrossCost();
  if (only === undefined || only === 'store') await printStore();
  if (only === undefined || only === 'join') await printJoinScale();
  if (only === undefined || only === 'lobby') await printLobby();
  if (only === undefined || only === 'rooms') await printRooms();
  if (only === undefined || only === 'fidelity') await printFidelity();
  if (only !== undefined && only !== 'relay') return;
  console.log(`relay throughput: ${SECONDS} s per run, one server process, load generated from this process\n`);
  console.log(
    ['target'.padEnd(11), 'clients'.padStart(7), 'mode '.padEnd(5), 'deliveries/s'.padStart(13), 'p50 ms'.padStart(8), 'p99 ms'.padStart(8), 'vs ceiling'].join(
      '  ',
    ),
  );
  const results = await runRelayBench(SECONDS);
  for (const result of results) {
    const ceiling = results.find((r) => r.target === 'bare relay' && r.clients === result.clients && r.mode === result.mode);
    console.log(formatRow(result, ceiling));
  }
}

await main();
