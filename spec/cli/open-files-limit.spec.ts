import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { OPEN_FILES_HEADROOM, openFilesLimit, openFilesWarning } from '../../src/cli/open-files-limit.js';

const limits = (soft: string) =>
  [
    'Limit                     Soft Limit           Hard Limit           Units     ',
    'Max processes             95698                95698                processes ',
    `Max open files            ${soft.padEnd(20)} 1048576              files     `,
  ].join('\n');

describe('open files against --max-clients', () => {
  it('reads the soft limit from /proc/self/limits text, and nothing from text without one', () => {
    assert.equal(openFilesLimit(limits('1024')), 1024);
    assert.equal(openFilesLimit(limits('unlimited')), undefined);
    assert.equal(openFilesLimit('not linux'), undefined);
    assert.equal(typeof openFilesLimit(), process.platform === 'linux' ? 'number' : 'undefined', 'this machine');
  });

  it('warns, with the ulimit to set, only when the connections and the headroom do not fit', () => {
    assert.equal(openFilesWarning(10_000, 10_000 + OPEN_FILES_HEADROOM), undefined);
    assert.equal(openFilesWarning(10_000, undefined), undefined);
    assert.match(openFilesWarning(10_000, 1024) ?? '', /may open 1024 files, fewer than --max-clients 10000 .*ulimit -n 10256/);
  });
});
