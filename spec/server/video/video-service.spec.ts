// Video through the real server over real sockets, decoded by the real ffmpeg.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { FrameDecoder } from '../../../src/core/frame-decoder.js';
import { FrameType } from '../../../src/core/frame-types.js';
import type { Identity } from '../../../src/core/identity.js';
import { decodeVideoFrame } from '../../../src/core/media-frame.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { waitUntil } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';
import { childProcessCount, isRunning } from '../../helpers/processes.js';
import { RawClient } from '../../helpers/raw-client.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1].map(testIdentity));
});

async function startServer(t: TestContext, maxStreams?: number): Promise<{ server: ChatServer; port: number }> {
  const server = new ChatServer({ port: 0, videosDir: 'videos', ...(maxStreams === undefined ? {} : { limits: { maxStreams } }) });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port };
}

/** Counts the MEDIA frames a raw client receives (RawClient records only control messages). */
function countFrames(client: RawClient): { count: number; streams: Set<number> } {
  const counter = { count: 0, streams: new Set<number>() };
  const decoder = new FrameDecoder({ [FrameType.CONTROL]: 16 << 20, [FrameType.MEDIA]: 16 << 20 });
  client.socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type !== FrameType.MEDIA) continue;
      counter.count++;
      counter.streams.add(decodeVideoFrame(frame.body).stream);
    }
  });
  return counter;
}

describe('video through the server', () => {
  it('lists the videos folder with duration, size and frame rate', async (t) => {
    const { port } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    client.send({ type: 'list-videos' });
    const { videos } = await client.next('videos');
    const testsrc = videos.find((v) => v.name === 'testsrc2-320x240-30fps.mp4');
    assert.deepEqual({ ...testsrc, bytes: 0 }, { name: 'testsrc2-320x240-30fps.mp4', durationMs: 5000, width: 320, height: 240, fps: 30, bytes: 0 });
    assert.equal(videos.length, 3);
    client.close();
  });

  const BAD: ReadonlyArray<[string, string, ErrorCode]> = [
    ['an unknown name', 'nope.mp4', ErrorCode.VIDEO_NOT_FOUND],
    ['a path out of the folder', '../package.json', ErrorCode.VIDEO_PATH],
    ['an absolute path', '/etc/passwd', ErrorCode.VIDEO_PATH],
    ['a file that is not a video', 'README.md', ErrorCode.NOT_A_VIDEO],
  ];
  for (const [what, name, code] of BAD) {
    it(`answers a play request for ${what} with ${code}, and the connection carries on`, async (t) => {
      const { port, server } = await startServer(t);
      const client = await RawClient.join(port, 'alice', ids[0]!);
      client.send({ type: 'play', name, width: 80, height: 48 });
      const error = await client.next('error');
      assert.equal(error.code, code);
      assert.equal(error.fatal, false);
      assert.equal(server.videos.activeStreams, 0);
      client.send({ type: 'ping', nonce: 1 });
      await client.next('pong');
      client.close();
    });
  }

  it('sends a small JPEG still for a poster, capped at 160 pixels a side', async (t) => {
    const { port } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    client.send({ type: 'poster', name: 'mandelbrot-480x270-24fps.mp4', width: 2000, height: 2000 });
    const poster = await client.next('poster');
    const { default: sharp } = await import('sharp');
    const meta = await sharp(Buffer.from(poster.jpeg, 'base64')).metadata();
    assert.deepEqual([meta.format, meta.width, meta.height], ['jpeg', 160, 90]);
    client.send({ type: 'poster', name: '../package.json', width: 24, height: 12 });
    assert.equal((await client.next('error')).code, ErrorCode.VIDEO_PATH);
    client.close();
  });

  it('runs posters within --max-streams: 30 requests at once never run more than 4 ffmpeg', async (t) => {
    const { server, port } = await startServer(t, 4);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    let most = 0;
    const sampler = setInterval(() => (most = Math.max(most, childProcessCount('ffmpeg'), server.videos.ffmpegProcesses)), 2);
    t.after(() => clearInterval(sampler));
    // 30 different sizes, so the cache cannot answer any of them.
    for (let i = 0; i < 30; i++) client.send({ type: 'poster', name: 'mandelbrot-480x270-24fps.mp4', width: 40 + 2 * i, height: 40 });
    await waitUntil(() => client.received.filter((m) => m.type === 'poster' || m.type === 'error').length === 30, '30 answers', 60_000);
    clearInterval(sampler);
    assert.ok(most <= 4, `at most 4 ffmpeg at once (saw ${most})`);
    assert.ok(most >= 1, 'the sampler saw the posters being made');
    assert.equal(client.received.filter((m) => m.type === 'poster').length, 30, 'every poster was made, in turn');
    client.close();
  });

  it('serves a poster asked for again from its cache, without running ffmpeg', async (t) => {
    const { server, port } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    const ask = () => client.send({ type: 'poster', name: 'bars-640x360-25fps.mp4', width: 64, height: 36 });
    ask();
    const first = await client.next('poster');
    for (let i = 0; i < 5; i++) ask();
    for (let i = 0; i < 5; i++) assert.equal((await client.next('poster')).jpeg, first.jpeg);
    assert.equal(server.videos.postersMade, 1);
    client.close();
  });

  it('holds a poster back while the streams use every ffmpeg place, and makes it once one ends', async (t) => {
    const { port } = await startServer(t, 1);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    const frames = countFrames(client);
    client.send({ type: 'play', name: 'bars-640x360-25fps.mp4', width: 80, height: 46 });
    const { stream } = await client.next('stream-start');
    client.send({ type: 'poster', name: 'bars-640x360-25fps.mp4', width: 80, height: 46 });
    // The marker: 15 more frames (0.6 s) go by, far longer than a poster takes, with no poster.
    const seen = frames.count;
    await waitUntil(() => frames.count >= seen + 15, '15 more frames');
    assert.ok(!client.received.some((m) => m.type === 'poster'), 'no poster while the stream holds the only place');
    client.send({ type: 'stop-video', stream });
    await client.next('stream-end');
    await client.next('poster');
    client.close();
  });

  it("refuses controls for a stream that is not the client's", async (t) => {
    const { port } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    client.send({ type: 'pause-video', stream: 99, paused: true });
    assert.equal((await client.next('error')).code, ErrorCode.NO_SUCH_STREAM);
    client.close();
  });

  it('gives each viewer its own stream, and ends it with the frame count', async (t) => {
    const { port } = await startServer(t);
    const alice = await RawClient.join(port, 'alice', ids[0]!);
    const bob = await RawClient.join(port, 'bob', ids[1]!);
    const aliceFrames = countFrames(alice);
    const bobFrames = countFrames(bob);
    alice.send({ type: 'play', name: 'bars-640x360-25fps.mp4', width: 80, height: 48 });
    bob.send({ type: 'play', name: 'bars-640x360-25fps.mp4', width: 160, height: 96 });
    const [aliceStart, bobStart] = [await alice.next('stream-start'), await bob.next('stream-start')];
    assert.notEqual(aliceStart.stream, bobStart.stream);
    assert.deepEqual([aliceStart.width, aliceStart.height, bobStart.width, bobStart.height], [80, 44, 160, 90]);
    const [aliceEnd, bobEnd] = [await alice.next('stream-end', 20_000), await bob.next('stream-end', 20_000)];
    assert.equal(aliceEnd.reason, 'finished');
    assert.equal(aliceEnd.sent, 75);
    assert.equal(bobEnd.sent, 75);
    await waitUntil(() => aliceFrames.count === 75 && bobFrames.count === 75, 'every frame to arrive');
    assert.deepEqual([...aliceFrames.streams], [aliceStart.stream]);
    alice.close();
    bob.close();
  });

  it("kills the stream's ffmpeg when the viewer disconnects mid-stream", async (t) => {
    const { port, server } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    const frames = countFrames(client);
    client.send({ type: 'play', name: 'mandelbrot-480x270-24fps.mp4', width: 160, height: 96 });
    await waitUntil(() => frames.count >= 3, 'frames to flow');
    const pids = server.videos.decoderPids();
    assert.equal(pids.length, 1);
    client.socket.destroy();
    await waitUntil(() => server.videos.activeStreams === 0 && !isRunning(pids[0]!), 'the stream and its ffmpeg to end');
  });

  it('kills ffmpeg on :stop and reports the stream stopped', async (t) => {
    const { port, server } = await startServer(t);
    const client = await RawClient.join(port, 'alice', ids[0]!);
    client.send({ type: 'play', name: 'mandelbrot-480x270-24fps.mp4', width: 80, height: 48 });
    const start = await client.next('stream-start');
    await waitUntil(() => server.videos.decoderPids().length === 1, 'ffmpeg to start');
    const [pid] = server.videos.decoderPids();
    client.send({ type: 'stop-video', stream: start.stream });
    assert.equal((await client.next('stream-end')).reason, 'stopped');
    await waitUntil(() => !isRunning(pid!), 'ffmpeg to exit');
    client.close();
  });

  it('drops frames for a viewer that stops reading instead of queueing them, and keeps chat flowing', async (t) => {
    const { port, server } = await startServer(t);
    const slow = await RawClient.join(port, 'slow', ids[0]!);
    const chatty = await RawClient.join(port, 'chatty', ids[1]!);
    // Large frames (960x540 JPEGs, ~100 KB each) fill the socket buffers within a second or two.
    slow.send({ type: 'play', name: 'mandelbrot-480x270-24fps.mp4', width: 960, height: 540 });
    await slow.next('stream-start');
    slow.socket.pause();
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, server.pendingBytesByClient()['slow'] ?? 0)), 50);
    t.after(() => clearInterval(sampler));
    // The stream runs its course (the server ends it) while the viewer reads nothing.
    await waitUntil(() => server.videos.activeStreams === 0, 'the stream to end on the server', 20_000);
    // The slow viewer held at most the socket buffer plus one frame.
    assert.ok(peak < 1024 * 1024, `server-side backlog for the slow viewer peaked at ${peak} bytes`);
    chatty.send({ type: 'ping', nonce: 5 });
    await chatty.next('pong');
    slow.socket.resume();
    const end = await slow.next('stream-end', 20_000);
    assert.equal(end.reason, 'finished');
    assert.ok(end.dropped > 0, 'frames were dropped, not queued');
    slow.close();
    chatty.close();
  });
});
