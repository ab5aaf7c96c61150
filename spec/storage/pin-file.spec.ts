// PinFile: the one store behind known peers and known servers.
import assert from 'node:assert/strict';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { PinFile } from '../../src/storage/pin-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const parse = (_key: string, entry: Record<string, unknown>) => ({ fingerprint: String(entry['fingerprint']) });

describe('PinFile', () => {
  it('writes every pin as a private file, the last of quick changes winning, and reads them back', async (t) => {
    const path = join(makeTempDir(t), 'pins.json');
    const pins = new PinFile<{ fingerprint: string }>(path, 'servers');
    assert.deepEqual(await pins.read(parse), [], 'no file: no pins');
    const first = pins.save([['a', { fingerprint: '1' }]]);
    const second = pins.save([
      ['a', { fingerprint: '1' }],
      ['b', { fingerprint: '2' }],
    ]);
    await Promise.all([first, second]);
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.deepEqual(await new PinFile(path, 'servers').read(parse), [
      ['a', { fingerprint: '1' }],
      ['b', { fingerprint: '2' }],
    ]);
    assert.deepEqual(JSON.parse(readFileSync(path, 'utf8')).version, 1);
  });

  it('refuses a damaged file with a config error and leaves it as it was', async (t) => {
    const path = join(makeTempDir(t), 'pins.json');
    writeFileSync(path, '{"version": 1, "servers": [');
    await assert.rejects(new PinFile(path, 'servers').read(parse), { code: ErrorCode.CONFIG_FILE });
    assert.equal(readFileSync(path, 'utf8'), '{"version": 1, "servers": [');
  });

  it('keeps pins in memory only when it has no path', async (t) => {
    const dir = makeTempDir(t);
    await new PinFile(null, 'peers').save([['x', { fingerprint: '1' }]]);
    assert.equal(existsSync(join(dir, 'pins.json')), false);
  });
});
