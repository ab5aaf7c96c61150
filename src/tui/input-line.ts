// The input line's editing state: text, cursor, history and shell-like editing keys. Pure: the
// blessed view only draws it, so every key's effect is unit-tested without a terminal.
// The text is kept as grapheme clusters: the cursor steps over an emoji, a ZWJ family or a letter
// with its accent as one character, as the user sees it.
import { graphemes } from './display-width.js';

/** Most lines kept in history (per run). */
export const HISTORY_LIMIT = 500;

export class InputLine {
  private chars: string[] = [];
  private cursorIndex = 0;
  private readonly history: string[] = [];
  /** Index into history while browsing with Up/Down; history.length means "the draft". */
  private historyIndex = 0;
  private draft: string[] = [];

  get text(): string {
    return this.chars.join('');
  }

  /** Cursor position in characters (grapheme clusters), 0..length. */
  get cursor(): number {
    return this.cursorIndex;
  }

  get isEmpty(): boolean {
    return this.chars.length === 0;
  }

  /** Inserts typed or pasted text at the cursor; newlines and control characters are dropped. */
  insert(text: string): void {
    const clean = text.replace(/[\u0000-\u001f\u007f-\u009f]/g, '');
    // Cut again around the cursor: an accent or a ZWJ typed after a letter joins that letter.
    const before = this.chars.slice(0, this.cursorIndex).join('') + clean;
    const after = this.chars.slice(this.cursorIndex).join('');
    this.chars = graphemes(before + after);
    this.cursorIndex = Math.min(this.chars.length, graphemes(before).length);
  }

  /**
   * A bracketed paste: inserted as typed, but its line breaks are kept, so a pasted block is sent
   * as one multi-line message. Tabs become spaces; other control characters are dropped.
   */
  insertPaste(text: string): void {
    // A copied line usually ends in its newline: that is not an empty line to send.
    const lines = text.replace(/\r\n?/g, '\n').replace(/\n+$/, '').replace(/\t/g, '    ').split('\n');
    lines.forEach((line, index) => {
      if (index > 0) this.insertBreak();
      this.insert(line);
    });
  }

  private insertBreak(): void {
    this.chars.splice(this.cursorIndex, 0, '\n');
    this.cursorIndex++;
  }

  backspace(): void {
    if (this.cursorIndex === 0) return;
    this.chars.splice(--this.cursorIndex, 1);
  }

  deleteForward(): void {
    this.chars.splice(this.cursorIndex, 1);
  }

  left(): void {
    this.cursorIndex = Math.max(0, this.cursorIndex - 1);
  }

  right(): void {
    this.cursorIndex = Math.min(this.chars.length, this.cursorIndex + 1);
  }

  /** Ctrl+A */
  home(): void {
    this.cursorIndex = 0;
  }

  /** Ctrl+E */
  end(): void {
    this.cursorIndex = this.chars.length;
  }

  /** Ctrl+U: deletes from the start of the line to the cursor. */
  killToStart(): void {
    this.chars.splice(0, this.cursorIndex);
    this.cursorIndex = 0;
  }

  /** Ctrl+K: deletes from the cursor to the end of the line. */
  killToEnd(): void {
    this.chars.length = this.cursorIndex;
  }

  /** Ctrl+W: deletes the word before the cursor (and the spaces after it), like a shell. */
  killWordBack(): void {
    let start = this.cursorIndex;
    while (start > 0 && this.chars[start - 1] === ' ') start--;
    while (start > 0 && this.chars[start - 1] !== ' ') start--;
    this.chars.splice(start, this.cursorIndex - start);
    this.cursorIndex = start;
  }

  /** Up: the previous history line (the current text is kept as a draft). */
  historyPrevious(): void {
    if (this.historyIndex === 0) return;
    if (this.historyIndex === this.history.length) this.draft = [...this.chars];
    this.historyIndex--;
    this.load(graphemes(this.history[this.historyIndex]!));
  }

  /** Down: the next history line, and finally the draft again. */
  historyNext(): void {
    if (this.historyIndex >= this.history.length) return;
    this.historyIndex++;
    this.load(this.historyIndex === this.history.length ? this.draft : graphemes(this.history[this.historyIndex]!));
  }

  /** Enter: returns the line, records it in history and clears the input. */
  submit(): string {
    const line = this.text;
    if (line.trim() !== '' && this.history[this.history.length - 1] !== line) {
      this.history.push(line);
      if (this.history.length > HISTORY_LIMIT) this.history.shift();
    }
    this.historyIndex = this.history.length;
    this.draft = [];
    this.load([]);
    return line;
  }

  /** Replaces characters [start, cursor) with text; used by completion. */
  replaceBeforeCursor(start: number, text: string): void {
    const replacement = graphemes(text);
    this.chars.splice(start, this.cursorIndex - start, ...replacement);
    this.cursorIndex = start + replacement.length;
  }

  /** The word the cursor is at the end of, and where it starts. */
  wordBeforeCursor(): { readonly word: string; readonly start: number } {
    let start = this.cursorIndex;
    while (start > 0 && this.chars[start - 1] !== ' ') start--;
    return { word: this.chars.slice(start, this.cursorIndex).join(''), start };
  }

  private load(chars: string[]): void {
    this.chars = chars;
    this.cursorIndex = chars.length;
  }
}
