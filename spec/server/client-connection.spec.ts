import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { buildHello } from '../../src/core/prekey.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { MAX_HELLO_ATTEMPTS } from '../../src/server/client-connection.js';
import { hugeExponent, lowOrderHello, rsaKeyWithExponent } from '../helpers/hostile-keys.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';
import { waitUntil } from '../helpers/events.js';

let alice: Identity;
let bob: Identity;

before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

async function startServer(t: TestContext): Promise<number> {
  const server = new ChatServer({ port: 0 });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

describe('ClientConnection: the hello', () => {
  it('refuses a key with a huge public exponent and ends that connection', async (t) => {
    const port = await startServer(t);
    const c = await RawClient.open(port);
    c.send({ ...buildHello(bob, 'mallory', generateX25519()), publicKey: rsaKeyWithExponent(bob, hugeExponent()) });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.INVALID_MESSAGE);
    assert.equal(error.fatal, true);
    await c.waitClosed();
  });

  it('refuses a correctly signed low-order (all-zero) prekey at join', async (t) => {
    const port = await startServer(t);
    const c = await RawClient.open(port);
    c.send(lowOrderHello(bob, 'mallory'));
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.INVALID_MESSAGE);
    assert.match(error.message, /low-order/);
    await c.waitClosed();
  });

  it('answers a taken name before looking at the key or its signature', async (t) => {
    const port = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const c = await RawClient.open(port);
    // The signature is junk: had it been checked first, this would be a fatal INVALID_MESSAGE.
    c.send({ ...buildHello(bob, 'alice', generateX25519()), prekeySig: Buffer.alloc(384, 7).toString('base64') });
    const error = await c.next('error');
    assert.equal(error.code, ErrorCode.NAME_TAKEN);
    assert.equal(error.fatal, false);
    a.close();
    c.close();
  });

  it('refuses a name that reads like one online or registered (a1ice, aIice, alice.), and frees it once the original is released', async (t) => {
    const server = new ChatServer({ port: 0 });
    const { port } = await server.listen();
    t.after(() => server.close());
    const a = await RawClient.join(port, 'alice', alice);
    const c = await RawClient.open(port);
    for (const lookalike of ['a1ice', 'aIice', 'alice.']) {
      c.send(buildHello(bob, lookalike, generateX25519()));
      const error = await c.next('error');
      assert.equal(error.code, ErrorCode.NAME_TAKEN);
      // The one answer for every unavailable name: it does not say who is online.
      assert.match(error.message, /too like a taken name/);
    }
    a.close();
    await waitUntil(() => !server.peerNames.includes('alice'), 'alice to leave');
    // Away, alice still owns her name: a look-alike of it is no more available than while she was here.
    c.send(buildHello(bob, 'a1ice', generateX25519()));
    assert.equal((await c.next('error')).code, ErrorCode.NAME_TAKEN);
    assert.equal(await server.store!.release('alice'), true);
    const again = await RawClient.join(port, 'a1ice', bob);
    again.close();
    c.close();
  });

  it(`ends a connection that tries more than ${MAX_HELLO_ATTEMPTS} names`, async (t) => {
    const port = await startServer(t);
    const a = await RawClient.join(port, 'alice', alice);
    const c = await RawClient.open(port);
    for (let i = 0; i < MAX_HELLO_ATTEMPTS; i++) {
      c.send(buildHello(bob, 'alice', generateX25519()));
      assert.equal((await c.next('error')).code, ErrorCode.NAME_TAKEN);
    }
    c.send(buildHello(bob, 'alice', generateX25519()));
    const last = await c.next('error');
    assert.equal(last.fatal, true);
    await c.waitClosed();
    a.close();
  });
});
