import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeAttachment, formatBytes, readAttachment } from '../../../src/client/files/attachment.js';

const good = { id: 'A'.repeat(22), name: 'report.pdf', size: 1234, sha256: 'a'.repeat(64), key: `${'B'.repeat(43)}=` };

describe('attachment', () => {
  it("reads a peer's file description, and refuses anything malformed", () => {
    assert.deepEqual(readAttachment(good), good);
    assert.deepEqual(readAttachment({ ...good, picture: true }), { ...good, picture: true });
    for (const bad of [
      { ...good, id: 'short' },
      { ...good, name: '' },
      { ...good, name: 'x'.repeat(256) },
      { ...good, size: -1 },
      { ...good, size: 2 ** 41 },
      { ...good, size: 1.5 },
      { ...good, sha256: 'not hex' },
      { ...good, key: 'short' },
      { ...good, picture: 'yes' },
      null,
      'a string',
    ]) {
      assert.equal(readAttachment(bad), undefined, JSON.stringify(bad));
    }
  });

  it('says a size the way a person reads it', () => {
    assert.equal(formatBytes(900), '900 B');
    assert.equal(formatBytes(1536), '1.5 KiB');
    assert.equal(formatBytes(300 * 1024 * 1024), '300 MiB');
    assert.equal(describeAttachment({ name: 'a.txt', size: 2048 }), 'a.txt (2.0 KiB)');
  });
});
