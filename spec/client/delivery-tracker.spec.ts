// DeliveryTracker: what the user is told of each message sent. "delivered" only on the
// recipient's own receipt, sealed end to end; everything the server says reads as its word.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DeliveryTracker, describeDelivery } from '../../src/client/delivery-tracker.js';
import { ClientState } from '../../src/client/state/client-state.js';

function envelope(id: string) {
  return { id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: 'Y3Q=', sig: 'c2ln' };
}

function tracked(to: string | null, id: string): DeliveryTracker {
  const tracker = new DeliveryTracker(ClientState.inMemory());
  tracker.track({ id, to, text: 'hi', createdAt: Date.now(), sends: [{ type: 'send', to, envelope: envelope(id) }], recipients: {} });
  return tracker;
}

describe('DeliveryTracker', () => {
  it('keeps the server\'s "delivered" as its word, and says delivered only on the recipient\'s sealed receipt', () => {
    const tracker = tracked('bob', 'd1');
    tracker.onAck({ type: 'ack', id: 'd1', sent: ['bob'], stored: [], refused: [] });
    // A malicious server can send this for a message it dropped: it must not read "delivered".
    const [confirmed] = tracker.onReceipts([{ id: 'd1', name: 'bob', state: 'delivered' }]);
    assert.equal(confirmed!.delivered, 0);
    assert.equal(describeDelivery(confirmed!), "server says: reached bob's client");
    assert.deepEqual(tracker.onEndToEndReceipt('mallory', ['d1']), [], "a receipt from someone else is nobody's");
    const [delivered] = tracker.onEndToEndReceipt('bob', ['d1']);
    assert.equal(describeDelivery(delivered!), 'delivered');
    const [late] = tracker.onReceipts([{ id: 'd1', name: 'bob', state: 'stored' }]);
    assert.equal(late, undefined, 'delivered is the last word');
  });

  it("reads a room line as the server's word, ignores receipts for it, and news of non-recipients", () => {
    const tracker = tracked(null, 'r1');
    tracker.onAck({ type: 'ack', id: 'r1', sent: ['bob', 'carol'], stored: ['dave'], refused: [] });
    const [summary] = tracker.onReceipts([
      { id: 'r1', name: 'bob', state: 'delivered' },
      { id: 'r1', name: 'eve', state: 'discarded' },
    ]);
    assert.equal(describeDelivery(summary!), 'server says: reached 1 of 3, stored for 1 away, sent to 1');
    assert.deepEqual(tracker.onEndToEndReceipt('bob', ['r1']), []);
  });
});
