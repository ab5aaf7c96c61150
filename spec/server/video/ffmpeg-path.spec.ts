import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { resolveFfmpeg } from '../../../src/server/video/ffmpeg-path.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

function fakeBinary(dir: string, name: string): string {
  const path = join(dir, name);
  writeFileSync(path, '#!/bin/sh\necho fake\n');
  chmodSync(path, 0o755);
  return path;
}

const nothingInstalled = (): never => {
  throw new Error('Cannot find module');
};

describe('resolveFfmpeg', () => {
  it('finds a working ffmpeg after a plain npm install, with no apt package', () => {
    const found = resolveFfmpeg({ env: { PATH: '' } });
    assert.ok(['ffmpeg-static', '@ffmpeg-installer/ffmpeg'].includes(found.source), found.source);
    assert.match(execFileSync(found.path, ['-version'], { encoding: 'utf8' }), /^ffmpeg version/);
  });

  it('prefers --ffmpeg, then $TUI_CHAT_FFMPEG, over any package', (t) => {
    const dir = makeTempDir(t);
    const flag = fakeBinary(dir, 'flag-ffmpeg');
    const env = fakeBinary(dir, 'env-ffmpeg');
    assert.deepEqual(resolveFfmpeg({ explicitPath: flag, env: { TUI_CHAT_FFMPEG: env } }), { path: flag, source: 'flag' });
    assert.deepEqual(resolveFfmpeg({ env: { TUI_CHAT_FFMPEG: env } }), { path: env, source: 'env' });
  });

  it('refuses a named path that is not an executable file instead of silently using another', (t) => {
    const dir = makeTempDir(t);
    assert.throws(() => resolveFfmpeg({ explicitPath: join(dir, 'missing') }), { code: ErrorCode.FFMPEG_NOT_FOUND });
    assert.throws(() => resolveFfmpeg({ env: { TUI_CHAT_FFMPEG: dir } }), /TUI_CHAT_FFMPEG/);
  });

  it('uses ffmpeg-static first when its download worked, then the bundled installer package, then PATH', (t) => {
    const dir = makeTempDir(t);
    const staticBin = fakeBinary(dir, 'static');
    const installerBin = fakeBinary(dir, 'installer');
    const pathBin = fakeBinary(dir, 'ffmpeg');
    const packages = (installed: Record<string, unknown>) => (name: string) => {
      if (!(name in installed)) nothingInstalled();
      return installed[name];
    };
    const env = { PATH: dir };
    assert.equal(
      resolveFfmpeg({ env, loadPackage: packages({ 'ffmpeg-static': staticBin, '@ffmpeg-installer/ffmpeg': { path: installerBin } }) }).source,
      'ffmpeg-static',
    );
    // ffmpeg-static installed but its binary never downloaded (offline install): skip it.
    assert.equal(
      resolveFfmpeg({ env, loadPackage: packages({ 'ffmpeg-static': join(dir, 'never-downloaded'), '@ffmpeg-installer/ffmpeg': { path: installerBin } }) })
        .source,
      '@ffmpeg-installer/ffmpeg',
    );
    assert.deepEqual(resolveFfmpeg({ env, loadPackage: nothingInstalled }), { path: pathBin, source: 'PATH' });
  });

  it('says how to get ffmpeg when there is none at all', () => {
    assert.throws(
      () => resolveFfmpeg({ env: { PATH: '' }, loadPackage: nothingInstalled }),
      (error: Error & { code?: string }) => error.code === ErrorCode.FFMPEG_NOT_FOUND && /--ffmpeg/.test(error.message),
    );
  });
});
