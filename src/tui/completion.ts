// Tab completion of peer names, '#' room names, ':' commands, video names after :play, and file
// paths after :send, cycling through matches on repeated Tab.
import type { InputLine } from './input-line.js';

export interface CompletionSource {
  readonly peers: readonly string[];
  readonly commands: readonly string[];
  /** Video names the server listed (the last :videos): what `:play` completes. */
  readonly videos?: readonly string[];
  /** Room names known (joined, or in the last :rooms): what a word starting with '#' completes. */
  readonly rooms?: readonly string[];
  /** A folder's entries (`~` already expanded): what a path after `:send` completes. */
  readonly listDirectory?: (folder: string) => ReadonlyArray<{ readonly name: string; readonly isFolder: boolean }>;
}

/** Commands whose argument is a video name, not a peer. */
const VIDEO_COMMANDS = /^[:/](?:play|watch)\s+/;
/** `:send PATH` or `:send NAME PATH`: the word is a path when it looks like one or is the second argument. */
const SEND_COMMAND = /^[:/]send\s+(\S+\s+)?$/;

interface Cycle {
  readonly start: number;
  readonly candidates: readonly string[];
  index: number;
  /** The text the last completion produced: any other edit ends the cycle. */
  produced: string;
}

export class Completer {
  private cycle: Cycle | undefined;

  /** Completes the word before the cursor; returns false when nothing matches. */
  complete(input: InputLine, source: CompletionSource): boolean {
    if (this.cycle !== undefined && this.cycle.produced === input.text) {
      const cycle = this.cycle;
      cycle.index = (cycle.index + 1) % cycle.candidates.length;
      input.replaceBeforeCursor(cycle.start, cycle.candidates[cycle.index]!);
      cycle.produced = input.text;
      return true;
    }
    const { word, start } = input.wordBeforeCursor();
    const before = input.text.slice(0, start);
    const sendArgument = SEND_COMMAND.exec(before);
    if (sendArgument !== null && (sendArgument[1] !== undefined || /^[~./]/.test(word)) && source.listDirectory !== undefined) {
      return this.start(input, start, completePath(word, source.listDirectory));
    }
    const isCommand = start === 0 && word.startsWith(':');
    const isVideo = VIDEO_COMMANDS.test(input.text.slice(0, start));
    const pool = isCommand
      ? source.commands.map((c) => `:${c}`)
      : word.startsWith('#')
        ? [...new Set(source.rooms ?? [])]
        : isVideo
          ? (source.videos ?? [])
          : source.peers;
    const prefix = word.toLowerCase();
    const matches = pool.filter((candidate) => candidate.toLowerCase().startsWith(prefix)).sort();
    if (matches.length === 0 || word === '') return false;
    // A nick first on the line is an address, as weechat completes it: "bob: ".
    const addressing = start === 0 && !isCommand && !word.startsWith('#') && !isVideo;
    return this.start(
      input,
      start,
      matches.map((m) => (addressing ? `${m}: ` : `${m} `)),
    );
  }

  private start(input: InputLine, start: number, candidates: readonly string[]): boolean {
    if (candidates.length === 0) return false;
    input.replaceBeforeCursor(start, candidates[0]!);
    this.cycle = { start, candidates, index: 0, produced: input.text };
    return true;
  }

  /** Any key other than Tab ends the cycle. */
  reset(): void {
    this.cycle = undefined;
  }
}

/** Paths that `word` starts, as typed (a leading `~` kept): folders end in '/', files in a space. */
function completePath(word: string, listDirectory: NonNullable<CompletionSource['listDirectory']>): string[] {
  const slash = word.lastIndexOf('/');
  const folderAsTyped = slash < 0 ? '' : word.slice(0, slash + 1);
  const folder = folderAsTyped === '' ? '.' : folderAsTyped;
  const prefix = word.slice(slash + 1);
  let entries: ReturnType<typeof listDirectory>;
  try {
    entries = listDirectory(folder);
  } catch {
    return [];
  }
  return entries
    .filter((entry) => entry.name.startsWith(prefix) && (prefix.startsWith('.') || !entry.name.startsWith('.')))
    .map((entry) => `${folderAsTyped}${entry.name}${entry.isFolder ? '/' : ' '}`)
    .sort();
}
