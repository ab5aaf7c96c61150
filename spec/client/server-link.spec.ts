import assert from 'node:assert/strict';
import { before, describe, it, type TestContext } from 'node:test';
import { type LinkError, type LinkMessage, ServerLink, type ServerLinkSink } from '../../src/client/server-link.js';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import type { WelcomeMessage } from '../../src/core/messages.js';
import { buildHello } from '../../src/core/prekey.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { waitUntil } from '../helpers/events.js';
import { testIdentity } from '../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1].map(testIdentity));
});

function recordingSink() {
  const seen = { welcomes: [] as WelcomeMessage[], messages: [] as LinkMessage[], errors: [] as LinkError[], closed: [] as string[] };
  const sink: ServerLinkSink = {
    welcomed: (welcome) => seen.welcomes.push(welcome),
    message: (message) => seen.messages.push(message),
    videoFrame: () => {},
    fileChunk: () => {},
    error: (error) => seen.errors.push(error),
    closed: (reason) => seen.closed.push(reason),
  };
  return { seen, sink };
}

async function startServer(t: TestContext, maxControlFrameBytes?: number): Promise<number> {
  const server = new ChatServer({ port: 0, ...(maxControlFrameBytes === undefined ? {} : { limits: { maxControlFrameBytes } }) });
  const { port } = await server.listen();
  t.after(() => server.close());
  return port;
}

function link(port: number, identity: Identity, name: string, sink: ServerLinkSink): ServerLink {
  const prekey = generateX25519();
  return new ServerLink({ host: '127.0.0.1', port, identity, hello: (as) => buildHello(identity, as, prekey) }, sink, name);
}

describe('ServerLink', () => {
  it('joins, adopts the announced limits, then hands on what follows the welcome', async (t) => {
    const port = await startServer(t, 4096);
    const a = recordingSink();
    const alice = link(port, ids[0]!, 'alice', a.sink);
    assert.throws(() => alice.send({ type: 'ping', nonce: 1 }), { code: ErrorCode.NOT_CONNECTED }, 'nothing goes out before the join');
    await alice.connect();
    t.after(() => alice.close());
    assert.equal(alice.state, 'ready');
    assert.equal(a.seen.welcomes.length, 1);
    assert.equal(alice.limits?.maxControlFrameBytes, 4096);
    assert.throws(() => alice.checkFits({ type: 'ping', nonce: 1, padding: 'x'.repeat(5000) } as never), { code: ErrorCode.MESSAGE_TOO_LARGE });
    const bob = link(port, ids[1]!, 'bob', recordingSink().sink);
    await bob.connect();
    t.after(() => bob.close());
    await waitUntil(() => a.seen.messages.some((m) => m.type === 'join' && m.peer.name === 'bob'), "bob's join");
  });

  it('stays open after a refused name, so the join can go on under another', async (t) => {
    const port = await startServer(t);
    const first = link(port, ids[0]!, 'alice', recordingSink().sink);
    await first.connect();
    t.after(() => first.close());
    const second = recordingSink();
    const other = link(port, ids[1]!, 'alice', second.sink);
    await assert.rejects(other.connect(), { code: ErrorCode.NAME_TAKEN });
    assert.equal(other.state, 'connecting');
    await other.rejoin('alice2');
    t.after(() => other.close());
    assert.equal(other.name, 'alice2');
    assert.equal(second.seen.errors[0]?.fatal, false);
  });
});
