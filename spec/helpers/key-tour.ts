// Every documented key, pressed in a real session and checked by what it does on screen. The same
// tour runs in-process against the fake xterm (tui-app.spec.ts) and in tmux against the real binary
// (tui-app.tmux.spec.ts), so a key that works in one terminal and not the other is caught.
// Expects: alice's TUI in the room, bob online, and 40 room lines from bob already shown.

/** Key names both drivers understand (tmux send-keys names; FakeTerminal KEYS has the same). */
export type TourKey =
  | 'Enter'
  | 'Tab'
  | 'Escape'
  | 'Up'
  | 'Down'
  | 'Left'
  | 'BSpace'
  | 'PageUp'
  | 'PageDown'
  | 'Home'
  | 'End'
  | 'F1'
  | 'C-a'
  | 'C-e'
  | 'C-k'
  | 'C-u'
  | 'C-w'
  | 'C-l'
  | 'C-n'
  | 'C-p'
  | 'M-1'
  | 'M-2';

export interface TourDriver {
  press(...keys: TourKey[]): void;
  type(text: string): void;
  waitForScreen(pattern: RegExp, what: string): Promise<string>;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** The input line reading exactly `text` (capture trims trailing blanks). */
const inputIs = (text: string, where = '#room') => new RegExp(`^\\[${escapeRegExp(where)}\\]${text === '' ? '' : ` ${escapeRegExp(text)}`}$`, 'm');
const notShown = (text: string) => new RegExp(`^(?![\\s\\S]*${escapeRegExp(text)})`);

/** Presses every key in the help's key table and checks each one's effect. Ends before Ctrl+C. */
export async function keyTour(tui: TourDriver): Promise<void> {
  // Editing: Ctrl+A/E and Home/End move, Ctrl+K/U/W and Backspace delete.
  tui.type('hello');
  tui.press('C-a');
  tui.type('X');
  await tui.waitForScreen(inputIs('Xhello'), 'Ctrl+A: typed at the start');
  tui.press('C-e');
  tui.type('Y');
  await tui.waitForScreen(inputIs('XhelloY'), 'Ctrl+E: typed at the end');
  tui.press('Home');
  tui.type('<');
  tui.press('End');
  tui.type('>');
  await tui.waitForScreen(inputIs('<XhelloY>'), 'Home and End on a line being typed');
  tui.press('Left', 'Left', 'C-k');
  await tui.waitForScreen(inputIs('<Xhello'), 'Ctrl+K: deleted to the end');
  tui.type(' two');
  tui.press('C-w');
  await tui.waitForScreen(inputIs('<Xhello'), 'Ctrl+W: deleted the word before the cursor');
  // The space before "two" is still there: one Backspace for it, one for the "o".
  tui.press('BSpace', 'BSpace');
  await tui.waitForScreen(inputIs('<Xhell'), 'Backspace');
  tui.press('C-u');
  await tui.waitForScreen(inputIs(''), 'Ctrl+U: deleted to the start');

  // Enter sends; ↑/↓ browse what was sent.
  tui.type('first line');
  tui.press('Enter');
  await tui.waitForScreen(/<alice> first line/, 'Enter: sent to the room');
  tui.press('Up');
  await tui.waitForScreen(inputIs('first line'), '↑: the last line sent');
  tui.press('Down');
  await tui.waitForScreen(inputIs(''), '↓: back to the empty draft');

  // Tab completes a command; on an empty line it goes to the peer list (j/k, ↑/↓, Enter, Esc).
  tui.type(':wh');
  tui.press('Tab');
  await tui.waitForScreen(inputIs(':whois'), 'Tab: completed the command');
  tui.press('C-u');
  await tui.waitForScreen(inputIs(''), 'the line cleared');
  tui.press('Tab');
  await tui.waitForScreen(/peers: ↑↓ Enter, Esc/, 'Tab on an empty line: the peer list has focus');
  tui.press('Escape');
  await tui.waitForScreen(/─ peers ─/, 'Esc: back to the input line');
  tui.press('Tab');
  await tui.waitForScreen(/peers: ↑↓ Enter, Esc/, 'the peer list again');
  // The list reads alice (you), bob; the cursor starts on alice and wraps around.
  tui.type('j');
  tui.type('k');
  tui.press('Down', 'Up', 'Up');
  tui.press('Enter');
  await tui.waitForScreen(inputIs('', 'bob'), 'j, k, ↓, ↑ and Enter: the DM with bob open');

  // Alt+N and Ctrl+N/P switch conversations.
  tui.press('M-1');
  await tui.waitForScreen(inputIs(''), 'Alt+1: the room');
  tui.press('M-2');
  await tui.waitForScreen(inputIs('', 'bob'), 'Alt+2: the DM');
  tui.press('C-n');
  await tui.waitForScreen(inputIs(''), 'Ctrl+N: the next conversation (the room)');
  tui.press('C-p');
  await tui.waitForScreen(inputIs('', 'bob'), 'Ctrl+P: the previous conversation (the DM)');
  tui.press('M-1');
  await tui.waitForScreen(inputIs(''), 'the room again');

  // Scrolling: PgUp/PgDn by pages, Home/End on an empty line to either end.
  tui.press('PageUp');
  await tui.waitForScreen(/scrolled up: more below/, 'PgUp: scrolled up, with the marker');
  tui.press('PageDown', 'PageDown', 'PageDown');
  await tui.waitForScreen(notShown('scrolled up'), 'PgDn: back at the end');
  tui.press('Home');
  await tui.waitForScreen(/-!- connecting to/, 'Home on an empty line: the top of the log');
  tui.press('End');
  await tui.waitForScreen(notShown('scrolled up'), 'End on an empty line: the end of the log');

  // Ctrl+L redraws (the log is still there); ? and F1 open the help, Esc closes it.
  tui.press('C-l');
  await tui.waitForScreen(/<alice> first line/, 'Ctrl+L: redrawn');
  tui.type('?');
  await tui.waitForScreen(/help \(Esc closes\)/, '? on an empty line: the help');
  tui.press('Escape');
  await tui.waitForScreen(notShown('Esc closes'), 'Esc: the help closed');
  tui.press('F1');
  await tui.waitForScreen(/help \(Esc closes\)/, 'F1: the help');
  tui.press('Escape');
  await tui.waitForScreen(notShown('Esc closes'), 'the help closed again');
}
