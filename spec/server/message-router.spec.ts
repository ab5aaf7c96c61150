import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { before, describe, it } from 'node:test';
import type { Identity } from '../../src/core/identity.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';

let alice: Identity;
let bob: Identity;
before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

const envelope = (id: string) => ({ id, ts: Date.now(), chain: 'spec', seq: 0, iv: 'AAAAAAAAAAAAAAAA', ct: randomBytes(24).toString('base64'), sig: 'c2ln' });

describe('MessageRouter', () => {
  it('matches the key table to members regardless of case, for delivery and for the ack alike', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    t.after(() => server.close());
    const a = await RawClient.join(port, 'alice', alice);
    const b = await RawClient.join(port, 'bob', bob);
    a.send({ type: 'send', to: null, envelope: envelope('upper') });
    const ack = await a.next('ack');
    assert.deepEqual(ack.sent, ['bob'], 'bob is reached once, however his name is spelled');
    assert.equal((await b.next('message')).envelope.id, 'upper');
    a.close();
    b.close();
  });
});
