import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { toJsonLine } from '../../src/client/json-line-mode.js';

describe('toJsonLine', () => {
  it('escapes DEL, C1 bytes and Unicode line separators, so no raw control byte reaches stdout', () => {
    const line = toJsonLine({ type: 'error', message: 'a\u009b31mb\u009dc\u007fd\u2028e\u0007' });
    assert.doesNotMatch(line.slice(0, -1), /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/);
    assert.equal(JSON.parse(line).message, 'a\u009b31mb\u009dc\u007fd\u2028e\u0007', 'still the same JSON value');
    assert.ok(line.endsWith('}\n'));
  });
});
