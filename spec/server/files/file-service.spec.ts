// The server's file service in-process, over a real folder, with connections that only record
// what they are sent: a download follows an upload still under way, a stalled upload holds up no
// other file of the same connection, and whoever follows a file its sender withdraws (or that
// expires half-uploaded) is told. End to end, with real processes: client/files/file-transfer.spec.ts.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type ChatError, ErrorCode } from '../../../src/core/errors.js';
import { decodeFileChunk } from '../../../src/core/file-codec.js';
import { silentLogger } from '../../../src/core/logger.js';
import { DiskFileBackend } from '../../../src/server/files/file-backend.js';
import { type FileConnection, FileService } from '../../../src/server/files/file-service.js';
import { STORED_CHUNK_BYTES, type StoredFile } from '../../../src/server/files/file-store.js';
import { DEFAULT_SERVER_LIMITS } from '../../../src/server/server-limits.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A member's connection: what it is sent, decoded. */
class RecordingConnection implements FileConnection {
  readonly isOpen = true;
  readonly ipAddress = '127.0.0.1';
  readonly pendingBytes = 0;
  readonly chunks: Array<{ file: string; index: number }> = [];
  readonly news: string[] = [];
  readonly refusals: Array<{ code: string; message: string; ref?: string }> = [];

  constructor(readonly peer: { readonly name: string }) {}

  send(message: { type: string; file: string }): void {
    this.news.push(`${message.type} ${message.file}`);
  }

  sendFrame(frame: Buffer | readonly Buffer[]): boolean {
    const { file, index } = decodeFileChunk((Buffer.isBuffer(frame) ? frame : Buffer.concat(frame)).subarray(5));
    this.chunks.push({ file, index });
    return true;
  }

  whenDrained(callback: () => void): void {
    setImmediate(callback);
  }

  reject(error: ChatError, _fatal: boolean, ref?: string): void {
    this.refusals.push({ code: error.code, message: error.message, ...(ref === undefined ? {} : { ref }) });
  }

  indexesOf(file: string): number[] {
    return this.chunks.filter((chunk) => chunk.file === file).map((chunk) => chunk.index);
  }
}

/** The disk backend, counting the chunks read back from it. */
class CountingBackend extends DiskFileBackend {
  reads = 0;

  override async readChunk(record: StoredFile, index: number): Promise<Buffer> {
    this.reads++;
    return super.readChunk(record, index);
  }
}

function service(dir: string, backend = new CountingBackend(() => dir, true)): FileService {
  return new FileService(backend, DEFAULT_SERVER_LIMITS, {
    logger: silentLogger,
    recipientsOf: (_sender, to) => [to],
    originOf: (address) => address,
    isNewcomer: () => false,
  });
}

const A = 'AbCdEfGhIjKlMnOpQrStUg';
const B = 'BbCdEfGhIjKlMnOpQrStUg';
const whole = Buffer.alloc(STORED_CHUNK_BYTES, 7);

async function offer(files: FileService, alice: RecordingConnection, file: string, chunks: number): Promise<void> {
  await files.handle(alice, { type: 'file-offer', file, to: 'bob', bytes: chunks * STORED_CHUNK_BYTES, chunks });
}

describe('FileService', () => {
  it('streams an upload still under way to whoever fetches it, each chunk as it comes (from memory, not read back)', async (t) => {
    const dir = makeTempDir(t);
    const backend = new CountingBackend(() => dir, true);
    const files = service(dir, backend);
    const alice = new RecordingConnection({ name: 'alice' });
    const bob = new RecordingConnection({ name: 'bob' });
    await offer(files, alice, A, 3);
    await files.chunk(alice, { file: A, index: 0, data: whole });
    await files.handle(bob, { type: 'file-get', file: A, from: 0 });
    assert.deepEqual(bob.indexesOf(A), [0], 'what is there goes at once');
    await files.chunk(alice, { file: A, index: 1, data: whole });
    assert.deepEqual(bob.indexesOf(A), [0, 1], 'the next chunk goes as it comes, before the upload ends');
    await files.chunk(alice, { file: A, index: 2, data: whole });
    assert.deepEqual(bob.indexesOf(A), [0, 1, 2]);
    assert.equal(backend.reads, 1, 'only the chunk stored before bob asked was read from disk');
    assert.deepEqual(alice.news, [`file-accepted ${A}`, `file-stored ${A}`]);
    assert.deepEqual(bob.refusals, []);
  });

  it('holds up no other file of the same connection behind an upload that stalls', async (t) => {
    const files = service(makeTempDir(t));
    const alice = new RecordingConnection({ name: 'alice' });
    const bob = new RecordingConnection({ name: 'bob' });
    await offer(files, alice, A, 3);
    await files.chunk(alice, { file: A, index: 0, data: whole });
    await offer(files, alice, B, 2);
    await files.chunk(alice, { file: B, index: 0, data: whole });
    await files.chunk(alice, { file: B, index: 1, data: whole });
    // Stalled A first, whole B second: B arrives whole all the same.
    await files.handle(bob, { type: 'file-get', file: A, from: 0 });
    await files.handle(bob, { type: 'file-get', file: B, from: 0 });
    assert.deepEqual(bob.indexesOf(B), [0, 1]);
    assert.deepEqual(bob.indexesOf(A), [0]);
  });

  it('tells whoever follows a file its sender withdraws, and lets nobody else withdraw it', async (t) => {
    const files = service(makeTempDir(t));
    const alice = new RecordingConnection({ name: 'alice' });
    const bob = new RecordingConnection({ name: 'bob' });
    await offer(files, alice, A, 3);
    await files.chunk(alice, { file: A, index: 0, data: whole });
    await files.handle(bob, { type: 'file-get', file: A, from: 0 });
    await assert.rejects(files.handle(bob, { type: 'file-withdraw', file: A }), (error: ChatError) => error.code === ErrorCode.FILE_NOT_FOUND);
    assert.equal(bob.refusals.length, 0, 'not withdrawn by a recipient');
    await files.handle(alice, { type: 'file-withdraw', file: A });
    assert.equal(bob.refusals.length, 1);
    assert.equal(bob.refusals[0]!.ref, A);
    assert.equal(bob.refusals[0]!.code, ErrorCode.FILE_NOT_FOUND);
    assert.match(bob.refusals[0]!.message, /its sender withdrew it/);
    await assert.rejects(files.handle(bob, { type: 'file-get', file: A, from: 1 }), (error: ChatError) => error.code === ErrorCode.FILE_NOT_FOUND);
    assert.deepEqual(files.stats, { files: 0, bytes: 0 });
  });

  it('tells whoever follows a half-uploaded file that expires', async (t) => {
    const files = service(makeTempDir(t));
    const alice = new RecordingConnection({ name: 'alice' });
    const bob = new RecordingConnection({ name: 'bob' });
    await offer(files, alice, A, 2);
    await files.handle(bob, { type: 'file-get', file: A, from: 0 });
    assert.equal(await files.sweep(Date.now() + DEFAULT_SERVER_LIMITS.retentionMs + 1), 1);
    assert.equal(bob.refusals.length, 1);
    assert.match(bob.refusals[0]!.message, /expired before its sender finished it/);
  });
});
