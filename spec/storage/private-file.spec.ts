import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, symlinkSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { assertPrivateFileMode, tightenPrivateDir, writeFileAtomically, writePrivateFile, writePrivateFileSync } from '../../src/storage/private-file.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('private files', () => {
  it('are written 0600 inside a new 0700 folder, replacing the old content whole', async (t) => {
    const path = join(makeTempDir(t), 'new', 'key.pem');
    await writePrivateFile(path, 'one');
    await writePrivateFile(path, 'two');
    assert.equal(readFileSync(path, 'utf8'), 'two');
    assert.equal(statSync(path).mode & 0o777, 0o600);
    assert.equal(statSync(join(path, '..')).mode & 0o777, 0o700);
  });

  it('never write through a temporary file someone planted as a link, nor stop at a leftover one', async (t) => {
    const dir = makeTempDir(t);
    const path = join(dir, 'key.pem');
    writeFileSync(join(dir, 'elsewhere'), 'x');
    symlinkSync(join(dir, 'elsewhere'), `${path}.${process.pid}.tmp`);
    await writePrivateFile(path, 'secret');
    assert.equal(readFileSync(join(dir, 'elsewhere'), 'utf8'), 'x', 'the link was removed, not followed');
    assert.equal(readFileSync(path, 'utf8'), 'secret');
    // A crash's leftover under this pid (in a container, the pid of every start) is replaced too.
    writeFileSync(`${path}.${process.pid}.tmp`, 'half a key');
    writePrivateFileSync(path, Buffer.from('again'));
    assert.equal(readFileSync(path, 'utf8'), 'again');
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  it('are written whole or not at all: a failed fill or last check leaves the old file and no temporary behind', (t) => {
    const dir = makeTempDir(t);
    const path = join(dir, 'saved.bin');
    writeFileSync(path, 'old');
    assert.throws(() =>
      writeFileAtomically(path, (fd) => {
        writeSync(fd, 'half');
        throw new Error('the disk filled');
      }),
    );
    assert.throws(
      () =>
        writeFileAtomically(
          path,
          (fd) => writeSync(fd, 'new'),
          () => {
            throw new Error('something appeared there meanwhile');
          },
        ),
      /appeared/,
    );
    assert.equal(readFileSync(path, 'utf8'), 'old');
    assert.deepEqual(readdirSync(dir), ['saved.bin'], 'no temporary left');
    writeFileAtomically(path, (fd) => writeSync(fd, 'new'));
    assert.equal(readFileSync(path, 'utf8'), 'new');
    assert.equal(existsSync(`${path}.${process.pid}.tmp`), false);
  });

  it('are refused when group or others can read them, with the chmod to run', async (t) => {
    const path = join(makeTempDir(t), 'key.pem');
    writeFileSync(path, 'k', { mode: 0o644 });
    chmodSync(path, 0o644);
    await assert.rejects(assertPrivateFileMode(path), { code: ErrorCode.KEY_FILE, message: /chmod 600/ });
  });

  it('tighten a folder made with wider permissions, and leave a missing or private one alone', async (t) => {
    const dir = join(makeTempDir(t), 'cfg');
    assert.equal(await tightenPrivateDir(dir), undefined);
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    assert.equal(await tightenPrivateDir(dir), 0o755);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.equal(await tightenPrivateDir(dir), undefined);
  });
});
