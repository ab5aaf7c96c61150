import assert from 'node:assert/strict';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KnownPeers } from '../../src/client/known-peers.js';
import { ErrorCode } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('KnownPeers', () => {
  for (const [what, text] of [
    ['bad JSON', '{"peers": {'],
    ['a null entry', '{"peers": {"bob": null}}'],
    ['an entry with no fingerprint', '{"peers": {"bob": {"name": "bob"}}}'],
    ['null', 'null'],
  ] as const) {
    it(`refuses a file with ${what}, naming it, and leaves it as it was`, async (t) => {
      const path = join(makeTempDir(t), 'known_peers.json');
      writeFileSync(path, text);
      await assert.rejects(KnownPeers.load(path), (error: Error & { code?: string }) => error.code === ErrorCode.CONFIG_FILE && error.message.includes(path));
      assert.equal(readFileSync(path, 'utf8'), text);
    });
  }

  it('pins a fingerprint on first use and recognises it afterwards, regardless of case', () => {
    const known = KnownPeers.inMemory();
    assert.equal(known.observe('alice', 'aa'), 'new');
    assert.equal(known.observe('Alice', 'aa'), 'known');
  });

  it('reports a changed key without replacing the pinned one', () => {
    const known = KnownPeers.inMemory();
    known.observe('alice', 'aa');
    assert.equal(known.observe('alice', 'bb'), 'changed');
    assert.equal(known.observe('alice', 'bb'), 'changed', 'still changed: it was not silently accepted');
    assert.equal(known.get('alice')?.fingerprint, 'aa');
  });

  it('replaces the pin only when the user trusts the new key', () => {
    const known = KnownPeers.inMemory();
    known.observe('alice', 'aa');
    known.trust('alice', 'bb');
    assert.equal(known.observe('alice', 'bb'), 'known');
  });

  it('persists pins to a 0600 file that a later run reads back', async (t) => {
    const path = join(makeTempDir(t), 'config', 'known_peers.json');
    const first = await KnownPeers.load(path);
    first.observe('alice', 'aa');
    await first.flush();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const second = await KnownPeers.load(path);
    assert.equal(second.observe('alice', 'bb'), 'changed');
  });
});
