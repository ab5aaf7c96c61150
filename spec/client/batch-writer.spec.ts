import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ClientMessage, ReceivedMessage, SendMessage } from '../../src/core/messages.js';
import { BatchWriter } from '../../src/client/batch-writer.js';

const ENVELOPE = { id: 'AAAAAAAAAAAAAAAAAAAAAA', ts: 1, chain: 'c', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'YWJj', sig: 'c2ln' };
const dm = (to: string): SendMessage => ({ type: 'send', to, envelope: ENVELOPE });
const confirm = (from: string): ReceivedMessage => ({ type: 'received', ids: ['AAAAAAAAAAAAAAAAAAAAAA'], from });
const shape = (message: ClientMessage) => {
  if (message.type === 'send-batch') return `batch(${message.sends.map((s) => s.to).join(',')})`;
  if (message.type === 'received-batch') return `received(${message.received.map((r) => r.from).join(',')})`;
  if (message.type === 'received') return `received(${message.from})`;
  return message.type === 'send' ? `send(${message.to})` : message.type;
};

function batcher(limits: { maxControlFrameBytes: number; maxMediaFrameBytes: number; maxBatchSends?: number; maxBatchReceived?: number } | undefined) {
  const written: string[] = [];
  return {
    written,
    batcher: new BatchWriter(
      (message) => written.push(shape(message)),
      () => limits,
      (message) => Buffer.byteLength(JSON.stringify(message)),
    ),
  };
}

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe('BatchWriter', () => {
  it('sends the DMs of one turn as one batch, and anything else after what waits, in order', async () => {
    const { written, batcher: b } = batcher({ maxControlFrameBytes: 65_536, maxMediaFrameBytes: 1, maxBatchSends: 64 });
    b.send(dm('bob'));
    b.send(dm('carol'));
    b.send({ type: 'send', to: '#dev', envelope: ENVELOPE });
    b.send(dm('dan'));
    assert.deepEqual(written, ['batch(bob,carol)', 'send(#dev)'], 'the handovers before the room line they key');
    await turn();
    assert.deepEqual(written, ['batch(bob,carol)', 'send(#dev)', 'send(dan)'], 'a lone DM goes as itself, at the end of the turn');
  });

  it("splits at the server's count and frame limit", async () => {
    const { written, batcher: b } = batcher({ maxControlFrameBytes: 700, maxMediaFrameBytes: 1, maxBatchSends: 3 });
    for (const to of ['a1', 'a2', 'a3', 'a4', 'a5']) b.send(dm(to));
    await turn();
    assert.deepEqual(written, ['batch(a1,a2,a3)', 'batch(a4,a5)']);
    const small = batcher({ maxControlFrameBytes: 400, maxMediaFrameBytes: 1, maxBatchSends: 64 });
    for (const to of ['b1', 'b2', 'b3', 'b4']) small.batcher.send(dm(to));
    await turn();
    assert.deepEqual(small.written, ['batch(b1,b2)', 'batch(b3,b4)'], 'two DMs of ~170 bytes fit a 400-byte frame, three do not');
  });

  it('sends one by one to a server that takes no batches', () => {
    const { written, batcher: b } = batcher({ maxControlFrameBytes: 65_536, maxMediaFrameBytes: 1 });
    b.send(dm('bob'));
    b.send(dm('carol'));
    assert.deepEqual(written, ['send(bob)', 'send(carol)']);
  });

  it('batches what one turn writes in many steps of a promise chain (a session handles each message in its own)', async () => {
    const { written, batcher: b } = batcher({ maxControlFrameBytes: 65_536, maxMediaFrameBytes: 1, maxBatchSends: 64 });
    let chain = Promise.resolve();
    for (const to of ['r1', 'r2', 'r3']) chain = chain.then(() => b.send(dm(to)));
    await chain;
    assert.deepEqual(written, [], 'nothing yet: the turn is not over');
    await turn();
    assert.deepEqual(written, ['batch(r1,r2,r3)']);
  });

  it('confirms many senders in one `received-batch`, after the DMs written before them, and one by one to a server that takes none', async () => {
    const { written, batcher: b } = batcher({ maxControlFrameBytes: 65_536, maxMediaFrameBytes: 1, maxBatchSends: 64, maxBatchReceived: 2 });
    b.send(dm('bob'));
    b.send(dm('carol'));
    for (const from of ['r1', 'r2', 'r3']) b.send(confirm(from));
    b.send(dm('dan'));
    await turn();
    assert.deepEqual(written, ['batch(bob,carol)', 'received(r1,r2)', 'received(r3)', 'send(dan)'], 'in the order written, two to a frame');
    const old = batcher({ maxControlFrameBytes: 65_536, maxMediaFrameBytes: 1, maxBatchSends: 64 });
    old.batcher.send(confirm('r1'));
    old.batcher.send(confirm('r2'));
    assert.deepEqual(old.written, ['received(r1)', 'received(r2)']);
  });
});
