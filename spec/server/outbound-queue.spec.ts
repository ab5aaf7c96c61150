// The outbound queue over a real socket pair whose far end stops reading.
import assert from 'node:assert/strict';
import { type Socket, connect, createServer } from 'node:net';
import { describe, it, type TestContext } from 'node:test';
import { OutboundQueue } from '../../src/server/outbound-queue.js';
import { waitUntil } from '../helpers/events.js';

/** The server's end of a fresh connection, and the client's end (not reading). */
async function socketPair(t: TestContext): Promise<{ near: Socket; far: Socket }> {
  const server = createServer();
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const far = connect({ host: '127.0.0.1', port: (server.address() as { port: number }).port });
  far.pause();
  const near = await accepted;
  t.after(() => {
    near.destroy();
    far.destroy();
    server.close();
  });
  return { near, far };
}

describe('OutboundQueue', () => {
  it('holds frames once the socket pushes back, and reports overflow once past its cap', async (t) => {
    const { near } = await socketPair(t);
    const overflows: number[] = [];
    const queue = new OutboundQueue(near, 256 * 1024, (pending) => overflows.push(pending));
    const frame = Buffer.alloc(16 * 1024, 1);
    let accepted = 0;
    // The far end reads nothing: kernel buffers fill, then our cap is reached.
    for (let i = 0; i < 2000 && queue.send(frame); i++) {
      accepted++;
      if (i % 50 === 0) await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(accepted > 0 && accepted < 2000, `accepted ${accepted} frames before the cap`);
    assert.equal(overflows.length, 1);
    assert.ok(overflows[0]! > 256 * 1024);
    assert.equal(queue.send(frame), false, 'refuses everything after overflowing');
    assert.equal(overflows.length, 1, 'reported once');
  });

  it('keeps only the newest video frame while the socket is backed up, and never overflows for media', async (t) => {
    const { near, far } = await socketPair(t);
    const queue = new OutboundQueue(near, 64 * 1024, () => assert.fail('media must not overflow the queue'));
    const frame = Buffer.alloc(64 * 1024, 2);
    let replaced = 0;
    for (let i = 0; i < 200; i++) replaced += queue.sendMedia(frame);
    await waitUntil(() => near.writableNeedDrain || replaced > 0, 'the socket to push back');
    for (let i = 0; i < 10; i++) replaced += queue.sendMedia(frame);
    assert.ok(replaced >= 9, `replaced ${replaced} frames`);
    far.resume();
    await waitUntil(() => queue.pendingBytes === 0, 'the backlog to drain once the reader reads');
  });

  it('writes a frame in parts back to back, in order with whole frames, even once the socket pushes back', async (t) => {
    const { near, far } = await socketPair(t);
    const queue = new OutboundQueue(near, 64 * 1024 * 1024, () => assert.fail('no overflow here'));
    const received: Buffer[] = [];
    far.on('data', (chunk: Buffer) => received.push(chunk));
    far.pause();
    const frames: Buffer[] = [];
    // ~19 MB: far more than the kernel's buffers take, so most of it waits in the queue.
    for (let i = 0; i < 300; i++) {
      const head = Buffer.from([i % 256, 0xaa]);
      const body = Buffer.alloc(64 * 1024, i % 256);
      frames.push(head, body);
      // Every other frame in parts: they must come out exactly as if sent whole.
      assert.equal(i % 2 === 0 ? queue.send([head, body]) : queue.send(Buffer.concat([head, body])), true);
    }
    assert.ok(near.writableNeedDrain, 'the socket pushed back while the parts were queued');
    far.resume();
    const expected = Buffer.concat(frames);
    await waitUntil(() => received.reduce((sum, chunk) => sum + chunk.length, 0) >= expected.length, 'every byte to arrive');
    assert.ok(Buffer.concat(received).equals(expected));
  });

  it('refuses a frame in parts whole when it would pass the cap, not its first part', async (t) => {
    const { near } = await socketPair(t);
    const queue = new OutboundQueue(near, 1024, () => undefined);
    assert.equal(queue.send([Buffer.alloc(600), Buffer.alloc(600)]), false);
    assert.equal(queue.pendingBytes, 0, 'nothing of it was written');
  });
});
