// Bracketed paste (xterm mode 2004): the terminal wraps pasted text in ESC[200~ ... ESC[201~, so a
// paste of many lines reaches us as one piece instead of a stream of Enter keys (which sent 100
// messages for 100 pasted lines). The terminal's input goes through this filter before blessed
// reads it: keys pass through unchanged, a paste is taken out whole and handed to `onPaste`.
import { Transform, type TransformCallback } from 'node:stream';

export const ENABLE_BRACKETED_PASTE = '\u001b[?2004h';
export const DISABLE_BRACKETED_PASTE = '\u001b[?2004l';
const PASTE_START = '\u001b[200~';
const PASTE_END = '\u001b[201~';
/** A paste larger than this is cut here (a message is far smaller; this bounds the memory). */
export const MAX_PASTE_CHARS = 1_000_000;

type TtyInput = NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };

export class BracketedPasteFilter extends Transform {
  /** What blessed reads: looks like the terminal (a TTY that can be put in raw mode). */
  readonly isTTY: boolean;
  private pending = '';
  private pasting: string | null = null;

  constructor(
    private readonly terminalInput: TtyInput,
    private readonly onPaste: (text: string) => void,
  ) {
    super({ decodeStrings: false });
    this.isTTY = terminalInput.isTTY === true;
    terminalInput.pipe(this);
  }

  setRawMode(raw: boolean): this {
    this.terminalInput.setRawMode?.(raw);
    return this;
  }

  /** Stops reading the terminal (on exit), so the process can end. */
  detach(): void {
    this.terminalInput.unpipe(this);
    this.terminalInput.pause();
  }

  override _transform(chunk: Buffer | string, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.pending += chunk.toString();
    let passThrough = '';
    for (;;) {
      if (this.pasting === null) {
        const start = this.pending.indexOf(PASTE_START);
        if (start === -1) {
          // A tail that may be a start marker cut between reads waits for the next read, but only
          // from "ESC [ 2" on: a lone Esc (or Alt+[) must reach blessed at once.
          const partial = partialMarkerLength(this.pending, PASTE_START);
          const keep = partial >= 3 ? partial : 0;
          passThrough += this.pending.slice(0, this.pending.length - keep);
          this.pending = this.pending.slice(this.pending.length - keep);
          break;
        }
        passThrough += this.pending.slice(0, start);
        this.pending = this.pending.slice(start + PASTE_START.length);
        this.pasting = '';
      } else {
        const end = this.pending.indexOf(PASTE_END);
        if (end === -1) {
          const keep = partialMarkerLength(this.pending, PASTE_END);
          this.pasting = (this.pasting + this.pending.slice(0, this.pending.length - keep)).slice(0, MAX_PASTE_CHARS);
          this.pending = this.pending.slice(this.pending.length - keep);
          break;
        }
        const text = (this.pasting + this.pending.slice(0, end)).slice(0, MAX_PASTE_CHARS);
        this.pending = this.pending.slice(end + PASTE_END.length);
        this.pasting = null;
        this.onPaste(text);
      }
    }
    if (passThrough !== '') this.push(passThrough);
    callback();
  }
}

/** How many characters at the end of text could begin `marker` (0 if none). */
function partialMarkerLength(text: string, marker: string): number {
  for (let length = Math.min(marker.length - 1, text.length); length > 0; length--) {
    if (marker.startsWith(text.slice(text.length - length))) return length;
  }
  return 0;
}
