import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { UndeliveredNotice } from '../../../src/server/cluster/cluster-bus.js';
import type { RoomRelay } from '../../../src/server/cluster/cluster-wire.js';
import { RoomConfirmations } from '../../../src/server/cluster/room-confirmations.js';

const relay = (id: string, recipients: RoomRelay['recipients']): RoomRelay => ({
  node: 'me',
  from: 'alice',
  recipients,
  id,
  envelopeJson: JSON.stringify({ id, ts: 1, chain: 'c', seq: 0, iv: 'AAAA', ct: 'AAAA', sig: 'AAAA' }),
});

describe('RoomConfirmations', () => {
  it('reports the recipients a node says it no longer had, and only names that were sent to it', () => {
    const notices: UndeliveredNotice[] = [];
    const confirmations = new RoomConfirmations(60_000, (notice) => notices.push(notice));
    const batch = confirmations.open([relay('m1', { n2: { bob: '' }, n3: { carol: '' } })]);
    confirmations.confirm(batch, 'n2', [{ id: 'm1', names: ['bob', 'carol'] }]);
    assert.deepEqual(notices, [{ id: 'm1', from: 'alice', names: ['bob'], reason: 'left' }]);
    assert.equal(confirmations.size, 1, 'n3 has not answered yet');
    confirmations.confirm(batch, 'n3', []);
    confirmations.confirm(batch, 'n3', [{ id: 'm1', names: ['carol'] }]);
    assert.equal(confirmations.size, 0);
    assert.equal(notices.length, 1, 'a second answer from one node counts for nothing');
  });

  it("reports a silent node's recipients as unconfirmed when its time is up", async () => {
    const notices: UndeliveredNotice[] = [];
    const confirmations = new RoomConfirmations(40, (notice) => notices.push(notice));
    const batch = confirmations.open([relay('m1', { n2: { bob: '' }, n3: { carol: '', dave: '' } })]);
    confirmations.confirm(batch, 'n2', []);
    const keepAlive = setTimeout(() => {}, 5000);
    while (confirmations.size > 0) await new Promise((resolve) => setTimeout(resolve, 10));
    clearTimeout(keepAlive);
    assert.deepEqual(notices, [{ id: 'm1', from: 'alice', names: ['carol', 'dave'], reason: 'unconfirmed' }]);
  });

  it('reports every recipient of a batch that never left', () => {
    const notices: UndeliveredNotice[] = [];
    const confirmations = new RoomConfirmations(60_000, (notice) => notices.push(notice));
    confirmations.fail(confirmations.open([relay('m1', { n2: { bob: '' } }), relay('m2', { n3: { carol: '' } })]));
    assert.deepEqual(
      notices.map((n) => [n.id, n.names, n.reason]),
      [
        ['m1', ['bob'], 'not-sent'],
        ['m2', ['carol'], 'not-sent'],
      ],
    );
    assert.equal(confirmations.size, 0);
  });
});
