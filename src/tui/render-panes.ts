// Turns the view model into blessed-tagged text for each pane. Pure string building: every piece of
// peer-controlled text goes through escapeTags here, and nowhere else builds markup from it.
import { shortFingerprint } from '../core/fingerprint.js';
import type { ChatViewModel, Conversation, LogEntry } from './chat-view-model.js';
import type { InputLine } from './input-line.js';
import { coloredName, escapeTags } from './markup.js';

export const UNREAD_MARKER = '──── new messages ────';

function clock(ts: number): string {
  const date = new Date(ts);
  return `${String(date.getHours()).padStart(2, '0')}:${String(date.getMinutes()).padStart(2, '0')}`;
}

export function renderLogEntry(entry: LogEntry): string {
  const time = `{gray-fg}${clock(entry.ts)}{/gray-fg}`;
  // Continuation lines of a multi-line message are indented under the text, not the timestamp.
  const indent = (text: string) => escapeTags(text).replace(/\n/g, '\n      ');
  switch (entry.kind) {
    case 'message': {
      const name = entry.isOwn ? `{bold}${coloredName(entry.from)}{/bold}` : coloredName(entry.from);
      const unverified = entry.verified ? '' : '{red-fg}{bold}[unverified]{/bold}{/red-fg} ';
      const queued = deliveryMark(entry);
      // Room lines read <name>, DM lines *name* in magenta: the two never look alike.
      const speaker = entry.isDirect ? `{magenta-fg}*{/magenta-fg}${name}{magenta-fg}*{/magenta-fg}` : `<${name}>`;
      return `${time} ${unverified}${speaker} ${indent(entry.text)}${queued}`;
    }
    case 'system':
      return `${time} {gray-fg}-!- ${indent(entry.text)}{/gray-fg}`;
    case 'warning':
      return `${time} {yellow-fg}{bold}!!! ${indent(entry.text)}{/bold}{/yellow-fg}`;
    case 'error':
      return `${time} {red-fg}error: ${indent(entry.text)}{/red-fg}`;
    case 'image':
      // The picture's escapes are ours (terminal-image output); only the caption needs escaping.
      return `${time} {gray-fg}-!- ${escapeTags(entry.caption)}{/gray-fg}\n${entry.ansi.replace(/\{|\}/g, '').replace(/^/gm, '      ')}`;
  }
}

/** Our line's delivery state: yellow while waiting, gray once settled, red when someone did not get it. */
function deliveryMark(entry: Extract<LogEntry, { kind: 'message' }>): string {
  const held = entry.held === true ? ' {yellow-fg}(held: received while the key was unconfirmed){/yellow-fg}' : '';
  if (entry.delivery === undefined) return entry.isQueued === true ? ' {yellow-fg}(queued: offline){/yellow-fg}' : held;
  const text = escapeTags(entry.delivery.text);
  if (entry.delivery.failed) return ` {red-fg}(${text}){/red-fg}`;
  return entry.delivery.done ? ` {gray-fg}(${text}){/gray-fg}` : ` {yellow-fg}(${text}){/yellow-fg}`;
}

export function renderLog(conversation: Conversation): string {
  const lines: string[] = [];
  conversation.entries.forEach((entry, index) => {
    if (index === conversation.unreadMarker) lines.push(`{yellow-fg}${UNREAD_MARKER}{/yellow-fg}`);
    lines.push(renderLogEntry(entry));
  });
  return lines.join('\n');
}

export function logLabel(model: ChatViewModel): string {
  const peer = model.currentPeer;
  return peer === null ? ' #room ' : ` DM ${escapeTags(peer)} `;
}

/** One row per peer: cursor, marks, name, unread count. */
export function renderPeerList(model: ChatViewModel): string {
  return model.peers
    .map((peer, index) => {
      // Three states that never look alike: verified, changed (loud), and trusted on first use only.
      const mark =
        peer.trust === 'changed'
          ? '{white-fg}{red-bg}{bold}!KEY{/bold}{/red-bg}{/white-fg}'
          : peer.verified
            ? '{green-fg}✓{/green-fg}'
            : peer.isSelf
              ? ' '
              : '{gray-fg}?{/gray-fg}';
      const unread = model.unreadFor(peer.name);
      const count = unread > 0 ? ` {yellow-fg}{bold}(${unread}){/bold}{/yellow-fg}` : '';
      const self = peer.isSelf ? ' {gray-fg}(you){/gray-fg}' : '';
      // A name that looks like another (a1ice next to alice) is flagged where it is listed.
      const lookalike = peer.lookalikeOf === undefined ? '' : ` {yellow-fg}{bold}≈${escapeTags(peer.lookalikeOf)}{/bold}{/yellow-fg}`;
      const isOpen = !peer.isSelf && model.currentPeer?.toLowerCase() === peer.name.toLowerCase();
      const pointer = isOpen ? '{cyan-fg}▸{/cyan-fg}' : ' ';
      // Away users (registered, not connected) are listed dimmed: messages to them wait on the server.
      const name = peer.online ? coloredName(peer.name) : `{gray-fg}${escapeTags(peer.name)} (away){/gray-fg}`;
      const row = `${pointer}${mark} ${name}${self}${lookalike}${count}`;
      const selected = model.focus === 'peers' && index === model.peerCursor;
      return selected ? `{inverse}${row}{/inverse}` : row;
    })
    .join('\n');
}

export interface StatusInfo {
  readonly server: string;
  readonly fingerprint: string;
}

/**
 * The status bar, fitted to `width` columns by dropping whole fields, least needed first (the help
 * hint, the fingerprint, the server, what plays, your name), never cutting one in the middle: the
 * link state and the conversation always show.
 */
export function renderStatus(model: ChatViewModel, info: StatusInfo, width = Number.POSITIVE_INFINITY): string {
  const link = model.link;
  const state =
    link.state === 'online'
      ? model.clusterDegraded
        ? '{yellow-fg}{bold}online, cluster degraded{/bold}{/yellow-fg}'
        : '{green-fg}online{/green-fg}'
      : link.state === 'connecting'
        ? '{yellow-fg}connecting…{/yellow-fg}'
        : link.state === 'offline'
          ? `{red-fg}{bold}offline{/bold}${link.retryInMs === undefined ? '' : ` (retry in ${Math.ceil(link.retryInMs / 1000)}s)`}{/red-fg}`
          : '{red-fg}{bold}disconnected{/bold}{/red-fg}';
  const where = model.currentPeer === null ? '#room' : `DM ${escapeTags(model.currentPeer)}`;
  // [text, priority to keep (higher stays longer), joins the field before with a space not a bar]
  const fields: Array<readonly [string, number, boolean]> = [
    [escapeTags(info.server), 3, false],
    [escapeTags(model.selfName), 5, false],
    [shortFingerprint(info.fingerprint), 2, true],
    [state, 9, false],
    [where, 8, false],
    ...(model.playing === null ? [] : [[`▶ ${escapeTags(model.playing)}`, 4, false] as const]),
    ['F1 help', 1, false],
  ];
  const join = (kept: ReadonlyArray<readonly [string, number, boolean]>) =>
    ` ${kept.map(([text, , attached], i) => (i === 0 ? text : `${attached ? ' ' : ' │ '}${text}`)).join('')}`;
  let kept = fields;
  for (const priority of [1, 2, 3, 4, 5]) {
    if (visibleLength(join(kept)) <= width) break;
    kept = kept.filter(([, p]) => p !== priority);
  }
  return join(kept);
}

/** Columns a tagged string takes on screen: tags take none, {open}/{close} one. */
function visibleLength(tagged: string): number {
  return [...tagged.replace(/\{(open|close)\}/g, 'x').replace(/\{[^{}]*\}/g, '')].length;
}

export interface RenderedInput {
  readonly content: string;
  readonly rows: number;
}

/**
 * The prompt and the text, wrapped to the width, with the cursor drawn as an inverse cell.
 * At most maxRows rows are shown: the ones around the cursor.
 */
export function renderInput(input: InputLine, prompt: string, width: number, maxRows: number): RenderedInput {
  const usable = Math.max(1, width);
  const chars = [...prompt, ...input.text, ' '];
  const cursorAt = [...prompt].length + input.cursor;
  const rows: string[] = [];
  let cursorRow = 0;
  for (let start = 0; start < chars.length; start += usable) {
    const slice = chars.slice(start, start + usable);
    const row = slice
      .map((char, offset) => {
        const index = start + offset;
        const text = escapeTags(char);
        if (index === cursorAt) return `{inverse}${text}{/inverse}`;
        return index < [...prompt].length ? `{cyan-fg}${text}{/cyan-fg}` : text;
      })
      .join('');
    if (cursorAt >= start && cursorAt < start + usable) cursorRow = rows.length;
    rows.push(row);
  }
  const first = Math.max(0, Math.min(cursorRow - maxRows + 1, rows.length - maxRows));
  const shown = rows.slice(first, first + maxRows);
  return { content: shown.join('\n'), rows: shown.length };
}
