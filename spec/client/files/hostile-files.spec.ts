// Files from a hostile sender (a real server and real sessions, in process): a file whose hash is
// not the one its message gave, one that claims one size and sends another, a chunk sealed for
// another place. Each is refused with an error naming the sender, and nothing of it is kept. And
// what the server refuses of an upload: a size the chunks cannot make, chunks out of order or of
// the wrong length, a file over --max-file-bytes or the sender's share.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { before, describe, it, type TestContext } from 'node:test';
import { ChatSession } from '../../../src/client/chat-session.js';
import type { FileAttachment } from '../../../src/client/files/attachment.js';
import { chunkCount, newFileId, newFileKey, sealChunk, sealedSize } from '../../../src/client/files/file-cipher.js';
import type { FileEvents } from '../../../src/client/files/file-transfers.js';
import { ErrorCode } from '../../../src/core/errors.js';
import { FILE_CHUNK_BYTES } from '../../../src/core/file-messages.js';
import type { Identity } from '../../../src/core/identity.js';
import { ChatServer } from '../../../src/server/chat-server.js';
import type { ServerLimits } from '../../../src/server/server-limits.js';
import { waitFor } from '../../helpers/events.js';
import { testIdentity } from '../../helpers/identities.js';

let ids: Identity[];
before(async () => {
  ids = await Promise.all([0, 1].map(testIdentity));
});

async function pair(t: TestContext, limits: Partial<ServerLimits> = {}) {
  const server = new ChatServer({ port: 0, limits });
  const { port } = await server.listen();
  t.after(() => server.close());
  const sessions: ChatSession[] = [];
  for (const [index, name] of ['mallory', 'bob'].entries()) {
    const session = new ChatSession({ host: '127.0.0.1', port, name, identity: ids[index]! });
    await session.connect();
    t.after(() => session.close());
    sessions.push(session);
  }
  const [mallory, bob] = sessions as [ChatSession, ChatSession];
  await waitFor(() => mallory.peer('bob'), 'mallory to see bob');
  const errors: Array<{ code: string; message: string }> = [];
  mallory.on('error', (e) => errors.push(e));
  mallory.files.on('error', (e) => errors.push(e));
  const bobErrors: FileEvents['error'][] = [];
  bob.files.on('error', (e) => bobErrors.push(e));
  return { server, mallory, bob, errors, bobErrors };
}

/** Uploads `plaintext` as mallory's client would, but with the chunks `seal` makes, and returns the id and key. */
async function upload(mallory: ChatSession, plaintext: Buffer, seal = sealChunk): Promise<{ id: string; key: Buffer }> {
  const id = newFileId();
  const key = newFileKey();
  const chunks = chunkCount(plaintext.length);
  // As a client must: chunks only once the server has accepted the offer.
  let accepted: () => void = () => {};
  const acceptedNow = new Promise<void>((resolve) => (accepted = resolve));
  const stored = new Promise<void>((resolve) => {
    const original = mallory.files.onNews.bind(mallory.files);
    mallory.files.onNews = (news) => {
      if (news.type === 'file-accepted' && news.file === id) accepted();
      if (news.type === 'file-stored' && news.file === id) resolve();
      original(news);
    };
  });
  await mallory['link'].sendFile({ type: 'file-offer', file: id, to: 'bob', bytes: sealedSize(plaintext.length), chunks });
  await acceptedNow;
  for (let index = 0; index < chunks; index++) {
    await mallory['link'].sendFile({
      file: id,
      index,
      data: seal(key, id, index, chunks, plaintext.subarray(index * FILE_CHUNK_BYTES, (index + 1) * FILE_CHUNK_BYTES)),
    });
  }
  await stored;
  return { id, key };
}

/** Resolves when the server accepts mallory's offer of `id` (chunks may go only then). */
function acceptanceOf(mallory: ChatSession, id: string): Promise<void> {
  return new Promise((resolve) => {
    const original = mallory.files.onNews.bind(mallory.files);
    mallory.files.onNews = (news) => {
      if (news.type === 'file-accepted' && news.file === id) resolve();
      original(news);
    };
  });
}

function attachmentOf(id: string, key: Buffer, plaintext: Buffer, changes: Partial<FileAttachment> = {}): FileAttachment {
  return {
    id,
    name: 'innocent.txt',
    size: plaintext.length,
    sha256: createHash('sha256').update(plaintext).digest('hex'),
    key: key.toString('base64'),
    ...changes,
  };
}

describe('files from a hostile sender', () => {
  it('refuses a file whose hash is not the one its message gave, naming the sender, and keeps nothing of it', async (t) => {
    const { mallory, bob, bobErrors } = await pair(t);
    const plaintext = randomBytes(100_000);
    const { id, key } = await upload(mallory, plaintext);
    mallory.send('bob', 'a file', undefined, attachmentOf(id, key, plaintext, { sha256: 'ab'.repeat(32) }));
    const refused = await waitFor(() => bobErrors.find((e) => e.ref === id), 'bob to refuse it');
    assert.equal(refused.code, ErrorCode.FILE_INVALID);
    assert.equal(refused.peer, 'mallory');
    assert.match(refused.message, /from mallory .*hash differs/);
    assert.equal(bob.files.shelf.received[0]!.state, 'refused');
    assert.equal(existsSync(bob.files.shelf.sealedPath(id)), false, 'nothing of it kept');
    assert.throws(
      () => bob.files.save(id, undefined, false),
      (e: { code: string }) => e.code === ErrorCode.FILE_INVALID,
    );
  });

  it('takes the escape sequences and control characters out of a file name before anything shows it', async (t) => {
    const { mallory, bob } = await pair(t);
    const plaintext = randomBytes(1000);
    const { id, key } = await upload(mallory, plaintext);
    const arrived = new Promise<FileEvents['file']>((resolve) => bob.files.on('file', resolve));
    mallory.send('bob', 'a file', undefined, attachmentOf(id, key, plaintext, { name: '\u001b]0;pwned\u0007\u001b[31mred\u001b[0m.txt' }));
    const file = (await Promise.race([arrived, waitFor(() => undefined, 'the file', 5000)]))!;
    assert.equal(file.name, 'red.txt');
    assert.equal(bob.files.shelf.received[0]!.attachment.name, 'red.txt', 'kept clean too');
  });

  it('refuses a file that claims one size and sends another', async (t) => {
    const { mallory, bobErrors } = await pair(t);
    const plaintext = randomBytes(3 * FILE_CHUNK_BYTES + 10);
    const { id, key } = await upload(mallory, plaintext);
    // Says two chunks' worth: the chunks were sealed as four, so the first does not open as one of two.
    mallory.send('bob', 'a file', undefined, attachmentOf(id, key, plaintext, { size: 2 * FILE_CHUNK_BYTES }));
    const refused = await waitFor(() => bobErrors.find((e) => e.ref === id), 'bob to refuse it');
    assert.equal(refused.peer, 'mallory');
    assert.match(refused.message, /refused/);
  });

  it('refuses a chunk sealed for another place in the file', async (t) => {
    const { mallory, bobErrors } = await pair(t);
    const plaintext = randomBytes(2 * FILE_CHUNK_BYTES + 10);
    // Every chunk sealed as if it were chunk 0.
    const { id, key } = await upload(mallory, plaintext, (k, file, _index, chunks, data) => sealChunk(k, file, 0, chunks, data));
    mallory.send('bob', 'a file', undefined, attachmentOf(id, key, plaintext));
    const refused = await waitFor(() => bobErrors.find((e) => e.ref === id), 'bob to refuse it');
    assert.match(refused.message, /chunk 1 does not check out/);
  });

  it('refuses at the server what no honest client sends: a bad size, a chunk out of order or of the wrong length, too much', async (t) => {
    const { mallory, errors } = await pair(t, { maxFileBytes: 1_000_000, maxFileStoreBytesPerNewcomer: 1_500_000, maxFileStoreBytesPerSender: 1_500_000 });
    const link = mallory['link'];
    const refusal = async (ref: string) =>
      (await waitFor(() => errors.find((e) => 'ref' in e && (e as { ref?: string }).ref === ref), `a refusal of ${ref}`)).code;

    const bad = newFileId();
    await link.sendFile({ type: 'file-offer', file: bad, to: 'bob', bytes: 10, chunks: 3 });
    assert.equal(await refusal(bad), ErrorCode.FILE_INVALID);

    const big = newFileId();
    await link.sendFile({ type: 'file-offer', file: big, to: 'bob', bytes: sealedSize(2_000_000), chunks: chunkCount(2_000_000) });
    assert.equal(await refusal(big), ErrorCode.FILE_TOO_LARGE);

    const ok = newFileId();
    const accepted = acceptanceOf(mallory, ok);
    await link.sendFile({ type: 'file-offer', file: ok, to: 'bob', bytes: sealedSize(900_000), chunks: chunkCount(900_000) });
    await accepted;
    await link.sendFile({ file: ok, index: 1, data: randomBytes(FILE_CHUNK_BYTES + 16) });
    assert.equal(await refusal(ok), ErrorCode.FILE_INVALID, 'out of order');
    errors.length = 0;
    await link.sendFile({ file: ok, index: 0, data: randomBytes(100) });
    assert.equal(await refusal(ok), ErrorCode.FILE_INVALID, 'the wrong length');

    // The first (900 KB, kept until fetched) leaves no room in a 1.5 MB share for another.
    const second = newFileId();
    await link.sendFile({ type: 'file-offer', file: second, to: 'bob', bytes: sealedSize(900_000), chunks: chunkCount(900_000) });
    assert.equal(await refusal(second), ErrorCode.FILE_TOO_LARGE);
    // None of it cost mallory her connection.
    assert.equal(mallory.isReady, true);
  });
});
