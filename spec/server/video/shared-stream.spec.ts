// Watching together: one room, one stream, one ffmpeg, the same frames to every viewer at their
// pane's size, and the room told who paused, sought and stopped. Real server, sockets and ffmpeg.
import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { FrameDecoder } from '../../../src/core/frame-decoder.js';
import { FrameType } from '../../../src/core/frame-types.js';
import type { Identity } from '../../../src/core/identity.js';
import { decodeVideoFrame } from '../../../src/core/media-frame.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { waitFor, waitUntil } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';
import { RawClient } from '../../helpers/raw-client.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1, 2, 3, 4].map(testIdentity));
});

const VIDEO = 'testsrc2-320x240-30fps.mp4';

interface Arrival {
  readonly seq: number;
  readonly stream: number;
  readonly width: number;
  readonly at: number;
}

/** Every MEDIA frame a raw client receives, with when it arrived. */
function recordFrames(client: RawClient): Arrival[] {
  const arrivals: Arrival[] = [];
  const decoder = new FrameDecoder({ [FrameType.CONTROL]: 16 << 20, [FrameType.MEDIA]: 16 << 20 });
  client.socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type !== FrameType.MEDIA) continue;
      const video = decodeVideoFrame(frame.body);
      arrivals.push({ seq: video.seq, stream: video.stream, width: video.width, at: performance.now() });
    }
  });
  return arrivals;
}

async function roomOfThree(t: TestContext) {
  const server = new ChatServer({ port: 0, videosDir: 'videos' });
  const { port } = await server.listen();
  t.after(() => server.close());
  const [a, b, c] = await Promise.all([RawClient.join(port, 'alice', ids[0]!), RawClient.join(port, 'bob', ids[1]!), RawClient.join(port, 'carol', ids[2]!)]);
  t.after(() => {
    for (const client of [a!, b!, c!]) client.close();
  });
  for (const client of [a!, b!, c!]) {
    client.send({ type: 'room-join', room: '#movie' });
    await client.next('room');
  }
  return { server, a: a!, b: b!, c: c! };
}

describe('watching together', () => {
  it('runs one ffmpeg for the room and sends every viewer the same frames, at their size, within 100 ms of each other', async (t) => {
    const { server, a, b, c } = await roomOfThree(t);
    const aliceFrames = recordFrames(a);
    const bobFrames = recordFrames(b);
    a.send({ type: 'play', name: VIDEO, width: 160, height: 120, encoding: 'png', room: '#movie' });
    const started = await a.next('stream-start');
    assert.equal(started.room, '#movie');
    assert.equal(started.startedBy, 'alice');
    const told = await c.next('watch');
    assert.deepEqual(
      { ...told, positionMs: 0 },
      { type: 'watch', room: '#movie', stream: started.stream, video: VIDEO, kind: 'started', by: 'alice', positionMs: 0 },
    );
    await waitUntil(() => aliceFrames.length >= 5, 'alice to get frames');
    // Bob joins late with a smaller pane: the same stream, from where it is now, at his size.
    const aliceHadSeen = aliceFrames.length;
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const bobStart = await b.next('stream-start');
    assert.equal(bobStart.stream, started.stream, 'one stream for the room');
    await waitUntil(() => bobFrames.filter((f) => f.width === 80).length >= 10 && aliceFrames.length >= 40, 'frames at both sizes');
    assert.equal(server.videos.activeStreams, 1);
    assert.equal(server.videos.decoderPids().length, 1, 'one ffmpeg for both viewers');
    assert.ok(
      aliceFrames.slice(-5).every((f) => f.width === 160),
      'alice keeps her size',
    );
    const firstBobSeq = bobFrames.find((f) => f.width === 80)!.seq;
    assert.ok(firstBobSeq >= aliceHadSeen, `bob started where the stream was (frame ${firstBobSeq}, alice had ${aliceHadSeen}), not at the beginning`);
    // The same frame (by its number) reached both within 100 ms.
    const spreads = bobFrames
      .filter((f) => f.width === 80)
      .flatMap((f) => {
        const twin = aliceFrames.find((g) => g.seq === f.seq);
        return twin === undefined ? [] : [Math.abs(twin.at - f.at)];
      });
    assert.ok(spreads.length >= 10);
    assert.ok(Math.max(...spreads) < 100, `frames reached the two viewers ${Math.max(...spreads).toFixed(1)} ms apart at most`);
  });

  it('lets only whoever started it pause and seek for everyone, tells the room, and a viewer who stops only leaves', async (t) => {
    const { server, a, b, c } = await roomOfThree(t);
    const aliceFrames = recordFrames(a);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const { stream } = await a.next('stream-start');
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    b.send({ type: 'pause-video', stream, paused: true });
    assert.equal((await b.next('error')).code, ErrorCode.NOT_ROOM_OPERATOR);
    a.send({ type: 'pause-video', stream, paused: true });
    const paused = await c.next('watch', 10_000);
    // The started notice came first; the pause after it.
    const pause = paused.kind === 'started' ? await c.next('watch') : paused;
    assert.equal(pause.kind, 'paused');
    assert.equal(pause.by, 'alice');
    a.send({ type: 'pause-video', stream, paused: false });
    b.send({ type: 'stop-video', stream });
    const bobEnd = await b.next('stream-end');
    assert.equal(bobEnd.reason, 'stopped');
    const before = aliceFrames.length;
    await waitUntil(() => aliceFrames.length >= before + 10, 'alice to watch on after bob left');
    assert.equal(server.videos.activeStreams, 1);
    // An operator lets every member control it: now bob may stop it for everyone.
    a.send({ type: 'room-mode', room: '#movie', membersControlVideo: true });
    await b.next('room-event');
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    b.send({ type: 'stop-video', stream });
    const aliceEnd = await a.next('stream-end');
    assert.equal(aliceEnd.reason, 'stopped');
    await waitUntil(() => server.videos.activeStreams === 0, 'the stream to be gone');
    assert.deepEqual(server.videos.decoderPids(), []);
  });

  it('sends a viewer who opens it while paused the paused picture, and tells the room where it paused', async (t) => {
    const { a, c } = await roomOfThree(t);
    const aliceFrames = recordFrames(a);
    const carolFrames = recordFrames(c);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const { stream } = await a.next('stream-start');
    await waitUntil(() => aliceFrames.length >= 15, 'alice to watch half a second');
    a.send({ type: 'pause-video', stream, paused: true });
    let told = await c.next('watch');
    if (told.kind === 'started') told = await c.next('watch');
    assert.equal(told.kind, 'paused');
    const status = await waitFor(() => a.received.find((message) => message.type === 'stream-status' && message.paused), 'the status of the paused stream');
    assert.ok(status.type === 'stream-status');
    assert.equal(told.positionMs, status.positionMs, 'the room is told the position the player shows');
    assert.ok(told.positionMs >= 15 * (1000 / 30) - 1, `paused at ${told.positionMs} ms, not at 0`);
    const lastShown = aliceFrames.at(-1)!.seq;
    c.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await c.next('stream-start');
    await waitUntil(() => carolFrames.length >= 1, 'carol to see the paused picture');
    assert.equal(carolFrames[0]!.seq, lastShown, "the picture alice's pane stopped on");
  });

  it('makes frames at no more than four sizes: a fifth pane gets the largest size that fits it', async (t) => {
    const server = new ChatServer({ port: 0, videosDir: 'videos' });
    const { port } = await server.listen();
    t.after(() => server.close());
    const clients = await Promise.all(['v0', 'v1', 'v2', 'v3', 'v4'].map((name, i) => RawClient.join(port, name, ids[i]!)));
    t.after(() => {
      for (const client of clients) client.close();
    });
    for (const client of clients) {
      client.send({ type: 'room-join', room: '#movie' });
      await client.next('room');
    }
    // Widths 64, 96, 128, 160 (4:3 video), then 112: between two of them.
    const widths = [64, 96, 128, 160, 112];
    const frames = clients.map(recordFrames);
    for (const [i, client] of clients.entries()) {
      client.send({ type: 'play', name: VIDEO, width: widths[i]!, height: 240, encoding: 'png', room: '#movie' });
      await client.next('stream-start');
    }
    await waitUntil(() => frames.every((list) => list.length >= 3), 'frames for every viewer');
    assert.equal(server.videos.decoderPids().length, 1, 'still one ffmpeg');
    assert.deepEqual(
      frames.slice(0, 4).map((list) => list.at(-1)!.width),
      [64, 96, 128, 160],
    );
    assert.equal(frames[4]!.at(-1)!.width, 96, 'the fifth viewer gets the largest size that fits its 112 px');
  });

  it('stops sending the room’s video to a member who is kicked', async (t) => {
    const { a, b } = await roomOfThree(t);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await a.next('stream-start');
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    a.send({ type: 'room-kick', room: '#movie', name: 'bob' });
    assert.equal((await b.next('stream-end')).reason, 'stopped');
  });

  it('lets one viewer resizing in a loop restart the room’s decoder at most once in 2 s', async (t) => {
    const { a, b } = await roomOfThree(t);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const { stream } = await a.next('stream-start');
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    for (let width = 96; width <= 240; width += 16) b.send({ type: 'resize-video', stream, width, height: 240 });
    // A marker that must come after the resizes: a refused pause (bob did not start it).
    b.send({ type: 'pause-video', stream, paused: true });
    await b.next('error');
    // And one for alice's socket, written after anything the resizes sent her.
    a.send({ type: 'list-rooms' });
    await a.next('rooms');
    const restartsSeenByAlice = a.received.filter((m) => m.type === 'stream-start').length;
    assert.equal(restartsSeenByAlice, 1, 'ten resizes restarted alice’s picture once');
  });

  it('refuses to watch with a room one is not in', async (t) => {
    const { a } = await roomOfThree(t);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#elsewhere' });
    assert.equal((await a.next('error')).code, ErrorCode.NOT_IN_ROOM);
  });
});
