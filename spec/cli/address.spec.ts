import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHostPort } from '../../src/cli/address.js';
import { ErrorCode } from '../../src/core/errors.js';

describe('parseHostPort', () => {
  const GOOD: ReadonlyArray<[string, string, number]> = [
    ['chat.example.org:7000', 'chat.example.org', 7000],
    ['chat.example.org', 'chat.example.org', 7373],
    ['[::1]:7000', '::1', 7000],
    ['[::1]', '::1', 7373],
    ['127.0.0.1:1', '127.0.0.1', 1],
  ];
  for (const [text, host, port] of GOOD) it(`reads ${text}`, () => assert.deepEqual(parseHostPort(text, 7373), { host, port }));

  for (const bad of ['', 'host:', 'host:0', 'host:70000', '::1:7000', 'a b:1']) {
    it(`refuses "${bad}"`, () => assert.throws(() => parseHostPort(bad, 7373), { code: ErrorCode.USAGE }));
  }
});
