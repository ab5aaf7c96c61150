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

  it('writes a thousand pins made in one turn once, and pins made during a write in one more', async (t) => {
    const path = join(makeTempDir(t), 'pins.json');
    const written: string[] = [];
    const pins = new PinFile<{ fingerprint: string }>(path, 'peers', async (_path, text) => {
      written.push(text);
      await new Promise((resolve) => setTimeout(resolve, 5));
    });
    const live = new Map<string, { fingerprint: string }>();
    const saves: Array<Promise<void>> = [];
    for (let i = 0; i < 1000; i++) {
      live.set(`p${i}`, { fingerprint: String(i) });
      saves.push(pins.save(live));
    }
    await saves[0];
    assert.equal(written.length, 1, 'one write for the turn');
    assert.equal(Object.keys(JSON.parse(written[0]!).peers).length, 1000, 'holding every pin of it');
    // While that write is on disk, two more pins: they wait, together, for the next one.
    const during = pins.save(live.set('late1', { fingerprint: 'x' }));
    const alsoDuring = pins.save(live.set('late2', { fingerprint: 'y' }));
    assert.equal(during, alsoDuring, 'the pins made during a write share the next one');
    await Promise.all([...saves, during]);
    assert.equal(written.length, 2);
    assert.equal(Object.keys(JSON.parse(written[1]!).peers).length, 1002);
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
