import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import { PosterQueue } from '../../../src/server/video/poster-queue.js';

/** A grab that finishes when the test says so, counting how many run at once. */
function controlledGrabs() {
  const pending: Array<() => void> = [];
  let running = 0;
  let most = 0;
  const grab = (): Promise<Buffer> =>
    new Promise((resolve) => {
      running++;
      most = Math.max(most, running);
      pending.push(() => {
        running--;
        resolve(Buffer.from('jpeg'));
      });
    });
  return {
    grab,
    finishOne: () => pending.shift()?.(),
    get most() {
      return most;
    },
    get waiting() {
      return pending.length;
    },
  };
}

const flush = () => new Promise((resolve) => setImmediate(resolve));

describe('PosterQueue', () => {
  it('runs at most maxRunning at once, and only while the shared ffmpeg budget has a place', async () => {
    let placesLeft = 1;
    const queue: PosterQueue = new PosterQueue({
      maxRunning: 2,
      maxWaiting: 10,
      cacheEntries: 4,
      hasFfmpegPlace: (): boolean => placesLeft > queue.runningCount,
    });
    const grabs = controlledGrabs();
    const posters = ['a', 'b', 'c'].map((key) => queue.get(key, grabs.grab));
    await flush();
    assert.equal(grabs.waiting, 1, 'one place in the budget: one poster made');
    placesLeft = 5;
    grabs.finishOne();
    await flush();
    assert.equal(grabs.waiting, 2, 'more places: up to maxRunning at once');
    grabs.finishOne();
    grabs.finishOne();
    await Promise.all(posters);
    assert.equal(grabs.most, 2);
  });

  it('refuses with VIDEO_BUSY once the waiting line is full', async () => {
    const queue = new PosterQueue({ maxRunning: 1, maxWaiting: 1, cacheEntries: 4, hasFfmpegPlace: () => true });
    const grabs = controlledGrabs();
    const first = queue.get('a', grabs.grab);
    const second = queue.get('b', grabs.grab);
    await assert.rejects(queue.get('c', grabs.grab), { code: ErrorCode.VIDEO_BUSY });
    grabs.finishOne();
    await flush();
    grabs.finishOne();
    await Promise.all([first, second]);
  });

  it('makes a poster once for requests that arrive while it is being made, then serves it from the cache', async () => {
    const queue = new PosterQueue({ maxRunning: 1, maxWaiting: 4, cacheEntries: 1, hasFfmpegPlace: () => true });
    const grabs = controlledGrabs();
    const both = [queue.get('a', grabs.grab), queue.get('a', grabs.grab)];
    await flush();
    grabs.finishOne();
    await Promise.all(both);
    await queue.get('a', grabs.grab);
    assert.equal(queue.madeCount, 1);
    const other = queue.get('b', grabs.grab);
    await flush();
    grabs.finishOne();
    await other;
    const again = queue.get('a', grabs.grab);
    await flush();
    grabs.finishOne();
    await again;
    assert.equal(queue.madeCount, 3, 'a cache of one entry forgot "a" for "b"');
  });
});
