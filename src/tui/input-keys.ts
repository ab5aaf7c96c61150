// What a key does to the input line and the peer list (key-map.ts names the keys): editing,
// history, completion, and moving through the list. The TUI (tui-app.ts) acts on the outcome:
// a line to run, the help to show, something to redraw.
import type { ChatViewModel } from './chat-view-model.js';
import type { Completer, CompletionSource } from './completion.js';
import type { InputLine } from './input-line.js';
import { INPUT_KEYS, PEER_LIST_KEYS } from './key-map.js';
import type { LogViewport } from './log-viewport.js';

export type InputKeyOutcome =
  | { readonly kind: 'submit'; readonly line: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'changed' }
  | { readonly kind: 'ignored' };

export interface InputKeyParts {
  readonly line: InputLine;
  readonly completer: Completer;
  readonly model: ChatViewModel;
  readonly log: LogViewport;
  /** What Tab completes from, asked only when it is pressed. */
  completions(): CompletionSource;
}

export function inputKey(parts: InputKeyParts, ch: string | undefined, name: string): InputKeyOutcome {
  const { line, completer, model, log } = parts;
  const action = INPUT_KEYS[name];
  if (action !== 'complete-or-focus-peers') completer.reset();
  switch (action) {
    case 'submit':
      return { kind: 'submit', line: line.submit() };
    case 'complete-or-focus-peers':
      if (line.isEmpty) model.focus = 'peers';
      else completer.complete(line, parts.completions());
      break;
    case 'history-previous':
      line.historyPrevious();
      break;
    case 'history-next':
      line.historyNext();
      break;
    case 'left':
      line.left();
      break;
    case 'right':
      line.right();
      break;
    // On an empty line there is no cursor to move: Home and End go to the top and end of the log.
    case 'home':
      if (line.isEmpty) log.toTop();
      else line.home();
      break;
    case 'end':
      if (line.isEmpty) log.toBottom();
      else line.end();
      break;
    case 'kill-to-start':
      line.killToStart();
      break;
    case 'kill-to-end':
      line.killToEnd();
      break;
    case 'kill-word':
      line.killWordBack();
      break;
    case 'backspace':
      line.backspace();
      break;
    case 'delete':
      line.deleteForward();
      break;
    default:
      if (name === 'escape') break;
      if (ch === '?' && line.isEmpty) return { kind: 'help' };
      if (ch !== undefined && ch.length > 0 && !name.startsWith('C-') && !name.startsWith('M-')) line.insert(ch);
      else return { kind: 'ignored' };
  }
  return { kind: 'changed' };
}

/** A key while the peer list has the focus; false when it does nothing there. */
export function peerListKey(model: ChatViewModel, name: string): boolean {
  switch (PEER_LIST_KEYS[name]) {
    case 'peer-up':
      model.movePeerCursor(-1);
      return true;
    case 'peer-down':
      model.movePeerCursor(1);
      return true;
    case 'open-peer':
      model.openSelectedPeer();
      return true;
    case 'back-to-input':
      model.focus = 'input';
      return true;
    default:
      return false;
  }
}
