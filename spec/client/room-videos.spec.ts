import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoomVideos } from '../../src/client/room-videos.js';

describe('RoomVideos', () => {
  it("follows what each room watches from its watch events, whatever the room name's case", () => {
    const videos = new RoomVideos();
    const event = (kind: 'started' | 'paused' | 'stopped' | 'finished', video = 'a.mp4') =>
      ({ type: 'watch', room: '#Movie', stream: 1, video, kind, positionMs: 0 }) as const;
    videos.observe(event('started'));
    assert.equal(videos.of('#movie'), 'a.mp4');
    videos.observe(event('paused'));
    assert.equal(videos.of('#MOVIE'), 'a.mp4', 'paused is still watching');
    videos.observe(event('finished'));
    assert.equal(videos.of('#movie'), undefined);
  });
});
