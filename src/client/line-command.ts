// Parses one line the user typed: plain text is a message to the current conversation, a line
// starting with ':' (or '/', as IRC users type) is a command, and '::' or '//' escapes a message
// that starts with one. Shared by the TUI and the --json line mode, so both accept the same commands.

export type LineCommand =
  | { readonly kind: 'say'; readonly text: string }
  | { readonly kind: 'me'; readonly action: string }
  | { readonly kind: 'close' }
  | { readonly kind: 'away'; readonly message: string }
  | { readonly kind: 'timestamps'; readonly seconds: boolean }
  | { readonly kind: 'dm'; readonly to: string; readonly text: string | null }
  | { readonly kind: 'room' }
  | { readonly kind: 'join'; readonly room: string }
  /** room null: the open conversation's (a DM is closed, as :close does). */
  | { readonly kind: 'part'; readonly room: string | null }
  | { readonly kind: 'rooms' }
  /** text null: show the topic. room null: the open room's. */
  | { readonly kind: 'topic'; readonly room: string | null; readonly text: string | null }
  | { readonly kind: 'invite'; readonly room: string | null; readonly name: string }
  | { readonly kind: 'kick'; readonly room: string | null; readonly name: string; readonly reason: string }
  /** +i/-i: invite-only; +c/-c: every member controls the room's shared video. */
  | { readonly kind: 'mode'; readonly room: string | null; readonly flag: 'i' | 'c'; readonly on: boolean }
  | { readonly kind: 'members'; readonly room: string | null }
  | { readonly kind: 'peers' }
  | { readonly kind: 'whois'; readonly name: string }
  | { readonly kind: 'verify'; readonly name: string; readonly confirm: boolean }
  | { readonly kind: 'trust'; readonly name: string }
  | { readonly kind: 'discard'; readonly name: string }
  | { readonly kind: 'search'; readonly query: string; readonly everywhere: boolean }
  | { readonly kind: 'videos' }
  | { readonly kind: 'play'; readonly video: string; readonly ffplay: boolean }
  /** Watch with a room: its current video (video null), or start NAME there. */
  | { readonly kind: 'watch'; readonly video: string | null; readonly room: string | null }
  | { readonly kind: 'stop' }
  | { readonly kind: 'pause' }
  | { readonly kind: 'seek'; readonly seconds: number }
  /** A file to a user or '#room' (to null: the open conversation). */
  | { readonly kind: 'send-file'; readonly to: string | null; readonly path: string }
  /** The files received (in one conversation, or, null, the open one). */
  | { readonly kind: 'files'; readonly from: string | null }
  | { readonly kind: 'save'; readonly id: string; readonly path: string | null; readonly overwrite: boolean }
  | { readonly kind: 'open'; readonly id: string }
  | { readonly kind: 'clear' }
  | { readonly kind: 'help' }
  | { readonly kind: 'quit' }
  | { readonly kind: 'empty' }
  | { readonly kind: 'invalid'; readonly message: string };

/** Every command with its argument synopsis and what it does: drives :help and completion. */
export const LINE_COMMANDS = {
  dm: ['NAME|#ROOM [TEXT]', 'send TEXT to NAME only (or to a room you are in); without TEXT, open that conversation'],
  me: ['ACTION', 'say what you do, shown as "* you ACTION"'],
  room: ['', 'go back to the lobby (#room, everyone on the server)'],
  join: ['[#]NAME', 'join a room, creating it if new (you are then its operator); :join ops is #ops'],
  part: ['[#NAME]', 'leave a room (without #NAME: the open one; in a DM, close it)'],
  rooms: ['', "list the server's rooms: topic, members, whether you are in"],
  topic: ['[#NAME] [TEXT]', "set the room's topic; without TEXT, show it"],
  members: ['[#NAME]', "list the room's members (@ marks operators)"],
  invite: ['NAME [#NAME]', 'let NAME into the room (in an invite-only room: operators only)'],
  kick: ['NAME [#NAME] [REASON]', 'remove NAME from the room, saying why (operators)'],
  mode: ['[#NAME] +i|-i|+c|-c', 'invite-only (+i) or open (-i); every member (+c) or only who started it (-c) controls the video watched together (operators)'],
  close: ['', 'close this DM conversation (its messages stay kept; a new one reopens it)'],
  peers: ['', 'list who is online, and who is away (past 500 users: those you follow, and how many in all)'],
  away: ['[MESSAGE]', 'say you are away (shown next to your name); without MESSAGE, that you are back'],
  whois: ['NAME', "show NAME's full fingerprint and when it was first seen"],
  verify: ['NAME [confirm]', 'show the safety number to compare with NAME; "confirm" once it matches'],
  trust: ['NAME', "accept NAME's changed key without verifying it"],
  discard: ['NAME', 'drop, unread, the messages held from NAME while its changed key is unconfirmed'],
  search: ['[--all] TEXT', 'find messages containing TEXT in this conversation; --all: in every one kept on this device'],
  videos: ['', 'list the videos the server offers'],
  play: ['VIDEO [--ffplay]', 'play a video here, or in ffplay; in a room, everyone in it can watch along (:watch)'],
  watch: ['[VIDEO] [#NAME]', "watch the room's video with it, from where it is now (with VIDEO: start that one for the room)"],
  stop: ['', 'stop the video'],
  pause: ['', 'pause or resume the video'],
  seek: ['±SECONDS', 'jump forward or back in the video, e.g. :seek -5'],
  send: ['[NAME|#NAME] PATH', 'send a file (end to end encrypted) to this conversation, or to NAME or #NAME; quote a PATH with spaces'],
  files: ['[NAME|#NAME]', 'list the files received in this conversation (or from NAME, or in #NAME)'],
  save: ['ID [PATH]', 'save a received file (to your downloads folder, or PATH); :save! overwrites'],
  open: ['ID', 'show a received picture large, in the video pane'],
  clear: ['', "clear this conversation's log"],
  timestamps: ['seconds|minutes', 'show seconds in the log, or only minutes'],
  help: ['', 'list keys and commands'],
  quit: ['', 'leave'],
} as const satisfies Record<string, readonly [string, string]>;
export type LineCommandName = keyof typeof LINE_COMMANDS;

/** IRC's names for the same commands: /msg, /query, /who, /part, /exit. */
const ALIASES: Readonly<Record<string, LineCommandName>> = {
  msg: 'dm',
  query: 'dm',
  who: 'peers',
  q: 'quit',
  exit: 'quit',
  j: 'join',
  leave: 'part',
  names: 'members',
  list: 'rooms',
};

/** An action is sent as text starting with this (as IRC's CTCP ACTION, without control characters). */
export const ACTION_PREFIX = '/me ';

export function parseLine(line: string): LineCommand {
  const trimmed = line.replace(/\r$/, '');
  if (trimmed.trim() === '') return { kind: 'empty' };
  if (trimmed.startsWith('::') || trimmed.startsWith('//')) return { kind: 'say', text: trimmed.slice(1) };
  if (!trimmed.startsWith(':') && !trimmed.startsWith('/')) return { kind: 'say', text: trimmed };

  const match = /^[:/](\S+)\s*(.*)$/s.exec(trimmed);
  if (match === null) return { kind: 'say', text: trimmed };
  const word = match[1]!;
  const rest = match[2]!.trim();
  if (word === 'save!') return parseSave(rest, true);
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
    case 'search': {
      const everywhere = /^--all(\s|$)/.test(rest);
      const query = everywhere ? rest.slice('--all'.length).trim() : rest;
      return query === '' ? usage('search') : { kind: 'search', query, everywhere };
    }
    case 'me':
      return rest === '' ? usage('me') : { kind: 'me', action: rest };
    case 'join':
      // `:join ops` means #ops, as IRC clients take it.
      return /^#?[^\s#]\S*$/.test(rest) ? { kind: 'join', room: rest.startsWith('#') ? rest : `#${rest}` } : usage('join');
    case 'part':
      return rest === '' ? { kind: 'part', room: null } : /^#\S+$/.test(rest) ? { kind: 'part', room: rest } : usage('part');
    case 'rooms':
      return rest === '' ? { kind: 'rooms' } : usage('rooms');
    case 'members': {
      if (rest === '') return { kind: 'members', room: null };
      return /^#\S+$/.test(rest) ? { kind: 'members', room: rest } : usage('members');
    }
    case 'topic': {
      const topic = /^(#\S+)?\s*(.*)$/s.exec(rest)!;
      return { kind: 'topic', room: topic[1] ?? null, text: topic[2] === '' ? null : topic[2]! };
    }
    case 'kick': {
      // The room if one is named (before or after NAME), NAME, then the reason: the rest of the line, as irssi's /kick.
      const kick = /^(?:(#\S+)\s+)?([^#\s]\S*)(?:\s+(#\S+))?(?:\s+(.*))?$/s.exec(rest);
      if (kick === null || (kick[1] !== undefined && kick[3] !== undefined)) return usage('kick');
      return { kind: 'kick', room: kick[1] ?? kick[3] ?? null, name: kick[2]!, reason: (kick[4] ?? '').trim() };
    }
    case 'invite': {
      const words = rest.split(/\s+/).filter((w) => w !== '');
      const rooms = words.filter((w) => w.startsWith('#'));
      const names = words.filter((w) => !w.startsWith('#'));
      if (names.length !== 1 || rooms.length > 1) return usage(command);
      return { kind: command, room: rooms[0] ?? null, name: names[0]! };
    }
    case 'mode': {
      const mode = /^(?:(#\S+)\s+)?([+-])([ic])$/.exec(rest);
      return mode === null ? usage('mode') : { kind: 'mode', room: mode[1] ?? null, flag: mode[3] as 'i' | 'c', on: mode[2] === '+' };
    }
    case 'away':
      return { kind: 'away', message: rest };
    case 'back':
      return rest === '' ? { kind: 'away', message: '' } : { kind: 'invalid', message: 'usage: :back' };
    case 'timestamps':
      return rest === 'seconds' || rest === 'minutes' ? { kind: 'timestamps', seconds: rest === 'seconds' } : usage('timestamps');
    case 'play': {
      const words = rest.split(/\s+/).filter((w) => w !== '');
      const ffplay = words.includes('--ffplay');
      const names = words.filter((w) => w !== '--ffplay');
      if (names.length !== 1) return usage('play');
      return { kind: 'play', video: names[0]!, ffplay };
    }
    case 'watch': {
      const words = rest.split(/\s+/).filter((w) => w !== '');
      const rooms = words.filter((w) => w.startsWith('#'));
      const videos = words.filter((w) => !w.startsWith('#'));
      if (rooms.length > 1 || videos.length > 1) return usage('watch');
      return { kind: 'watch', video: videos[0] ?? null, room: rooms[0] ?? null };
    }
    case 'send': {
      const words = splitQuoted(rest);
      if (words === undefined || words.length === 0 || words.length > 2) return usage('send');
      return words.length === 1 ? { kind: 'send-file', to: null, path: words[0]! } : { kind: 'send-file', to: words[0]!, path: words[1]! };
    }
    case 'files':
      return rest === '' ? { kind: 'files', from: null } : /^\S+$/.test(rest) ? { kind: 'files', from: rest } : usage('files');
    case 'save':
      return parseSave(rest, false);
    case 'open':
      return /^[A-Za-z0-9_-]+$/.test(rest) ? { kind: 'open', id: rest } : usage('open');
    case 'seek': {
      const seconds = /^[+-]?\d+(?:\.\d+)?$/.test(rest) ? Number(rest) : NaN;
      return Number.isFinite(seconds) ? { kind: 'seek', seconds } : usage('seek');
    }
    case 'room':
    case 'close':
    case 'peers':
    case 'videos':
    case 'stop':
    case 'pause':
    case 'clear':
    case 'help':
    case 'quit':
      return rest === '' ? { kind: command } : usage(command);
    default: {
      const guess = closestCommand(word);
      const hint = guess === undefined ? 'try :help' : `did you mean :${guess}?`;
      return { kind: 'invalid', message: `unknown command :${word.slice(0, 32)} (${hint})` };
    }
  }
}

function parseSave(rest: string, overwrite: boolean): LineCommand {
  const words = splitQuoted(rest);
  if (words === undefined || words.length === 0 || words.length > 2 || !/^[A-Za-z0-9_-]+$/.test(words[0]!)) return usage('save');
  return { kind: 'save', id: words[0]!, path: words[1] ?? null, overwrite };
}

/** Words split at spaces, a "quoted word" kept whole; undefined for an unclosed quote. */
function splitQuoted(text: string): string[] | undefined {
  const words: string[] = [];
  const pattern = /"([^"]*)"|'([^']*)'|(\S+)/g;
  let consumed = 0;
  for (const match of text.matchAll(pattern)) {
    if (text.slice(consumed, match.index).trim() !== '') return undefined;
    words.push(match[1] ?? match[2] ?? match[3]!);
    consumed = match.index! + match[0].length;
  }
  if (text.slice(consumed).trim() !== '' || /^["']/.test(words.at(-1) ?? '')) return undefined;
  return words;
}

/** The command a mistyped word was most likely meant to be: at most two edits away. */
function closestCommand(word: string): string | undefined {
  let best: { name: string; distance: number } | undefined;
  for (const name of [...Object.keys(LINE_COMMANDS), ...Object.keys(ALIASES)]) {
    const distance = editDistance(word.toLowerCase().slice(0, 32), name);
    if (distance <= 2 && (best === undefined || distance < best.distance)) best = { name, distance };
  }
  return best?.name;
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit (qiut -> quit). */
function editDistance(a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let best = Math.min(rows[i - 1]![j]! + 1, rows[i]![j - 1]! + 1, rows[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) best = Math.min(best, rows[i - 2]![j - 2]! + 1);
      rows[i]![j] = best;
    }
  }
  return rows[a.length]![b.length]!;
}

function usage(command: LineCommandName): LineCommand {
  const [args] = LINE_COMMANDS[command];
  return { kind: 'invalid', message: `usage: :${command}${args === '' ? '' : ` ${args}`}` };
}

/** ":name args  what it does" lines for help screens. */
export function describeCommands(): string[] {
  return Object.entries(LINE_COMMANDS).map(([name, [args, what]]) => `:${name}${args === '' ? '' : ` ${args}`} - ${what}`);
}
