import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLineLogger } from '../../src/core/logger.js';

describe('createLineLogger', () => {
  it('writes one line per event at or above its level', () => {
    const lines: string[] = [];
    const logger = createLineLogger((line) => lines.push(line), 'info');
    logger.log('debug', 'hidden');
    logger.log('warn', 'client.joined', { name: 'alice', online: 2 });
    assert.equal(lines.length, 1);
    assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT[\d:.]+Z warn client\.joined name=alice online=2\n$/);
  });

  it('quotes a value that could forge fields or lines', () => {
    const lines: string[] = [];
    createLineLogger((line) => lines.push(line)).log('info', 'event', { name: 'x admin=true\nfake line' });
    assert.equal(lines[0]!.split('\n').length, 2, 'one line');
    assert.match(lines[0]!, /name="x admin=true\\nfake line"/);
  });
});
