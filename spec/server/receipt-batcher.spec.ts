import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ServerMessage } from '../../src/core/messages.js';
import type { ClientConnection } from '../../src/server/client-connection.js';
import { ReceiptBatcher } from '../../src/server/receipt-batcher.js';

function connection(isOpen = true) {
  const sent: ServerMessage[] = [];
  return { sent, conn: { isOpen, send: (m: ServerMessage) => sent.push(m) } as unknown as ClientConnection };
}

describe('ReceiptBatcher', () => {
  it('sends each sender its receipts of one turn in one frame, and none to a closed connection', async () => {
    const batcher = new ReceiptBatcher();
    const [alice, gone] = [connection(), connection(false)];
    batcher.add(alice.conn, { id: 'a', name: 'bob', state: 'delivered' });
    batcher.add(alice.conn, { id: 'b', name: 'carol', state: 'delivered' });
    batcher.add(gone.conn, { id: 'c', name: 'bob', state: 'delivered' });
    assert.equal(alice.sent.length, 0, 'not before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(alice.sent, [
      {
        type: 'receipts',
        receipts: [
          { id: 'a', name: 'bob', state: 'delivered' },
          { id: 'b', name: 'carol', state: 'delivered' },
        ],
      },
    ]);
    assert.deepEqual(gone.sent, []);
  });
});
