import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { InputLine } from '../../src/tui/input-line.js';

function typed(text: string): InputLine {
  const input = new InputLine();
  input.insert(text);
  return input;
}

describe('InputLine', () => {
  it('inserts at the cursor and moves with left/right', () => {
    const input = typed('helo');
    input.left();
    input.insert('l');
    assert.equal(input.text, 'hello');
    assert.equal(input.cursor, 4);
  });

  it('Ctrl+A and Ctrl+E jump to the start and end', () => {
    const input = typed('abc');
    input.home();
    input.insert('>');
    input.end();
    input.insert('<');
    assert.equal(input.text, '>abc<');
  });

  it('Ctrl+U deletes to the start, Ctrl+K to the end', () => {
    const input = typed('one two three');
    for (let i = 0; i < 6; i++) input.left();
    input.killToEnd();
    assert.equal(input.text, 'one two');
    input.left();
    input.left();
    input.killToStart();
    assert.equal(input.text, 'wo');
    assert.equal(input.cursor, 0);
  });

  it('Ctrl+W deletes the word before the cursor, and trailing spaces with it', () => {
    const input = typed('say hello world  ');
    input.killWordBack();
    assert.equal(input.text, 'say hello ');
    input.killWordBack();
    assert.equal(input.text, 'say ');
  });

  it('backspace and delete remove one character, and do nothing at the edges', () => {
    const input = typed('ab');
    input.backspace();
    assert.equal(input.text, 'a');
    input.home();
    input.backspace();
    input.deleteForward();
    assert.equal(input.text, '');
    input.deleteForward();
    assert.equal(input.text, '');
  });

  it('treats an emoji or CJK character as one character', () => {
    const input = typed('a🙂日');
    input.backspace();
    input.backspace();
    assert.equal(input.text, 'a');
  });

  it('takes a paste without its trailing newline: no empty last line is sent', () => {
    const input = new InputLine();
    input.insertPaste('first line\r\nsecond line\n');
    assert.equal(input.text, 'first line\nsecond line');
  });

  it('drops control characters from typed or pasted text', () => {
    assert.equal(typed('a\u001b[2Jb\nc').text, 'a[2Jbc');
  });

  it('walks history with up/down and keeps the unsent draft', () => {
    const input = new InputLine();
    input.insert('first');
    input.submit();
    input.insert('second');
    input.submit();
    input.insert('draft');
    input.historyPrevious();
    assert.equal(input.text, 'second');
    input.historyPrevious();
    assert.equal(input.text, 'first');
    input.historyPrevious();
    assert.equal(input.text, 'first');
    input.historyNext();
    input.historyNext();
    assert.equal(input.text, 'draft');
  });

  it('submits the line, clears the input and skips blank or repeated history entries', () => {
    const input = new InputLine();
    for (const line of ['same', 'same', '   ']) {
      input.insert(line);
      assert.equal(input.submit(), line);
    }
    assert.equal(input.text, '');
    input.historyPrevious();
    assert.equal(input.text, 'same');
    input.historyPrevious();
    assert.equal(input.text, 'same', 'only one "same" was kept');
  });
});
