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
  Left: '\u001b[D',
  Right: '\u001b[C',
  BSpace: '\u007f',
  PageUp: '\u001b[5~',
  PageDown: '\u001b[6~',
  Home: '\u001b[H',
  End: '\u001b[F',
  F1: '\u001bOP',
  'C-a': '\u0001',
  'C-e': '\u0005',
  'C-k': '\u000b',
  'C-u': '\u0015',
  'C-p': '\u0010',
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

  /** Everything written to the terminal since the last takeOutput() (bells, titles, modes). */
  private written = '';

  constructor(columns = 100, rows = 30) {
    this.input = Object.assign(new PassThrough(), { isTTY: true, setRawMode: () => {} });
    const output = new Writable({
      write: (chunk: Buffer | string, _encoding, callback) => {
        this.written += chunk.toString();
        // Only what a spec looks for is recent: keep the tail, not every frame ever drawn.
        if (this.written.length > 1_000_000) this.written = this.written.slice(-500_000);
        callback();
      },
    });
    this.output = Object.assign(output, { columns, rows, isTTY: true });
  }

  /** The bytes written since the last call. */
  takeOutput(): string {
    const written = this.written;
    this.written = '';
    return written;
  }

  type(text: string): void {
    // One keypress per character, as a terminal sends them.
    for (const char of text) this.input.write(char);
  }

  press(...keys: Array<keyof typeof KEYS>): void {
    for (const key of keys) this.input.write(KEYS[key]);
  }

  /** A left click at column x, row y (1-based), as SGR mouse reports: press and release, one read each. */
  click(x: number, y: number): void {
    this.input.write(`\u001b[<0;${x};${y}M`);
    setImmediate(() => this.input.write(`\u001b[<0;${x};${y}m`));
  }

  resize(columns: number, rows: number): void {
    this.output.columns = columns;
    this.output.rows = rows;
    this.output.emit('resize');
  }
}
