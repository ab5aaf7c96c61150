// How many viewers one server streams to at 30 fps (80x24 cells, 80x48 pixels) before frames drop.
// Each viewer is a real client with its own stream and its own ffmpeg on the server; the server is
// a child process; viewers count what they receive and the server reports what it dropped.
import type { ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type Socket, connect } from 'node:net';
import { FrameDecoder } from '../src/core/frame-decoder.js';
import { FrameType } from '../src/core/frame-types.js';
import { type Identity, generateIdentity } from '../src/core/identity.js';
import { decodeServerMessage, encodeMessage } from '../src/core/message-codec.js';
import { BENCH_DIR, makeTestPatternClip } from './bench-clips.js';
import { answerChallenge, sendHello } from './bench-join.js';
import { startProcess, stopProcess } from './bench-process.js';
import { benchServeArgs } from './relay-bench.js';

/** 20 s at 30 fps, long enough that every viewer is playing at once after the staggered starts. */
const VIDEO = 'testsrc2-320x240-30fps-20s.mp4';
const FRAMES_PER_VIEWER = 600;
/** Viewers press play this far apart, as people do; see the note on start-up stalls in docs/BENCHMARKS.md. */
const PLAY_INTERVAL_MS = 100;

function makeClip(): string {
  const dir = join(BENCH_DIR, 'fanout-videos');
  makeTestPatternClip(dir, VIDEO, FRAMES_PER_VIEWER / 30);
  return dir;
}

export interface FanoutResult {
  readonly viewers: number;
  readonly expected: number;
  readonly received: number;
  readonly dropped: number;
  readonly dropShare: number;
}

interface Viewer {
  received: number;
  ended: Promise<{ sent: number; dropped: number }>;
  socket: Socket;
}

function startServer(videosDir: string): Promise<{ child: ChildProcess; port: number }> {
  return startProcess(benchServeArgs('--max-streams', '1000', '--max-clients', '1000', '--videos', videosDir));
}

function joinViewer(port: number, index: number, identity: Identity): Promise<Viewer> {
  return new Promise((resolveJoined) => {
    const socket = connect({ host: '127.0.0.1', port });
    const name = `v${index}`;
    const decoder = new FrameDecoder({ [FrameType.CONTROL]: 1 << 20, [FrameType.MEDIA]: 1 << 22 });
    let resolveEnded: (value: { sent: number; dropped: number }) => void;
    const viewer: Viewer = { received: 0, socket, ended: new Promise((r) => (resolveEnded = r)) };
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === FrameType.MEDIA) {
          viewer.received++;
          continue;
        }
        const message = decodeServerMessage(frame.body);
        if (message.type === 'challenge') {
          answerChallenge(socket, identity, name, message.nonce);
        } else if (message.type === 'welcome') {
          resolveJoined(viewer);
        } else if (message.type === 'stream-end') {
          resolveEnded!({ sent: message.sent, dropped: message.dropped });
        }
      }
    });
    sendHello(socket, identity, name);
  });
}

export async function runFanoutBench(counts: readonly number[] = [8, 16, 32, 48, 64, 96, 128], stagger = true): Promise<FanoutResult[]> {
  const identity = await generateIdentity();
  const videosDir = makeClip();
  const results: FanoutResult[] = [];
  for (const count of counts) {
    const { child, port } = await startServer(videosDir);
    try {
      const viewers: Viewer[] = [];
      for (let i = 0; i < count; i++) viewers.push(await joinViewer(port, i, identity));
      for (const viewer of viewers) {
        viewer.socket.write(encodeMessage({ type: 'play', name: VIDEO, width: 80, height: 48, encoding: 'png' }));
        if (stagger) await new Promise((resolve) => setTimeout(resolve, PLAY_INTERVAL_MS));
      }
      const ends = await Promise.all(viewers.map((v) => v.ended));
      const received = viewers.reduce((n, v) => n + v.received, 0);
      const dropped = ends.reduce((n, e) => n + e.dropped, 0);
      const expected = count * FRAMES_PER_VIEWER;
      results.push({ viewers: count, expected, received, dropped, dropShare: (expected - received) / expected });
      for (const viewer of viewers) viewer.socket.destroy();
    } finally {
      await stopProcess(child);
    }
    if (results.at(-1)!.dropShare > 0.01) break;
  }
  return results;
}
