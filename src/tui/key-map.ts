// Which key does what, as data: the TUI looks keys up here, and the help overlay is printed from
// the same tables, so the two cannot disagree. Key names are blessed's (`C-a`, `M-1`, `pageup`).

export type GlobalAction = 'quit' | 'help' | 'next-conversation' | 'previous-conversation' | 'scroll-up' | 'scroll-down' | 'redraw';
export type InputAction =
  | 'submit'
  | 'complete-or-focus-peers'
  | 'history-previous'
  | 'history-next'
  | 'left'
  | 'right'
  | 'home'
  | 'end'
  | 'kill-to-start'
  | 'kill-to-end'
  | 'kill-word'
  | 'backspace'
  | 'delete';
export type PeerListAction = 'peer-up' | 'peer-down' | 'open-peer' | 'back-to-input';

export const GLOBAL_KEYS: Readonly<Record<string, GlobalAction>> = {
  'C-c': 'quit',
  f1: 'help',
  'C-n': 'next-conversation',
  'C-p': 'previous-conversation',
  pageup: 'scroll-up',
  pagedown: 'scroll-down',
  'C-l': 'redraw',
};

export const INPUT_KEYS: Readonly<Record<string, InputAction>> = {
  return: 'submit',
  enter: 'submit',
  tab: 'complete-or-focus-peers',
  up: 'history-previous',
  down: 'history-next',
  left: 'left',
  right: 'right',
  'C-b': 'left',
  'C-f': 'right',
  home: 'home',
  end: 'end',
  'C-a': 'home',
  'C-e': 'end',
  'C-u': 'kill-to-start',
  'C-k': 'kill-to-end',
  'C-w': 'kill-word',
  backspace: 'backspace',
  'C-h': 'backspace',
  delete: 'delete',
  'C-d': 'delete',
};

export const PEER_LIST_KEYS: Readonly<Record<string, PeerListAction>> = {
  up: 'peer-up',
  k: 'peer-up',
  down: 'peer-down',
  j: 'peer-down',
  return: 'open-peer',
  enter: 'open-peer',
  escape: 'back-to-input',
  tab: 'back-to-input',
};

/** Alt+1..9 switch to the n-th conversation. */
export function conversationNumberFor(key: string): number | undefined {
  const match = /^M-([1-9])$/.exec(key);
  return match === null ? undefined : Number(match[1]);
}

/** The help overlay's key section, one "keys  what" row each. */
export const KEY_HELP: ReadonlyArray<readonly [string, string]> = [
  ['Enter', 'send to the current conversation (room or DM)'],
  ['Tab', 'complete a name or :command; on an empty line, go to the peer list'],
  ['peer list: ↑/↓ j/k, Enter', 'move, then open a DM with that peer (yourself: the room)'],
  ['Esc', 'back to the input line from the peer list; closes the help'],
  ['Alt+1..9', 'switch to conversation 1..9 (1 is the room)'],
  ['Ctrl+N / Ctrl+P', 'next / previous conversation'],
  ['PgUp / PgDn, mouse wheel', 'scroll the log (a marker counts new lines below)'],
  ['Home / End (empty line)', 'top / end of the log'],
  ['↑ / ↓', 'input history'],
  ['Ctrl+A / Ctrl+E, Home / End', 'start / end of line'],
  ['Ctrl+U / Ctrl+K', 'delete to start / to end of line'],
  ['Ctrl+W', 'delete the word before the cursor'],
  ['Ctrl+L', 'redraw the screen'],
  ['mouse click', 'on a peer: open the DM; on the activity bar: open that conversation'],
  ['paste', 'a pasted block is one message, its lines kept (shown as ↵ until sent)'],
  ['? (on an empty line) / F1', 'the help (Esc closes it)'],
  ['Ctrl+C', 'quit'],
];
