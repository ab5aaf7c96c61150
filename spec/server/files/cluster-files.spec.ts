// Files on a cluster: two real nodes on a real nats-server. A file sent through one node is kept
// in the cluster's bucket, fetched through the other, and outlives the node it came through; a
// member on the other node follows an upload still under way.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ChatSession } from '../../../src/client/chat-session.js';
import { ClientState } from '../../../src/client/state/client-state.js';
import type { FileEvents } from '../../../src/client/files/file-transfers.js';
import type { Identity } from '../../../src/core/identity.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import { waitFor, waitUntil } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';
import { NatsBroker } from '../../helpers/nats-broker.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

const TIMING = { heartbeatMs: 200, leaseMs: 1000, requestTimeoutMs: 1000 } as const;

let broker: NatsBroker;
let ids: Identity[];
before(async () => {
  broker = await NatsBroker.start();
  ids = await Promise.all([0, 1].map(testIdentity));
});
after(() => broker.destroy());

describe('files on a cluster', () => {
  it("keeps a file in the cluster's bucket: sent through one node, fetched through another after the first is gone", async (t) => {
    const dir = makeTempDir(t);
    const cluster = { url: broker.url, name: `spec-${randomBytes(4).toString('hex')}`, ...TIMING };
    const [one, two] = [new ChatServer({ port: 0, cluster }), new ChatServer({ port: 0, cluster })];
    const [portOne, portTwo] = [(await one.listen()).port, (await two.listen()).port];
    t.after(() => one.close());
    t.after(() => two.close());
    // Bob registers through node two, then goes away.
    // One state for both of bob's runs (his prekeys and sessions), as a real client keeps on disk.
    const bobState = ClientState.inMemory();
    const bobFirst = new ChatSession({ host: '127.0.0.1', port: portTwo, name: 'bob', identity: ids[1]!, state: bobState });
    await bobFirst.connect();
    await bobFirst.close();
    const alice = new ChatSession({ host: '127.0.0.1', port: portOne, name: 'alice', identity: ids[0]! });
    await alice.connect();
    t.after(() => alice.close());
    const contents = randomBytes(300 * 1024 + 7);
    writeFileSync(join(dir, 'plan.bin'), contents);
    const sent = new Promise<FileEvents['file-sent']>((resolve) => alice.files.on('file-sent', resolve));
    await alice.files.send('bob', join(dir, 'plan.bin'));
    await sent;
    await alice.close();
    await one.close();

    const bob = new ChatSession({ host: '127.0.0.1', port: portTwo, name: 'bob', identity: ids[1]!, state: bobState });
    const arrived = new Promise<FileEvents['file']>((resolve) => bob.files.on('file', resolve));
    const errors: string[] = [];
    bob.files.on('error', (e) => errors.push(e.message));
    bob.on('error', (e) => errors.push(e.message));
    await bob.connect();
    t.after(() => bob.close());
    const file = await Promise.race([
      arrived,
      waitFor(() => (errors.length > 0 ? errors : undefined), 'an error', 15_000).then((e) => assert.fail(e.join('; '))),
    ]);
    const path = bob.files.save(file.id, join(dir, 'saved.bin'), false);
    assert.ok(readFileSync(path).equals(contents), 'byte for byte, through the other node');
  });

  it('streams an upload under way through one node to a member on the other, as its chunks reach the bucket', async (t) => {
    const dir = makeTempDir(t);
    const cluster = { url: broker.url, name: `spec-${randomBytes(4).toString('hex')}`, ...TIMING };
    // Uploads at 1 MiB/s on node one, so alice is still uploading when she is cut off.
    const slow = { fileBytesPerSecond: 1024 * 1024, fileByteBurst: 1024 * 1024 };
    const [one, two] = [new ChatServer({ port: 0, cluster, limits: slow }), new ChatServer({ port: 0, cluster })];
    const [portOne, portTwo] = [(await one.listen()).port, (await two.listen()).port];
    t.after(() => one.close());
    t.after(() => two.close());
    const bob = new ChatSession({ host: '127.0.0.1', port: portTwo, name: 'bob', identity: ids[1]! });
    await bob.connect();
    t.after(() => bob.close());
    const downloaded: number[] = [];
    bob.files.on('file-progress', (progress) => downloaded.push(progress.bytes));
    const alice = new ChatSession({ host: '127.0.0.1', port: portOne, name: 'alice', identity: ids[0]! });
    await alice.connect();
    await waitUntil(() => alice.peer('bob') !== undefined, 'alice to know bob');
    writeFileSync(join(dir, 'big.bin'), randomBytes(4 * 1024 * 1024));
    await alice.files.send('bob', join(dir, 'big.bin'));
    await waitUntil(() => one.files.stats.bytes >= 1.5 * 1024 * 1024, 'a MiB and a half of it in the bucket');
    // Cut off mid-upload: what bob gets now came through node two from the bucket, before the file was whole.
    await alice.close();
    await waitUntil(
      () => downloaded.length > 0,
      () => `bob, on node two, to get part of the file (${JSON.stringify(one.files.stats)})`,
      15_000,
    );
    assert.ok(
      downloaded.every((bytes) => bytes < 4 * 1024 * 1024),
      `only part of it: ${downloaded}`,
    );
  });

  it("counts a sender's file share across the cluster: what she keeps through one node counts on the other", async (t) => {
    const dir = makeTempDir(t);
    const cluster = { url: broker.url, name: `spec-${randomBytes(4).toString('hex')}`, ...TIMING };
    const limits = { maxFileStoreBytesPerSender: 500_000, maxFileStoreBytesPerNewcomer: 500_000 };
    const [one, two] = [new ChatServer({ port: 0, cluster, limits }), new ChatServer({ port: 0, cluster, limits })];
    const [portOne, portTwo] = [(await one.listen()).port, (await two.listen()).port];
    t.after(() => one.close());
    t.after(() => two.close());
    const bobFirst = new ChatSession({ host: '127.0.0.1', port: portTwo, name: 'bob', identity: ids[1]! });
    await bobFirst.connect();
    await bobFirst.close();
    const aliceState = ClientState.inMemory();
    const alice = new ChatSession({ host: '127.0.0.1', port: portOne, name: 'alice', identity: ids[0]!, state: aliceState });
    await alice.connect();
    writeFileSync(join(dir, 'first.bin'), randomBytes(300_000));
    const sent = new Promise<void>((resolve) => alice.files.on('file-sent', () => resolve()));
    await alice.files.send('bob', join(dir, 'first.bin'));
    await sent;
    await alice.close();
    // Node two has heard of the file kept for bob (the marker: its records count it).
    await waitFor(() => (two.files.stats.files === 1 ? true : undefined), 'node two to know the file');
    // And that she left node one: until then her name is held there (a cluster's claim decides).
    await waitFor(() => (two.peerNames.includes('alice') ? undefined : true), 'node two to hear alice left');
    const again = new ChatSession({ host: '127.0.0.1', port: portTwo, name: 'alice', identity: ids[0]!, state: aliceState });
    await again.connect();
    t.after(() => again.close());
    writeFileSync(join(dir, 'second.bin'), randomBytes(300_000));
    const refused = new Promise<{ code: string }>((resolve) => again.files.on('error', resolve));
    await again.files.send('bob', join(dir, 'second.bin'));
    assert.equal((await refused).code, 'CHAT_ERR_FILE_TOO_LARGE', 'the second 300 KB does not fit a 500 KB share, whichever node it comes through');
  });
});
