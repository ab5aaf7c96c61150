import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import blessed from 'blessed';
import { blessedTerminalName, createScreen, forgetDrawnCells, screenColors, screenStreamOptions, screenText } from '../../src/tui/blessed-internals.js';
import { waitUntil } from '../helpers/events.js';
import { FakeTerminal } from '../helpers/fake-terminal.js';

describe('blessed internals', () => {
  it('read back what blessed drew, and make it redraw cells it thinks it drew', (t) => {
    const terminal = new FakeTerminal(20, 4);
    const screen = blessed.screen({ ...screenStreamOptions(terminal), warnings: false });
    t.after(() => screen.destroy());
    blessed.box({ parent: screen, top: 0, left: 0, width: 10, height: 1, content: 'hello' });
    screen.render();
    assert.equal(screenText(screen).split('\n')[0], 'hello');
    forgetDrawnCells(screen, { xi: 0, xl: 5, yi: 0, yl: 1 });
    const olines = (screen as unknown as { olines: Array<Array<[number, string]>> }).olines;
    assert.equal(olines[0]![0]![0], -1, 'the next render rewrites the cell');
  });

  it('reads tmux and screen as the 256-color terminals they are', (t) => {
    assert.equal(blessedTerminalName('tmux-256color', undefined), 'xterm-256color');
    assert.equal(blessedTerminalName('screen-256color', undefined), 'xterm-256color');
    assert.equal(blessedTerminalName('screen', 'truecolor'), 'xterm-256color');
    assert.equal(blessedTerminalName('screen', undefined), 'screen');
    assert.equal(blessedTerminalName('xterm-256color', undefined), 'xterm-256color');
    const terminal = new FakeTerminal(20, 4);
    const screen = blessed.screen({ ...screenStreamOptions({ ...terminal, term: blessedTerminalName('tmux-256color', undefined) }), warnings: false });
    t.after(() => screen.destroy());
    assert.equal((screen as unknown as { tput: { colors: number } }).tput.colors, 256);
  });

  it('draws a #rrggbb tag color as its 256-color neighbour on a 256-color terminal', async (t) => {
    const terminal = new FakeTerminal(30, 2);
    let written = '';
    terminal.output._write = (chunk: Buffer, _encoding: BufferEncoding, callback: () => void) => {
      written += chunk.toString();
      callback();
    };
    const screen = createScreen('spec', { ...terminal, term: 'xterm-256color' });
    t.after(() => screen.destroy());
    blessed.box({ parent: screen, top: 0, left: 0, width: 20, height: 1, tags: true, content: '{#ff8700-fg}orange{/#ff8700-fg}' });
    screen.render();
    await waitUntil(() => written.includes('orange'), 'the frame');
    assert.match(written, /\u001b\[38;5;208m/);
    assert.equal(screenColors(screen), 256);
  });
});
