import assert from 'node:assert/strict';
import { appendFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { FileStore, STORED_CHUNK_BYTES, type StoredFile } from '../../../src/server/files/file-store.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

function record(id: string, chunks: number, bytes: number): StoredFile {
  return { id, sender: 'alice', origin: 'o', waitingFor: ['bob', 'carol'], bytes, chunks, have: 0, expiresAt: Date.now() + 60_000 };
}

describe('FileStore', () => {
  it('keeps chunks on disk, knows how far an upload came after a restart (a torn chunk cut off), and reads chunks back', (t) => {
    const dir = makeTempDir(t);
    const store = new FileStore(dir);
    const bytes = 2 * STORED_CHUNK_BYTES + 100;
    const file = record('AbCdEfGhIjKlMnOpQrStUg', 3, bytes);
    store.create(file);
    const first = Buffer.alloc(STORED_CHUNK_BYTES, 1);
    store.append(file, first);
    store.remove('nothing-here');
    // A crash halfway through the second chunk (the first store's descriptor is let go with it).
    appendFileSync(join(dir, `${file.id}.part`), Buffer.alloc(1000, 2));
    const again = new FileStore(dir);
    const reopened = again.get(file.id)!;
    assert.equal(reopened.have, 1, 'the torn chunk does not count');
    again.append(reopened, Buffer.alloc(STORED_CHUNK_BYTES, 2));
    again.append(reopened, Buffer.alloc(100, 3));
    assert.equal(reopened.have, 3);
    assert.ok(again.readChunk(reopened, 0).equals(first));
    assert.ok(again.readChunk(reopened, 2).equals(Buffer.alloc(100, 3)));
    assert.equal(again.bytes, bytes);
  });

  it('forgets a file once everyone it was for has it', (t) => {
    const dir = makeTempDir(t);
    const store = new FileStore(dir);
    const file = record('ZbCdEfGhIjKlMnOpQrStUg', 1, 50);
    store.create(file);
    store.append(file, Buffer.alloc(50));
    assert.equal(store.fetched(file, 'bob'), false);
    assert.equal(store.fetched(file, 'carol'), true);
    assert.deepEqual(readdirSync(dir), []);
  });
});
