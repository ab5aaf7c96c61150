// Watching together across a cluster: two real nodes on a real nats-server, members on both, one
// room stream. It runs once (one ffmpeg, on the node where it was started); its frames cross the
// broker once per node, not once per viewer; pause and the room's events reach both nodes; control
// works from either node; viewers elsewhere are told when the node running it goes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, it, type TestContext } from 'node:test';
import { connect } from '@nats-io/transport-node';
import { ErrorCode } from '../../../src/core/errors.js';
import { FrameDecoder } from '../../../src/core/frame-decoder.js';
import { FRAME_HEADER_BYTES, FrameType } from '../../../src/core/frame-types.js';
import type { Identity } from '../../../src/core/identity.js';
import { decodeVideoFrame } from '../../../src/core/media-frame.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { decodeWatchFrames } from '../../../src/server/cluster/watch-wire.js';
import { waitUntil } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';
import { NatsBroker } from '../../helpers/nats-broker.js';
import { RawClient } from '../../helpers/raw-client.js';

const VIDEO = 'testsrc2-320x240-30fps.mp4';
const TIMING = { heartbeatMs: 200, leaseMs: 1000, requestTimeoutMs: 1000 } as const;

let broker: NatsBroker;
let ids: Identity[];
before(async () => {
  broker = await NatsBroker.start();
  ids = await Promise.all([0, 1, 2].map(testIdentity));
});
after(() => broker.destroy());

/** Every MEDIA frame a raw client receives: its stream and sequence number. */
function recordFrames(client: RawClient): { stream: number; seq: number }[] {
  const frames: { stream: number; seq: number }[] = [];
  const decoder = new FrameDecoder({ [FrameType.CONTROL]: 16 << 20, [FrameType.MEDIA]: 16 << 20 });
  client.socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) {
      if (frame.type !== FrameType.MEDIA) continue;
      const video = decodeVideoFrame(frame.body);
      frames.push({ stream: video.stream, seq: video.seq });
    }
  });
  return frames;
}

/** alice on node one; bob and carol on node two; all three in #movie, seen from both nodes. */
async function roomOnTwoNodes(t: TestContext) {
  const name = `spec-${randomBytes(4).toString('hex')}`;
  const nodes: ChatServer[] = [];
  const ports: number[] = [];
  for (let i = 0; i < 2; i++) {
    const server = new ChatServer({ port: 0, videosDir: 'videos', cluster: { url: broker.url, name, ...TIMING } });
    ports.push((await server.listen()).port);
    t.after(() => server.close());
    nodes.push(server);
  }
  const a = await RawClient.join(ports[0]!, 'alice', ids[0]!);
  const b = await RawClient.join(ports[1]!, 'bob', ids[1]!);
  const c = await RawClient.join(ports[1]!, 'carol', ids[2]!);
  t.after(() => {
    for (const client of [a, b, c]) client.close();
  });
  await waitUntil(() => nodes.every((node) => ['alice', 'bob', 'carol'].every((n) => node.peerNames.includes(n))), 'both nodes to list everyone');
  for (const client of [a, b, c]) {
    client.send({ type: 'room-join', room: '#movie' });
    await client.next('room');
  }
  // Node one has heard of node two's joins (rooms are shared through the cluster's store).
  await a.nextMatching('room-event', (event) => event.kind === 'join' && event.name === 'carol');
  return { nodes: nodes as [ChatServer, ChatServer], name, a, b, c };
}

describe('watching together across a cluster', () => {
  it('runs one stream for the room; its frames cross the broker once per node; pause reaches both nodes', async (t) => {
    const { nodes, name, a, b, c } = await roomOnTwoNodes(t);
    // What anyone on the broker sees of the stream's frames.
    const sniffer = await connect({ servers: broker.url });
    t.after(() => sniffer.close());
    // The sequence number of each frame published, once per message.
    const publishedSeqs: number[] = [];
    sniffer.subscribe(`${name}.watch.frames.>`, {
      callback: (_error, msg) => {
        const tick = decodeWatchFrames(msg.data);
        publishedSeqs.push(decodeVideoFrame(tick.frames[0]!.subarray(FRAME_HEADER_BYTES)).seq);
      },
    });
    await sniffer.flush();
    // ...and of what goes to one viewer's node: starts, statuses, ends, a paused picture; never the frames.
    let framesToOneViewer = 0;
    sniffer.subscribe(`${name}.node.*.watch-viewer`, {
      callback: (_error, msg) => {
        if (msg.data[4] === 1) framesToOneViewer++;
      },
    });
    await sniffer.flush();
    const [aliceFrames, bobFrames, carolFrames] = [recordFrames(a), recordFrames(b), recordFrames(c)];

    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const started = await a.next('stream-start');
    // The room on the other node hears of it, as alice's node's members do.
    const told = await b.next('watch');
    assert.deepEqual(
      { kind: told.kind, by: told.by, stream: told.stream, room: told.room },
      { kind: 'started', by: 'alice', stream: started.stream, room: '#movie' },
    );
    assert.equal((await c.next('watch')).kind, 'started');

    // Bob and carol (node two) open it: the same stream, one ffmpeg in the whole cluster.
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    c.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    assert.equal((await b.next('stream-start')).stream, started.stream, 'one stream for the room, across nodes');
    assert.equal((await c.next('stream-start')).stream, started.stream);
    await waitUntil(() => bobFrames.length >= 10 && carolFrames.length >= 10, 'frames on node two');
    assert.deepEqual(
      nodes.map((node) => node.videos.decoderPids().length),
      [1, 0],
      'one ffmpeg, on the node where it was started',
    );

    // Two viewers on node two, one copy on the broker per frame: no frame was published twice,
    // and every frame either viewer on node two got was published.
    await waitUntil(() => bobFrames.length >= 40 && carolFrames.length >= 40, '40 frames for each viewer on node two');
    assert.equal(new Set(publishedSeqs).size, publishedSeqs.length, 'each frame crossed the broker once, not once per viewer');
    const publishedSet = new Set(publishedSeqs);
    assert.ok(
      [...bobFrames, ...carolFrames].every((f) => publishedSet.has(f.seq)),
      'what node two showed came across the broker',
    );
    assert.equal(framesToOneViewer, 0, 'no frame was sent to one viewer alone');
    // Both viewers on node two are sent the same frames as alice on node one.
    const bobSeqs = new Set(bobFrames.map((f) => f.seq));
    assert.ok(aliceFrames.filter((f) => bobSeqs.has(f.seq)).length >= 30, 'alice and bob are sent the same frames');
    assert.ok(bobFrames.every((f) => f.stream === started.stream));

    // Pause from the starter (node one) reaches the room on node two, and the frames stop there.
    a.send({ type: 'pause-video', stream: started.stream, paused: true });
    const paused = await b.next('watch');
    assert.equal(paused.kind, 'paused');
    assert.equal(paused.by, 'alice');
    assert.ok(paused.positionMs > 0, 'told where it paused');
    assert.equal((await c.next('watch')).kind, 'paused');
    // A marker after the pause: a stream-status that says paused, on node two.
    await b.nextMatching('stream-status', (status) => status.paused);
    const whilePaused = bobFrames.length;
    const publishedWhilePaused = publishedSeqs.length;
    // A refused pause from bob (he did not start it) is answered after anything in flight.
    b.send({ type: 'pause-video', stream: started.stream, paused: false });
    assert.equal((await b.next('error')).code, ErrorCode.NOT_ROOM_OPERATOR);
    assert.equal(bobFrames.length, whilePaused, 'no frames while paused');
    assert.equal(publishedSeqs.length, publishedWhilePaused, 'nothing on the broker while paused');

    // Carol closes it and opens it again while it is paused: she is sent the paused picture,
    // through her node, not a blank pane.
    c.send({ type: 'stop-video', stream: started.stream });
    await c.nextMatching('stream-end', (end) => end.stream === started.stream);
    const carolHad = carolFrames.length;
    c.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await c.next('stream-start');
    await waitUntil(() => carolFrames.length === carolHad + 1, 'carol to be sent the paused picture');
  });

  it('takes pause, seek and stop from a member on the other node (with +c), and tells the room on both', async (t) => {
    const { a, b, c } = await roomOnTwoNodes(t);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const { stream } = await a.next('stream-start');
    assert.equal((await b.next('watch')).kind, 'started');
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    // alice created the room, so she is its operator: she lets every member control the video.
    a.send({ type: 'room-mode', room: '#movie', membersControlVideo: true });
    await b.nextMatching('room-event', (event) => event.kind === 'mode' && event.membersControlVideo === true);

    b.send({ type: 'pause-video', stream, paused: true });
    const pausedHere = await a.nextMatching('watch', (w) => w.kind === 'paused');
    assert.equal(pausedHere.by, 'bob', "bob's pause, made on node two, told on node one");
    assert.equal((await c.nextMatching('watch', (w) => w.kind === 'paused')).by, 'bob');
    await a.nextMatching('stream-status', (status) => status.paused);

    b.send({ type: 'seek-video', stream, deltaMs: 1000 });
    assert.equal((await a.nextMatching('watch', (w) => w.kind === 'seeked')).by, 'bob');

    b.send({ type: 'stop-video', stream });
    assert.equal((await a.nextMatching('watch', (w) => w.kind === 'stopped')).by, 'bob');
    assert.equal((await a.next('stream-end')).stream, stream, 'stopped for alice on node one too');
    assert.equal((await c.nextMatching('watch', (w) => w.kind === 'stopped')).by, 'bob');
  });

  it('tells viewers on the other node when the node running the stream goes', async (t) => {
    const { nodes, a, b } = await roomOnTwoNodes(t);
    a.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    const { stream } = await a.next('stream-start');
    assert.equal((await b.next('watch')).kind, 'started');
    const bobFrames = recordFrames(b);
    b.send({ type: 'play', name: VIDEO, width: 80, height: 60, encoding: 'png', room: '#movie' });
    await b.next('stream-start');
    await waitUntil(() => bobFrames.length >= 3, 'frames on node two');
    await nodes[0].close();
    const end = await b.next('stream-end', 10_000);
    assert.equal(end.stream, stream);
    assert.equal(end.reason === 'finished', false, `told it ended early: ${end.reason}: ${end.message}`);
  });
});
