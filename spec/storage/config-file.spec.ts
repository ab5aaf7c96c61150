import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { objectEntries, readJsonObject } from '../../src/storage/config-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('config files', () => {
  it('read as undefined when missing, and as the object when sound', async (t) => {
    const dir = makeTempDir(t);
    assert.equal(await readJsonObject(join(dir, 'none.json')), undefined);
    writeFileSync(join(dir, 'ok.json'), '{"servers":{"a:1":{"fingerprint":"ab"}}}');
    const file = (await readJsonObject(join(dir, 'ok.json')))!;
    assert.deepEqual(objectEntries('ok.json', file, 'servers'), [['a:1', { fingerprint: 'ab' }]]);
  });

  for (const [what, text] of [
    ['bad JSON', '{'],
    ['a list', '[]'],
    ['a string', '"x"'],
  ] as const) {
    it(`refuse ${what}, naming the file`, async (t) => {
      const path = join(makeTempDir(t), 'bad.json');
      writeFileSync(path, text);
      await assert.rejects(readJsonObject(path), (error: Error & { code?: string }) => error.code === ErrorCode.CONFIG_FILE && error.message.startsWith(path));
    });
  }

  it('refuse an entry that is not an object, naming it', () => {
    assert.throws(() => objectEntries('f.json', { peers: { bob: 3 } }, 'peers'), { code: ErrorCode.CONFIG_FILE, message: /"bob"/ });
    assert.throws(() => objectEntries('f.json', { peers: [] }, 'peers'), { code: ErrorCode.CONFIG_FILE });
  });
});
