// Watching together against watching apart, in one run: VIEWERS real clients in one room play the
// same 20 s clip at 80x48 pixels, first each with a private stream (VIEWERS ffmpegs), then all on
// the room's shared stream (one ffmpeg). Reported per mode: the server's CPU time (its own and its
// ffmpegs', from /proc once they have exited), frames lost (gaps in each viewer's sequence, and
// what the server dropped), and for the shared stream how far apart the same frame reached the
// viewers (all in this process, so the spread includes this process's own scheduling). The
// two-node row splits the viewers over two clustered serve processes on one real nats-server:
// still one ffmpeg (on the node where the first viewer pressed play), frames across the broker
// once per node, and the spread is across both nodes' viewers.
import { readFileSync } from 'node:fs';
import { type Socket, connect } from 'node:net';
import type { ChildProcess } from 'node:child_process';
import { FrameDecoder } from '../src/core/frame-decoder.js';
import { FrameType } from '../src/core/frame-types.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { decodeVideoFrame } from '../src/core/media-frame.js';
import { decodeServerMessage, encodeMessage } from '../src/core/message-codec.js';
import { answerChallenge, sendHello } from './bench-join.js';
import { startProcess, stopProcess } from './bench-process.js';
import { benchServeArgs } from './relay-bench.js';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { NatsBroker } from '../spec/helpers/nats-broker.js';
import { BENCH_DIR, makeTestPatternClip } from './bench-clips.js';

const VIDEO = 'testsrc2-320x240-30fps-20s.mp4';
const SECONDS = 20;
/** Viewers press play this far apart, as in the fan-out bench. */
const PLAY_INTERVAL_MS = 100;
const ROOM = '#movie';

export type WatchMode = 'private' | 'shared' | 'two nodes';

export interface WatchResult {
  readonly mode: WatchMode;
  readonly viewers: number;
  readonly ffmpegs: number;
  /** Server process CPU, its own and its reaped children's (the ffmpegs), in seconds. */
  readonly serverCpuS: number;
  readonly ffmpegCpuS: number;
  readonly received: number;
  /** Frames missing from each viewer's sequence between its first and last, summed. */
  readonly lost: number;
  readonly lostShare: number;
  /** Shared only: per frame, latest minus earliest arrival across viewers (ms). */
  readonly spreadP50Ms?: number;
  readonly spreadP99Ms?: number;
  readonly spreadMaxMs?: number;
}

interface Viewer {
  readonly socket: Socket;
  /** Arrival time per sequence number. */
  readonly arrivals: Map<number, number>;
  ended: Promise<void>;
  inRoom: Promise<void>;
  /** Told that the room's stream started (on any node). */
  toldStarted: Promise<void>;
}

function joinViewer(port: number, index: number, identity: Identity): Promise<Viewer> {
  return new Promise((resolveJoined) => {
    const socket = connect({ host: '127.0.0.1', port });
    const name = `v${index}`;
    const decoder = new FrameDecoder({ [FrameType.CONTROL]: 1 << 22, [FrameType.MEDIA]: 1 << 22 });
    let ended: () => void = () => {};
    let inRoom: () => void = () => {};
    let toldStarted: () => void = () => {};
    const viewer: Viewer = {
      toldStarted: new Promise((resolve) => (toldStarted = resolve)),
      socket,
      arrivals: new Map(),
      ended: new Promise((resolve) => (ended = resolve)),
      inRoom: new Promise((resolve) => (inRoom = resolve)),
    };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FrameType.MEDIA) {
          viewer.arrivals.set(decodeVideoFrame(frame.body).seq, performance.now());
          continue;
        }
        const message = decodeServerMessage(frame.body);
        if (message.type === 'challenge') answerChallenge(socket, identity, name, message.nonce);
        else if (message.type === 'welcome') resolveJoined(viewer);
        else if (message.type === 'room') inRoom();
        else if (message.type === 'stream-end') ended();
        else if (message.type === 'watch' && message.kind === 'started') toldStarted();
      }
    });
    sendHello(socket, identity, name);
  });
}

/** utime + stime and cutime + cstime of a process, in seconds (Linux /proc). */
function cpuSeconds(pid: number): { own: number; children: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat
    .slice(stat.lastIndexOf(')') + 2)
    .split(' ')
    .map(Number);
  // Fields 14-17 of stat (utime, stime, cutime, cstime) are 11-14 after the command name.
  const ticks = 100;
  return { own: (fields[11]! + fields[12]!) / ticks, children: (fields[13]! + fields[14]!) / ticks };
}

async function runMode(mode: WatchMode, count: number, videosDir: string, identity: Identity): Promise<WatchResult> {
  const nodeCount = mode === 'two nodes' ? 2 : 1;
  const broker = nodeCount > 1 ? await NatsBroker.start() : undefined;
  const cluster = broker === undefined ? [] : ['--cluster', broker.url, '--cluster-name', `bench-${randomBytes(4).toString('hex')}`];
  const nodes: Array<{ child: ChildProcess; port: number }> = [];
  for (let i = 0; i < nodeCount; i++)
    nodes.push(await startProcess(benchServeArgs('--max-streams', '1000', '--max-clients', '1000', '--videos', videosDir, ...cluster)));
  try {
    const viewers: Viewer[] = [];
    // Split evenly: viewer i on node i % nodeCount.
    for (let i = 0; i < count; i++) viewers.push(await joinViewer(nodes[i % nodeCount]!.port, i, identity));
    for (const viewer of viewers) viewer.socket.write(encodeMessage({ type: 'room-join', room: ROOM }));
    await Promise.all(viewers.map((viewer) => viewer.inRoom));
    const before = nodes.map((node) => cpuSeconds(node.child.pid!));
    const play = (viewer: Viewer) =>
      viewer.socket.write(encodeMessage({ type: 'play', name: VIDEO, width: 80, height: 48, encoding: 'png', ...(mode === 'private' ? {} : { room: ROOM }) }));
    if (nodeCount > 1) {
      // The first press starts the room's stream; the others join it once the room (on both
      // nodes) has heard that it runs, as people who saw "started" would.
      play(viewers[0]!);
      await Promise.all(viewers.map((viewer) => viewer.toldStarted));
    }
    for (const viewer of nodeCount > 1 ? viewers.slice(1) : viewers) {
      play(viewer);
      await new Promise((resolve) => setTimeout(resolve, PLAY_INTERVAL_MS));
    }
    await Promise.all(viewers.map((viewer) => viewer.ended));
    // Every ffmpeg has exited and been reaped once its stream ended: its CPU is in the children's.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const after = nodes.map((node) => cpuSeconds(node.child.pid!));
    let received = 0;
    let lost = 0;
    for (const viewer of viewers) {
      const seqs = [...viewer.arrivals.keys()];
      received += seqs.length;
      if (seqs.length > 0) lost += Math.max(...seqs) - Math.min(...seqs) + 1 - seqs.length;
    }
    const spreads: number[] = [];
    if (mode !== 'private') {
      const bySeq = new Map<number, number[]>();
      for (const viewer of viewers) for (const [seq, at] of viewer.arrivals) bySeq.set(seq, [...(bySeq.get(seq) ?? []), at]);
      for (const times of bySeq.values()) if (times.length === count) spreads.push(Math.max(...times) - Math.min(...times));
      spreads.sort((a, b) => a - b);
    }
    for (const viewer of viewers) viewer.socket.destroy();
    const pick = (q: number) => spreads[Math.min(spreads.length - 1, Math.floor(q * spreads.length))] ?? 0;
    return {
      mode,
      viewers: count,
      ffmpegs: mode === 'private' ? count : 1,
      serverCpuS: after.reduce((sum, cpu, i) => sum + cpu.own - before[i]!.own, 0),
      ffmpegCpuS: after.reduce((sum, cpu, i) => sum + cpu.children - before[i]!.children, 0),
      received,
      lost,
      lostShare: lost / Math.max(1, received + lost),
      ...(mode !== 'private' ? { spreadP50Ms: pick(0.5), spreadP99Ms: pick(0.99), spreadMaxMs: spreads.at(-1) ?? 0 } : {}),
    };
  } finally {
    for (const node of nodes) await stopProcess(node.child);
    broker?.destroy();
  }
}

export async function runWatchTogetherBench(count = 50): Promise<WatchResult[]> {
  const identity = await generateIdentity();
  const videosDir = join(BENCH_DIR, 'fanout-videos');
  makeTestPatternClip(videosDir, VIDEO, SECONDS);
  return [
    await runMode('private', count, videosDir, identity),
    await runMode('shared', count, videosDir, identity),
    await runMode('two nodes', count, videosDir, identity),
  ];
}
