import assert from 'node:assert/strict';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { MediaEncoding } from '../../../src/core/media-frame.js';
import { FfplaySink, findFfplay } from '../../../src/client/video/ffplay-sink.js';
import { waitUntil } from '../../helpers/events.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('FfplaySink', () => {
  it('pipes the received JPEG frames to ffplay as one MJPEG stream and closes it at the end', async (t) => {
    const dir = makeTempDir(t);
    const received = join(dir, 'received.mjpeg');
    const args = join(dir, 'args.txt');
    // A stand-in ffplay that records its arguments and everything it is fed.
    const fake = join(dir, 'ffplay');
    writeFileSync(fake, `#!/bin/sh\necho "$@" > '${args}'\ncat > '${received}'\n`);
    chmodSync(fake, 0o755);
    let exitCode: number | null | undefined;
    const sink = new FfplaySink(findFfplay(fake), 'tui-chat: clip', 25, (code) => (exitCode = code));
    const jpeg = Buffer.from([0xff, 0xd8, 1, 2, 3, 0xff, 0xd9]);
    for (let seq = 0; seq < 3; seq++) sink.onFrame({ stream: 1, seq, ptsMs: seq * 40, width: 2, height: 2, encoding: MediaEncoding.JPEG, payload: jpeg });
    sink.end();
    await waitUntil(() => exitCode !== undefined, 'ffplay to exit');
    assert.equal(exitCode, 0);
    assert.deepEqual(readFileSync(received), Buffer.concat([jpeg, jpeg, jpeg]));
    assert.match(readFileSync(args, 'utf8'), /-f mjpeg -framerate 25 -i pipe:0/);
  });

  it('explains how to get ffplay when it is missing', () => {
    assert.throws(
      () => findFfplay(undefined, { PATH: '/nonexistent' }),
      (error: Error & { code?: string }) => error.code === ErrorCode.FFMPEG_NOT_FOUND && /apt-get install ffmpeg/.test(error.message),
    );
    assert.throws(() => findFfplay('/nonexistent/ffplay'), /--ffplay names/);
  });
});
