// Parses one line the user typed: plain text is a message to the current conversation, a line
// starting with ':' is a command, and '::' escapes a message that starts with ':'.
// Shared by the TUI and the --json line mode, so both accept the same commands.

export type LineCommand =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'dm'; readonly to: string; readonly text: string | null }
  | { readonly kind: 'room' }
  | { readonly kind: 'peers' }
  | { readonly kind: 'whois'; readonly name: string }
  | { readonly kind: 'verify'; readonly name: string; readonly confirm: boolean }
  | { readonly kind: 'trust'; readonly name: string }
  | { readonly kind: 'discard'; readonly name: string }
  | { readonly kind: 'search'; readonly query: string }
  | { readonly kind: 'videos' }
  | { readonly kind: 'play'; readonly video: string; readonly ffplay: boolean }
  | { readonly kind: 'stop' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'seek'; readonly seconds: number }
  | { readonly kind: 'clear' }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly message: string };

/** Every command with its argument synopsis and what it does: drives :help and completion. */
export const LINE_COMMANDS = {
  dm: ['NAME [TEXT]', 'send TEXT to NAME only; without TEXT, open the conversation with NAME'],
  room: ['', 'go back to the room'],
  peers: ['', 'list who is online, and who is away'],
  whois: ['NAME', "show NAME's full fingerprint and when it was first seen"],
  verify: ['NAME [confirm]', 'show the safety number to compare with NAME; "confirm" once it matches'],
  trust: ['NAME', "accept NAME's changed key without verifying it"],
  discard: ['NAME', 'drop, unread, the messages held from NAME while its changed key is unconfirmed'],
  search: ['TEXT', 'find messages containing TEXT in every conversation kept on this device'],
  videos: ['', 'list the videos the server offers'],
  play: ['VIDEO [--ffplay]', 'play a video here, or in ffplay'],
  stop: ['', 'stop the video'],
  pause: ['', 'pause or resume the video'],
  seek: ['±SECONDS', 'jump forward or back in the video, e.g. :seek -5'],
  clear: ['', "clear this conversation's log"],
  help: ['', 'list keys and commands'],
  quit: ['', 'leave'],
} as const satisfies Record<string, readonly [string, string]>;
export type LineCommandName = keyof typeof LINE_COMMANDS;

const ALIASES: Readonly<Record<string, LineCommandName>> = { msg: 'dm', who: 'peers', q: 'quit', exit: 'quit' };

export function parseLine(line: string): LineCommand {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  if (trimmed.startsWith('::')) return { kind: 'say', text: trimmed.slice(1) };
  if (!trimmed.startsWith(':')) return { kind: 'say', text: trimmed };

  const match = /^:(\S+)\s*(.*)$/s.exec(trimmed)!;
  const word = match[1]!;
  const rest = match[2]!.trim();
  const command = ALIASES[word] ?? word;
  const needsName = (kind: 'whois' | 'trust' | 'discard'): LineCommand => (/^\S+$/.test(rest) ? { kind, name: rest } : usage(kind));
  switch (command) {
    case 'dm': {
      const dm = /^(\S+)(?:\s+(.*))?$/s.exec(rest);
      if (dm === null) return usage('dm');
      const text = dm[2] ?? '';
      return { kind: 'dm', to: dm[1]!, text: text === '' ? null : text };
    }
    case 'verify': {
      const verify = /^(\S+)(?:\s+(confirm))?$/.exec(rest);
      return verify === null ? usage('verify') : { kind: 'verify', name: verify[1]!, confirm: verify[2] !== undefined };
    }
    case 'whois':
    case 'trust':
    case 'discard':
      return needsName(command);
    case 'search':
      return rest === '' ? usage('search') : { kind: 'search', query: rest };
    case 'play': {
      const words = rest.split(/\s+/).filter((w) => w !== '');
      const ffplay = words.includes('--ffplay');
      const names = words.filter((w) => w !== '--ffplay');
      if (names.length !== 1) return usage('play');
      return { kind: 'play', video: names[0]!, ffplay };
    }
    case 'seek': {
      const seconds = /^[+-]?\d+(?:\.\d+)?$/.test(rest) ? Number(rest) : NaN;
      return Number.isFinite(seconds) ? { kind: 'seek', seconds } : usage('seek');
    }
    case 'room':
    case 'peers':
    case 'videos':
    case 'stop':
    case 'pause':
    case 'clear':
    case 'help':
    case 'quit':
      return rest === '' ? { kind: command } : usage(command);
    default:
      return { kind: 'invalid', message: `unknown command :${word.slice(0, 32)} (try :help)` };
  }
}

function usage(command: LineCommandName): LineCommand {
  const [args] = LINE_COMMANDS[command];
  return { kind: 'invalid', message: `usage: :${command}${args === '' ? '' : ` ${args}`}` };
}

/** ":name args  what it does" lines for help screens. */
export function describeCommands(): string[] {
  return Object.entries(LINE_COMMANDS).map(([name, [args, what]]) => `:${name}${args === '' ? '' : ` ${args}`} - ${what}`);
}
