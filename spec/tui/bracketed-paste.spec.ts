import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { BracketedPasteFilter } from '../../src/tui/bracketed-paste.js';

function filterOver() {
  const terminal = new PassThrough();
  const pastes: string[] = [];
  const filter = new BracketedPasteFilter(terminal, (text) => pastes.push(text));
  const keys: string[] = [];
  filter.on('data', (chunk: Buffer | string) => keys.push(chunk.toString()));
  return { terminal, filter, pastes, keys };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bracketed paste', () => {
  it('hands a paste over whole and lets the keys around it through', async () => {
    const { terminal, pastes, keys } = filterOver();
    terminal.write('ab\u001b[200~one\rtwo\r\u001b[201~c');
    await tick();
    assert.deepEqual(pastes, ['one\rtwo\r']);
    assert.equal(keys.join(''), 'abc');
  });

  it('joins a paste split across reads, markers included', async () => {
    const { terminal, pastes, keys } = filterOver();
    for (const piece of ['\u001b[20', '0~fir', 'st\u001b[2', '01~', 'x']) {
      terminal.write(piece);
      await tick();
    }
    assert.deepEqual(pastes, ['first']);
    assert.equal(keys.join(''), 'x');
  });

  it('passes a lone Esc key through at once', async () => {
    const { terminal, keys } = filterOver();
    terminal.write('\u001b');
    await tick();
    assert.deepEqual(keys, ['\u001b']);
  });
});
