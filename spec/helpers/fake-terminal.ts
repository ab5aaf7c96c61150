// A terminal in memory for in-process TUI specs (as ink-testing-library does): keys go in through
// a stream blessed reads, output goes nowhere (the screen is read from blessed's own buffer), and
// the size can change. The real terminal (tmux) stays for what only it can show.
import { PassThrough, Writable } from 'node:stream';

/** Escape sequences an xterm sends for the keys the specs press. */
export const KEYS = {
  Enter: '\r',
  Tab: '\t',
  Escape: '\u001b',
  Up: '\u001b[A',
  Down: '\u001b[B',
  PageUp: '\u001b[5~',
  PageDown: '\u001b[6~',
  Home: '\u001b[H',
  End: '\u001b[F',
  F1: '\u001bOP',
  'C-c': '\u0003',
  'C-l': '\u000c',
  'C-w': '\u0017',
  'C-n': '\u000e',
  'M-1': '\u001b1',
  'M-2': '\u001b2',
} as const;

export class FakeTerminal {
  readonly input: PassThrough & { isTTY: boolean; setRawMode: (raw: boolean) => void };
  readonly output: Writable & { columns: number; rows: number; isTTY: boolean };
  readonly term = 'xterm-256color';

  constructor(columns = 100, rows = 30) {
    this.input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    this.output = Object.assign(new Writable({ write: (_chunk, _encoding, callback) => callback() }), { columns, rows, isTTY: true });
  }

  type(text: string): void {
    // One keypress per character, as a terminal sends them.
    for (const char of text) this.input.write(char);
  }

  press(...keys: Array<keyof typeof KEYS>): void {
    for (const key of keys) this.input.write(KEYS[key]);
  }

  resize(columns: number, rows: number): void {
    this.output.columns = columns;
    this.output.rows = rows;
    this.output.emit('resize');
  }
}
