import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { encodeFrame } from '../../../src/core/frame-encoder.js';
import { FrameType } from '../../../src/core/frame-types.js';
import { MediaEncoding, encodeVideoFrame } from '../../../src/core/media-frame.js';
import {
  decodeViewerMessage,
  decodeWatchAnnouncement,
  decodeWatchFrames,
  decodeWatchRequest,
  encodeViewerMessage,
  encodeWatchFrames,
  encodeWatchJson,
} from '../../../src/server/cluster/watch-wire.js';

const media = encodeFrame(
  FrameType.MEDIA,
  encodeVideoFrame({ stream: 3, seq: 7, ptsMs: 233, width: 16, height: 8, encoding: MediaEncoding.PNG, payload: Buffer.from('png') }),
);

describe('watch-wire', () => {
  it('carries announcements, requests, viewer messages and frames across unchanged', () => {
    const event = { type: 'watch', room: '#movie', stream: 3, video: 'a.mp4', kind: 'paused', by: 'alice', positionMs: 800 } as const;
    const announcement = { node: 'n1', room: '#movie', stream: 3, video: 'a.mp4', startedBy: 'alice', event, running: true };
    assert.deepEqual(decodeWatchAnnouncement(encodeWatchJson(announcement)), announcement);
    const request = { kind: 'join', node: 'n2', viewer: 1, room: '#movie', stream: 3, width: 80, height: 60, by: 'bob' } as const;
    assert.deepEqual(decodeWatchRequest(encodeWatchJson(request)), request);
    const seek = { kind: 'seek', node: 'n2', room: '#movie', stream: 3, deltaMs: -5000, by: 'bob' } as const;
    assert.deepEqual(decodeWatchRequest(encodeWatchJson(seek)), seek);
    const start = {
      type: 'stream-start',
      stream: 3,
      name: 'a.mp4',
      width: 16,
      height: 8,
      fps: 30,
      durationMs: 1000,
      room: '#movie',
      startedBy: 'alice',
    } as const;
    assert.deepEqual(decodeViewerMessage(encodeViewerMessage({ viewer: 9, message: start })), { viewer: 9, message: start });
    assert.deepEqual(decodeViewerMessage(encodeViewerMessage({ viewer: 9, media })), { viewer: 9, media });
    const frames = { node: 'n1', stream: 3, sizes: [{ width: 16, height: 8 }], frames: [media] };
    assert.deepEqual(decodeWatchFrames(encodeWatchFrames(frames)), frames);
  });

  it('refuses what would reach clients broken or as something else', () => {
    // A frame that is not one whole MEDIA frame would desynchronize every viewer's reader.
    const truncated = media.subarray(0, media.length - 1);
    assert.throws(() => decodeWatchFrames(encodeWatchFrames({ node: 'n1', stream: 3, sizes: [{ width: 16, height: 8 }], frames: [truncated] })));
    const control = encodeFrame(FrameType.CONTROL, Buffer.from('{"type":"welcome"}'));
    assert.throws(() => decodeViewerMessage(encodeViewerMessage({ viewer: 1, media: control })));
    // Only a stream's own messages may be handed to a viewer.
    const notice = Buffer.concat([Buffer.from([0, 0, 0, 1, 0]), Buffer.from(JSON.stringify({ type: 'error', code: 'X', message: 'y' }))]);
    assert.throws(() => decodeViewerMessage(notice));
    assert.throws(() => decodeWatchFrames(Buffer.from([0, 0, 0, 200, 1, 2])), 'a header longer than the message');
    assert.throws(
      () => decodeWatchFrames(encodeWatchFrames({ node: 'n1', stream: 3, sizes: [{ width: 16, height: 8 }], frames: [media, media] })),
      'a frame per size',
    );
    assert.throws(() =>
      decodeWatchRequest(encodeWatchJson({ kind: 'join', node: 'n2.>', viewer: 1, room: '#movie', stream: 3, width: 1, height: 1, by: 'bob' })),
    );
    assert.throws(() =>
      decodeWatchAnnouncement(Buffer.from(JSON.stringify({ node: 'n1', room: 'movie', stream: 1, video: 'v', startedBy: 'a', running: true }))),
    );
    // An event about another stream than the announcement's is not told to anyone.
    const other = { type: 'watch', room: '#movie', stream: 4, video: 'a.mp4', kind: 'paused', positionMs: 0 };
    assert.throws(() =>
      decodeWatchAnnouncement(
        Buffer.from(JSON.stringify({ node: 'n1', room: '#movie', stream: 3, video: 'a.mp4', startedBy: 'alice', event: other, running: true })),
      ),
    );
  });
});
