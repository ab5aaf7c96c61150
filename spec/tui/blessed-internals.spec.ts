import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import blessed from 'blessed';
import { forgetDrawnCells, screenStreamOptions, screenText } from '../../src/tui/blessed-internals.js';
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
});
