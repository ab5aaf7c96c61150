import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogViewport } from '../../src/tui/log-viewport.js';
import type { LogLine } from '../../src/tui/render-panes.js';
import { type StyledRow, tokenize } from '../../src/tui/styled-rows.js';

/** Tags dropped, as a terminal without colors would show them. */
const plainTokens = (tagged: string) => tokenize(tagged.replace(/\{[^{}]*\}/g, ''));
const text = (row: StyledRow) => row.map((token) => ('glyph' in token ? token.glyph : '')).join('');
const lines = (count: number, from = 0): LogLine[] => Array.from({ length: count }, (_, i) => ({ prefix: '', body: `line ${from + i}` }));

describe('the log viewport', () => {
  it('shows the newest rows, and the newest again after switching conversation', () => {
    const view = new LogViewport(plainTokens);
    const room = view.layout('room', 200, lines(200), 40, 10);
    assert.equal(text(room.rows.at(-1)!), 'line 199');
    view.scrollBy(-50);
    const dm = view.layout('dm:carol', 1, [{ prefix: '', body: 'the DM' }], 40, 10);
    assert.deepEqual(dm.rows.map(text), ['the DM'], 'a switched-to conversation is shown from its end, never blank');
  });

  it('shows the newest rows after the pane grows, also when scrolled up before', () => {
    const view = new LogViewport(plainTokens);
    view.layout('room', 360, lines(360), 60, 20);
    view.scrollBy(-5);
    const grown = view.layout('room', 360, lines(360), 118, 36);
    assert.equal(grown.rows.length, 36);
    assert.ok(
      grown.rows.every((row) => text(row) !== ''),
      'no blank rows in a full log',
    );
  });

  it('stays put while scrolled up and counts what arrives below', () => {
    const view = new LogViewport(plainTokens);
    view.layout('room', 100, lines(100), 40, 10);
    view.scrollBy(-20);
    const before = view.layout('room', 100, lines(100), 40, 10).rows.map(text);
    const after = view.layout('room', 103, lines(103), 40, 10).rows.map(text);
    assert.deepEqual(after.slice(0, -1), before.slice(0, -1), 'the same rows stay in view');
    assert.match(after.at(-1)!, /scrolled up: 3 new below/);
    view.toBottom();
    const bottom = view.layout('room', 103, lines(103), 40, 10).rows.map(text);
    assert.equal(bottom.at(-1), 'line 102');
  });

  it('scrolls to the top and no further, and shows a scrollbar only when the log is taller', () => {
    const view = new LogViewport(plainTokens);
    assert.equal(view.layout('room', 3, lines(3), 40, 10).thumb, null);
    view.layout('room', 50, lines(50), 40, 10);
    view.toTop();
    view.scrollBy(-100);
    const top = view.layout('room', 50, lines(50), 40, 10);
    assert.equal(text(top.rows[0]!), 'line 0');
    assert.equal(top.thumb?.from, 0);
  });

  it('says where the picture rows on view are, and what they hold as the picture made them', () => {
    const view = new LogViewport(plainTokens);
    const red = '\u001b[38;2;255;0;0;48;2;255;0;0m▀';
    const picture: LogLine[] = [
      { prefix: '', body: 'caption' },
      { prefix: '      ', body: red.repeat(3), preformatted: true },
      { prefix: '      ', body: red.repeat(2), preformatted: true },
    ];
    const shown = view.layout('room', 12, [...lines(10), ...picture], 40, 4);
    assert.deepEqual(shown.pictures, [
      { row: 2, column: 6, ansi: red.repeat(3) },
      { row: 3, column: 6, ansi: red.repeat(2) },
    ]);
    view.scrollBy(-1);
    const scrolled = view.layout('room', 12, [...lines(10), ...picture], 40, 4);
    assert.deepEqual(
      scrolled.pictures.map((p) => p.row),
      [2],
      'scrolled up one: the last picture row is below the view (the marker row takes the bottom)',
    );
  });
});
