import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { resolveFfmpeg } from '../../../src/server/video/ffmpeg-path.js';
import { VideoLibrary } from '../../../src/server/video/video-library.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

function library(t: TestContext): { library: VideoLibrary; dir: string; outside: string } {
  const root = makeTempDir(t);
  const dir = join(root, 'videos');
  mkdirSync(dir);
  copyFileSync('videos/bars-640x360-25fps.mp4', join(dir, 'bars.mp4'));
  writeFileSync(join(dir, 'notes.mp4'), 'this is text, not a video');
  const outside = join(root, 'secret.mp4');
  copyFileSync('videos/bars-640x360-25fps.mp4', outside);
  symlinkSync(outside, join(dir, 'escape.mp4'));
  symlinkSync(resolve('videos/bars-640x360-25fps.mp4'), join(dir, 'elsewhere.mp4'));
  return { library: new VideoLibrary(dir, resolveFfmpeg().path), dir, outside };
}

describe('VideoLibrary', () => {
  it('lists the playable videos with their facts, leaving out non-videos and links out of the folder', async (t) => {
    const videos = await library(t).library.list();
    assert.deepEqual(
      videos.map((v) => v.name),
      ['bars.mp4'],
    );
    assert.deepEqual(videos[0], { name: 'bars.mp4', bytes: videos[0]!.bytes, durationMs: 3000, width: 640, height: 360, fps: 25 });
  });

  const REFUSED: ReadonlyArray<[string, (outside: string) => string, ErrorCode]> = [
    ['a parent-directory path', () => '../secret.mp4', ErrorCode.VIDEO_PATH],
    ['an absolute path', (outside) => outside, ErrorCode.VIDEO_PATH],
    ['a name with a separator', () => 'sub/bars.mp4', ErrorCode.VIDEO_PATH],
    ['"..", alone', () => '..', ErrorCode.VIDEO_PATH],
    ['a symlink that leads out of the folder', () => 'escape.mp4', ErrorCode.VIDEO_PATH],
    ['a symlink to a video in another folder', () => 'elsewhere.mp4', ErrorCode.VIDEO_PATH],
    ['a missing file', () => 'nope.mp4', ErrorCode.VIDEO_NOT_FOUND],
    ['a file that is not a video', () => 'notes.mp4', ErrorCode.NOT_A_VIDEO],
  ];
  for (const [what, name, code] of REFUSED) {
    it(`refuses ${what} with ${code}`, async (t) => {
      const { library: lib, outside } = library(t);
      await assert.rejects(lib.resolve(name(outside)), { code });
    });
  }

  it('plays a unique start of a name, and lists the choices when several match', async (t) => {
    const { library: videos, dir } = library(t);
    assert.equal((await videos.resolve('ba')).info.name, 'bars.mp4');
    copyFileSync(join(dir, 'bars.mp4'), join(dir, 'bars-2.mp4'));
    await assert.rejects(videos.resolve('bar'), { code: ErrorCode.VIDEO_NOT_FOUND, message: /several videos start with "bar": bars-2\.mp4, bars\.mp4/ });
    await assert.rejects(videos.resolve('zz'), { code: ErrorCode.VIDEO_NOT_FOUND, message: /no video called "zz"/ });
  });
});
