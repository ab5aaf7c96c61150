import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import { chunkCount, newFileId, newFileKey, openChunk, sealChunk, sealedSize } from '../../../src/client/files/file-cipher.js';
import { FILE_CHUNK_BYTES } from '../../../src/core/file-messages.js';

describe('file-cipher', () => {
  it('opens a chunk only as itself: its file, its place, its count, untouched', () => {
    const key = newFileKey();
    const file = newFileId();
    const plaintext = randomBytes(1000);
    const sealed = sealChunk(key, file, 2, 5, plaintext);
    assert.ok(openChunk(key, file, 2, 5, sealed).equals(plaintext));
    assert.throws(() => openChunk(key, file, 3, 5, sealed), /does not check out/, 'another place');
    assert.throws(() => openChunk(key, file, 2, 4, sealed), /does not check out/, 'a file cut short');
    assert.throws(() => openChunk(key, newFileId(), 2, 5, sealed), /does not check out/, 'another file');
    assert.throws(() => openChunk(newFileKey(), file, 2, 5, sealed), /does not check out/, 'another key');
    const flipped = Buffer.from(sealed);
    flipped[10]! ^= 1;
    assert.throws(() => openChunk(key, file, 2, 5, flipped), /does not check out/, 'a flipped bit');
  });

  it('counts chunks and sealed bytes (an empty file is one empty chunk)', () => {
    assert.equal(chunkCount(0), 1);
    assert.equal(chunkCount(FILE_CHUNK_BYTES), 1);
    assert.equal(chunkCount(FILE_CHUNK_BYTES + 1), 2);
    assert.equal(sealedSize(FILE_CHUNK_BYTES + 1), FILE_CHUNK_BYTES + 1 + 32);
  });
});
