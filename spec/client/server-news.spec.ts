import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { relayNews } from '../../src/client/server-news.js';
import type { FileNews } from '../../src/core/messages.js';

describe('relayNews', () => {
  it("passes the server's news on with control characters gone, and a transfer's answers to the transfers", () => {
    const told: Array<[string, unknown]> = [];
    const news: FileNews[] = [];
    const emit = (event: string, payload: unknown) => told.push([event, payload]);
    relayNews({ type: 'cluster', state: 'degraded', message: 'gone\u001b[2J' }, emit, { onNews: (n) => news.push(n) });
    relayNews({ type: 'videos', videos: [{ name: 'a\u0007.mp4', durationMs: 1, width: 2, height: 2, fps: 30, bytes: 9 }] }, emit, {
      onNews: (n) => news.push(n),
    });
    relayNews({ type: 'file-stored', file: 'AbCdEfGhIjKlMnOpQrStUg' }, emit, { onNews: (n) => news.push(n) });
    assert.deepEqual(told, [
      ['cluster', { state: 'degraded', message: 'gone' }],
      ['videos', [{ name: 'a.mp4', durationMs: 1, width: 2, height: 2, fps: 30, bytes: 9 }]],
    ]);
    assert.deepEqual(news, [{ type: 'file-stored', file: 'AbCdEfGhIjKlMnOpQrStUg' }]);
  });
});
