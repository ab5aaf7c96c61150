// Parses one line the user typed: plain text is a message to the current conversation, a line
// starting with ':' is a command, and '::' escapes a message that starts with ':'.

export type LineCommand =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'dm'; readonly to: string; readonly text: string | null }
  | { readonly kind: 'room' }
  | { readonly kind: 'peers' }
  | { readonly kind: 'trust'; readonly name: string }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly message: string };

/** Commands with their argument synopsis, for help text and completion. */
export const LINE_COMMANDS = {
  dm: 'NAME [TEXT]   send TEXT to NAME only (without TEXT: switch to that conversation)',
  room: '             switch back to the room',
  peers: '             list who is online',
  trust: 'NAME         accept NAME\'s new key after checking its fingerprint out of band',
  help: '             list commands',
  quit: '             leave',
} as const;
export type LineCommandName = keyof typeof LINE_COMMANDS;

export function parseLine(line: string): LineCommand {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  if (trimmed.startsWith('::')) return { kind: 'say', text: trimmed.slice(1) };
  if (!trimmed.startsWith(':')) return { kind: 'say', text: trimmed };

  const match = /^:(\S+)\s*(.*)$/s.exec(trimmed)!;
  const command = match[1]!;
  const rest = match[2]!;
  switch (command) {
    case 'dm':
    case 'msg': {
      const dm = /^(\S+)(?:\s+(.*))?$/s.exec(rest);
      if (dm === null) return { kind: 'invalid', message: 'usage: :dm NAME [TEXT]' };
      const text = dm[2] ?? '';
      return { kind: 'dm', to: dm[1]!, text: text === '' ? null : text };
    }
    case 'room':
      return { kind: 'room' };
    case 'peers':
    case 'who':
      return { kind: 'peers' };
    case 'trust':
      return rest.trim() === '' ? { kind: 'invalid', message: 'usage: :trust NAME' } : { kind: 'trust', name: rest.trim() };
    case 'help':
      return { kind: 'help' };
    case 'quit':
    case 'q':
      return { kind: 'quit' };
    default:
      return { kind: 'invalid', message: `unknown command :${command.slice(0, 32)} (try :help)` };
  }
}
