import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type VideoEvents, type VideoRequest, VideoRemote, evenPixels } from '../../src/client/video-remote.js';
import { ErrorCode } from '../../src/core/errors.js';
import { TypedEmitter } from '../../src/core/typed-emitter.js';

class FakeSession extends TypedEmitter<VideoEvents> {
  fire<K extends keyof VideoEvents & string>(event: K, payload: VideoEvents[K]): void {
    this.emit(event, payload);
  }
}

function remote() {
  const sent: VideoRequest[] = [];
  const session = new FakeSession();
  return { sent, session, video: new VideoRemote((request) => sent.push(request), session) };
}

const start = (stream: number, width = 80) => ({ type: 'stream-start', stream, name: 'bars.mp4', width, height: 46, fps: 25, durationMs: 5000 }) as const;

describe('VideoRemote', () => {
  it("keeps the current stream's state from the server's events, and counts its frames", () => {
    const { video, session } = remote();
    video.play('bars.mp4', 81, 47);
    session.fire('stream-start', start(7));
    session.fire('stream-status', { type: 'stream-status', stream: 7, positionMs: 1200, paused: true, sent: 30, dropped: 2 });
    session.fire('video-frame', { stream: 7, seq: 0, ptsMs: 0, width: 80, height: 46, encoding: 1, data: Buffer.alloc(0) } as never);
    session.fire('video-frame', { stream: 3, seq: 0, ptsMs: 0, width: 80, height: 46, encoding: 1, data: Buffer.alloc(0) } as never);
    assert.deepEqual(
      { ...video.current, start: undefined },
      { name: 'bars.mp4', start: undefined, positionMs: 1200, paused: true, serverDropped: 2, received: 1 },
    );
  });

  it('addresses its controls to the current stream, with even pixel sizes', () => {
    const { video, session, sent } = remote();
    video.play('bars.mp4', 81, 47);
    session.fire('stream-start', start(7));
    video.togglePause();
    video.seek(-5000);
    video.resize(101, 61);
    video.stop();
    assert.deepEqual(sent, [
      { type: 'play', name: 'bars.mp4', width: 80, height: 46 },
      { type: 'pause-video', stream: 7, paused: true },
      { type: 'seek-video', stream: 7, deltaMs: -5000 },
      { type: 'resize-video', stream: 7, width: 100, height: 60 },
      { type: 'stop-video', stream: 7 },
    ]);
  });

  it('keeps the state of a stream restarted at a new size (a resize), and forgets it once it ended', async () => {
    const { video, session } = remote();
    video.play('bars.mp4', 80, 46);
    session.fire('stream-start', start(7));
    session.fire('stream-status', { type: 'stream-status', stream: 7, positionMs: 900, paused: true, sent: 20, dropped: 0 });
    session.fire('stream-start', start(7, 120));
    assert.equal(video.current?.paused, true);
    assert.equal(video.current?.start?.width, 120);
    let seenAtEnd: number | undefined;
    session.on('stream-end', () => (seenAtEnd = video.current?.positionMs));
    session.fire('stream-end', { type: 'stream-end', stream: 7, reason: 'finished', message: '', sent: 20, dropped: 0 });
    assert.equal(seenAtEnd, 900, 'listeners of the end still read the final state');
    await Promise.resolve();
    assert.equal(video.current, undefined);
  });

  it('refuses controls when nothing plays', () => {
    const { video } = remote();
    assert.throws(() => video.stop(), { code: ErrorCode.NO_SUCH_STREAM });
    assert.equal(evenPixels(1), 2);
    assert.equal(evenPixels(5000), 2048);
  });
});
