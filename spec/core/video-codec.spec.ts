import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_VIDEO_DIMENSION, decodeVideoNews, decodeVideoRequest } from '../../src/core/video-codec.js';
import { roomName, roomView } from '../../src/core/room-codec.js';

describe('video-codec and room-codec', () => {
  it('reads what a viewer asks for, within bounds, and says undefined for what is not video', () => {
    assert.deepEqual(decodeVideoRequest({ type: 'play', name: 'a.mp4', width: 80, height: 48, encoding: 'png', room: '#movie' }), {
      type: 'play',
      name: 'a.mp4',
      width: 80,
      height: 48,
      encoding: 'png',
      room: '#movie',
    });
    assert.deepEqual(decodeVideoRequest({ type: 'seek-video', stream: 3, deltaMs: -5000 }), { type: 'seek-video', stream: 3, deltaMs: -5000 });
    assert.equal(decodeVideoRequest({ type: 'send' }), undefined);
    assert.throws(() => decodeVideoRequest({ type: 'play', name: 'a.mp4', width: MAX_VIDEO_DIMENSION + 1, height: 48 }));
    assert.throws(() => decodeVideoRequest({ type: 'play', name: 'a.mp4', width: 80, height: 48, encoding: 'gif' }));
    assert.throws(() => decodeVideoRequest({ type: 'play', name: 'a.mp4', width: 80, height: 48, room: 'movie' }), 'a room name without #');
    assert.throws(() => decodeVideoNews({ type: 'watch', room: '#movie', stream: 1, video: 'a', kind: 'exploded', positionMs: 0 }));
  });

  it("reads room names and a room's view, and refuses a bad one", () => {
    assert.equal(roomName({ room: '#dev' }), '#dev');
    assert.throws(() => roomName({ room: '#' }));
    assert.deepEqual(roomView({ name: '#dev', topic: 't', members: [{ name: 'alice', op: true }], inviteOnly: false }).members, [{ name: 'alice', op: true }]);
    assert.throws(() => roomView({ name: '#dev', topic: 't', members: 'everyone', inviteOnly: false }));
  });
});
