import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { cleanFileName, downloadsDir, savePath } from '../../../src/client/files/save-path.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('save-path', () => {
  it("cleans a peer's name of separators, control characters, escape sequences and a leading dot", () => {
    assert.equal(cleanFileName('../../.bashrc'), '_.._.bashrc');
    assert.equal(cleanFileName('/etc/passwd'), '_etc_passwd');
    assert.equal(cleanFileName('..\\..\\win.ini'), '_.._win.ini');
    assert.equal(cleanFileName('\u001b[31mred\u001b[0m.txt'), 'red.txt');
    assert.equal(cleanFileName('bell\u0007\u009b.txt'), 'bell.txt');
    assert.equal(cleanFileName('...'), 'file');
    assert.equal(cleanFileName(''), 'file');
    const long = cleanFileName(`${'a'.repeat(300)}.tar.gz`);
    assert.ok(long.length <= 120 && long.endsWith('.gz'));
  });

  it('puts a file in the downloads folder (or the folder given), never outside it, never over what is there', (t) => {
    const dir = makeTempDir(t);
    const env = { XDG_DOWNLOAD_DIR: join(dir, 'downloads'), HOME: dir };
    assert.equal(downloadsDir(env), join(dir, 'downloads'));
    assert.equal(savePath('../../.bashrc', undefined, false, env), join(dir, 'downloads', '_.._.bashrc'));
    mkdirSync(join(dir, 'into'));
    assert.equal(savePath('report.pdf', join(dir, 'into'), false, env), join(dir, 'into', 'report.pdf'));
    assert.equal(savePath('ignored.pdf', join(dir, 'mine.pdf'), false, env), join(dir, 'mine.pdf'), "the user's own name is theirs");
    writeFileSync(join(dir, 'into', 'report.pdf'), 'there');
    assert.throws(
      () => savePath('report.pdf', join(dir, 'into'), false, env),
      (e: { code: string; message: string }) => e.code === ErrorCode.FILE_SAVE && /exists/.test(e.message),
    );
    assert.equal(savePath('report.pdf', join(dir, 'into'), true, env), join(dir, 'into', 'report.pdf'), ':save! may overwrite a plain file');
  });

  it('refuses a device, a folder or a link where the file would go, even with overwrite', (t) => {
    const dir = makeTempDir(t);
    assert.throws(
      () => savePath('x', '/dev/null', true),
      (e: { code: string }) => e.code === ErrorCode.FILE_SAVE,
    );
    symlinkSync('/etc/hostname', join(dir, 'link'));
    assert.throws(
      () => savePath('x', join(dir, 'link'), true),
      (e: { code: string }) => e.code === ErrorCode.FILE_SAVE,
    );
    mkdirSync(join(dir, 'folder', 'named'), { recursive: true });
    assert.throws(
      () => savePath('named', join(dir, 'folder'), true),
      (e: { code: string }) => e.code === ErrorCode.FILE_SAVE,
    );
  });
});
