import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Completer } from '../../src/tui/completion.js';
import { InputLine } from '../../src/tui/input-line.js';

const SOURCE = { peers: ['alice', 'albert', 'bob'], commands: ['dm', 'room', 'peers', 'play'] };

function typed(text: string): InputLine {
  const input = new InputLine();
  input.insert(text);
  return input;
}

describe('Completer', () => {
  it('completes a peer name from a prefix, whatever its case', () => {
    const input = typed('hi BO');
    assert.ok(new Completer().complete(input, SOURCE));
    assert.equal(input.text, 'hi bob ');
  });

  it('cycles through several matches on repeated Tab, addressing the nick first on the line ("bob: ")', () => {
    const input = typed('al');
    const completer = new Completer();
    completer.complete(input, SOURCE);
    assert.equal(input.text, 'albert: ');
    completer.complete(input, SOURCE);
    assert.equal(input.text, 'alice: ');
    completer.complete(input, SOURCE);
    assert.equal(input.text, 'albert: ');
    const later = typed('thanks al');
    new Completer().complete(later, SOURCE);
    assert.equal(later.text, 'thanks albert ', 'later in the line: the nick and a space');
  });

  it('completes :commands at the start of the line only', () => {
    const input = typed(':pl');
    new Completer().complete(input, SOURCE);
    assert.equal(input.text, ':play ');
    const notFirst = typed('see :pl');
    assert.equal(new Completer().complete(notFirst, SOURCE), false);
  });

  it('completes the argument of a command with peer names', () => {
    const input = typed(':dm b');
    new Completer().complete(input, SOURCE);
    assert.equal(input.text, ':dm bob ');
  });

  it('completes the argument of :play with the video names the server listed, not peers', () => {
    const input = typed(':play b');
    new Completer().complete(input, { ...SOURCE, videos: ['bars-640x360-25fps.mp4', 'mandelbrot.mp4'] });
    assert.equal(input.text, ':play bars-640x360-25fps.mp4 ');
  });

  it('completes a word starting with # with the rooms known, and :watch with videos', () => {
    const input = typed(':join #d');
    new Completer().complete(input, { ...SOURCE, rooms: ['#dev', '#ops', '#dev'] });
    assert.equal(input.text, ':join #dev ');
    const watch = typed(':watch m');
    new Completer().complete(watch, { ...SOURCE, videos: ['mandelbrot.mp4'] });
    assert.equal(watch.text, ':watch mandelbrot.mp4 ');
  });

  it('leaves the line alone when nothing matches', () => {
    const input = typed('zz');
    assert.equal(new Completer().complete(input, SOURCE), false);
    assert.equal(input.text, 'zz');
  });

  it('completes a path after :send (folders end in /, hidden files only when asked), and a peer before it', () => {
    const folders: Record<string, Array<{ name: string; isFolder: boolean }>> = {
      '~/': [
        { name: 'Documents', isFolder: true },
        { name: 'Downloads', isFolder: true },
        { name: '.bashrc', isFolder: false },
      ],
      '~/Documents/': [{ name: 'report.pdf', isFolder: false }],
    };
    const source = { ...SOURCE, listDirectory: (folder: string) => folders[folder] ?? [] };
    const completer = new Completer();
    const input = typed(':send ~/Do');
    completer.complete(input, source);
    assert.equal(input.text, ':send ~/Documents/');
    completer.complete(input, source);
    assert.equal(input.text, ':send ~/Downloads/', 'Tab again: the next match');
    const file = typed(':send bob ~/Documents/re');
    new Completer().complete(file, source);
    assert.equal(file.text, ':send bob ~/Documents/report.pdf ');
    const hidden = typed(':send ~/');
    new Completer().complete(hidden, source);
    assert.equal(hidden.text, ':send ~/Documents/', 'no dot-files unless the word starts with a dot');
    const peer = typed(':send bo');
    new Completer().complete(peer, source);
    assert.equal(peer.text, ':send bob ', 'the first word is a peer unless it looks like a path');
  });
});
