// Names are free to make, so what one key and one address may register is bounded, the first
// registered owner always gets their name back, and a stranger's hello learns nothing of who is
// registered or online. Over real sockets; the crash case with the real binary.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { before, describe, it, type TestContext } from 'node:test';
import { generateX25519 } from '../../src/core/double-ratchet.js';
import { ErrorCode } from '../../src/core/errors.js';
import type { Identity } from '../../src/core/identity.js';
import { signJoinChallenge } from '../../src/core/join-proof.js';
import { buildHello } from '../../src/core/prekey.js';
import { ChatServer } from '../../src/server/chat-server.js';
import type { ServerLimits } from '../../src/server/server-limits.js';
import { type Key, MemoryKeyValue } from '../../src/server/store/key-value.js';
import { waitUntil } from '../helpers/events.js';
import { startServeProcess } from '../helpers/cli-process.js';
import { testIdentity } from '../helpers/identities.js';
import { RawClient } from '../helpers/raw-client.js';
import { makeTempDir } from '../helpers/temp-dir.js';

let ids: Identity[];

before(async () => {
  ids = await Promise.all([0, 1, 2, 3, 4, 5].map(testIdentity));
});

async function startServer(t: TestContext, limits: Partial<ServerLimits> = {}): Promise<{ server: ChatServer; port: number }> {
  const server = new ChatServer({ port: 0, limits });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port };
}

/** Says hello as `name` with `identity` and returns the server's refusal. */
async function refusalOf(t: TestContext, port: number, name: string, identity: Identity): Promise<{ code: string; message: string }> {
  const client = await RawClient.open(port);
  t.after(() => client.close());
  client.send(buildHello(identity, name, generateX25519()));
  return client.next('error');
}

/** Joins and leaves at once: the name is registered and its owner away. */
async function registerAndLeave(port: number, name: string, identity: Identity): Promise<void> {
  const client = await RawClient.join(port, name, identity);
  client.close();
  await client.waitClosed(5000).catch(() => {});
}

describe('NameRegistrar', () => {
  it('lets one key register a handful of names, not hundreds', async (t) => {
    const { port } = await startServer(t);
    for (const name of ['one', 'two', 'three']) await registerAndLeave(port, name, ids[0]!);
    const refusal = await refusalOf(t, port, 'four', ids[0]!);
    assert.equal(refusal.code, ErrorCode.NAME_LIMIT);
    assert.match(refusal.message, /your key holds 3 names/);
    // The key still joins under a name it holds.
    const back = await RawClient.join(port, 'two', ids[0]!);
    back.close();
  });

  it('lets one address register a handful of names a day, whatever keys it uses', async (t) => {
    const { port } = await startServer(t);
    for (let i = 0; i < 5; i++) await registerAndLeave(port, `user${i}`, ids[i]!);
    const refusal = await refusalOf(t, port, 'user5', ids[5]!);
    assert.equal(refusal.code, ErrorCode.NAME_LIMIT);
    assert.match(refusal.message, /from your address today/);
  });

  it('gives the registered owner her name back while a look-alike is online', async (t) => {
    const { server, port } = await startServer(t);
    await registerAndLeave(port, 'alice', ids[0]!);
    // A look-alike registered alongside (made before look-alikes of registered names were refused).
    const mallory = ids[1]!;
    await server.store!.register({
      name: 'aIice',
      publicKey: mallory.publicKeyBase64,
      fingerprint: mallory.fingerprint,
      prekey: generateX25519().publicRaw.toString('base64'),
      prekeySig: 'c2ln',
      registeredAt: Date.now(),
      lastSeenAt: Date.now(),
    });
    const lookalike = await RawClient.join(port, 'aIice', mallory);
    t.after(() => lookalike.close());
    const owner = await RawClient.join(port, 'alice', ids[0]!);
    t.after(() => owner.close());
    assert.equal(owner.welcome?.name, 'alice');
  });

  it('refuses a new name that reads like a registered one, even while its owner is away', async (t) => {
    const { port } = await startServer(t);
    await registerAndLeave(port, 'alice', ids[0]!);
    assert.equal((await refusalOf(t, port, 'aIice', ids[1]!)).code, ErrorCode.NAME_TAKEN);
  });

  it("answers a stranger's hello alike whether the name is online, away or merely alike", async (t) => {
    const { port } = await startServer(t);
    await registerAndLeave(port, 'away', ids[0]!);
    const online = await RawClient.join(port, 'online', ids[1]!);
    t.after(() => online.close());
    const answers = await Promise.all(
      [
        ['away', 'away'],
        ['online', 'online'],
        ['0nline', 'alike'],
      ].map(async ([name]) => {
        const refusal = await refusalOf(t, port, name!, ids[2]!);
        return { code: refusal.code, message: refusal.message.replace(`"${name}"`, '"NAME"') };
      }),
    );
    assert.equal(new Set(answers.map((answer) => JSON.stringify(answer))).size, 1, JSON.stringify(answers));
    assert.equal(answers[0]!.code, ErrorCode.NAME_TAKEN);
  });

  it('sends the welcome only once the registration is written', async (t) => {
    let release: () => void = () => {};
    const written = new Promise<void>((resolve) => {
      release = resolve;
    });
    let registering = false;
    // A disk that holds the registration's write until released.
    class SlowDisk extends MemoryKeyValue {
      override async put(key: Key, value: unknown): Promise<void> {
        if (key[0] === 'r') {
          registering = true;
          await written;
        }
        return super.put(key, value);
      }
    }
    const server = new ChatServer({ port: 0, keyValue: new SlowDisk() });
    const { port } = await server.listen();
    t.after(() => server.close());
    const client = await RawClient.open(port);
    t.after(() => client.close());
    client.send(buildHello(ids[0]!, 'alice', generateX25519()));
    const challenge = await client.next('challenge');
    const signature = signJoinChallenge(ids[0]!.privateKey, Buffer.from(challenge.nonce, 'base64'), 'alice', ids[0]!.publicKeyDer);
    client.send({ type: 'auth', signature: signature.toString('base64') });
    await waitUntil(() => registering, 'the registration to be written');
    // The pong is a marker: a welcome sent before the write finished would arrive ahead of it.
    client.send({ type: 'ping', nonce: 1 });
    await client.next('pong');
    assert.equal(
      client.received.some((m) => m.type === 'welcome'),
      false,
      'no welcome before the registration is on disk',
    );
    release();
    assert.equal((await client.next('welcome')).name, 'alice');
  });

  it('keeps every name registered across a SIGKILL right after the welcomes', async (t) => {
    const dataDir = join(makeTempDir(t), 'server-data');
    const first = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    // Five joins at once, the server killed the moment the last welcome arrives.
    const joined = await Promise.all(ids.slice(0, 5).map((identity, i) => RawClient.join(first.port, `user${i}`, identity)));
    first.server.child.kill('SIGKILL');
    await first.server.waitExit();
    for (const client of joined) client.close();
    const second = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    for (let i = 0; i < 5; i++) {
      const refusal = await refusalOf(t, second.port, `user${i}`, ids[5]!);
      assert.equal(refusal.code, ErrorCode.NAME_TAKEN, `user${i} still registered to their key`);
    }
  });
});
