// Turns the view model into blessed-tagged text for each pane. Pure string building: every piece of
// peer-controlled text goes through escapeTags here, and nowhere else builds markup from it.
import { shortFingerprint } from '../core/fingerprint.js';
import { type ChatViewModel, type Conversation, type LogEntry, ROOM_ID, roomId } from './chat-view-model.js';
import type { InputLine } from './input-line.js';
import { ACTION_PREFIX } from '../client/line-command.js';
import { displayWidth, drawableGlyph, graphemeWidth, graphemes } from './display-width.js';
import { coloredName, escapeTags } from './markup.js';

export const UNREAD_MARKER = '──── new messages ────';
/** The nick column is as wide as the longest name shown, up to this many columns ("<" name ">"). */
export const NICK_COLUMN_MAX = 16;

/**
 * One logical log line: a prefix (time, then the nick column) and the text. Wrapped rows of the
 * text start under its first word. Pictures are preformatted: shown as they are, cut at the edge.
 */
export interface LogLine {
  readonly prefix: string;
  readonly body: string;
  readonly preformatted?: boolean;
}

/** How a conversation's lines are laid out: the nick column's width, and whether times show seconds. */
export interface LogStyle {
  readonly nickWidth: number;
  readonly seconds: boolean;
}

/** No column: each label as wide as it is (lines rendered on their own, outside a conversation). */
export const DEFAULT_LOG_STYLE: LogStyle = { nickWidth: 0, seconds: false };

function clock(ts: number, seconds: boolean): string {
  const date = new Date(ts);
  const two = (n: number) => String(n).padStart(2, '0');
  const minutes = `${two(date.getHours())}:${two(date.getMinutes())}`;
  return seconds ? `${minutes}:${two(date.getSeconds())}` : minutes;
}

function speakerLabel(entry: Extract<LogEntry, { kind: 'message' }>): string {
  return entry.isDirect ? `*${entry.from}*` : `<${entry.from}>`;
}

/** The nick column for a conversation: wide enough for every name in it, within NICK_COLUMN_MAX. */
export function logStyleFor(conversation: Conversation, seconds = false): LogStyle {
  let widest = '-!-'.length;
  for (const entry of conversation.entries) {
    if (entry.kind === 'message') widest = Math.max(widest, speakerLabel(entry).length);
  }
  return { nickWidth: Math.min(NICK_COLUMN_MAX, widest), seconds };
}

/** `label` right-aligned in the nick column, a name cut with "…" if it does not fit. */
function nickColumn(label: string, style: LogStyle, color: (text: string) => string): string {
  if (style.nickWidth === 0) return color(label);
  const fitted = label.length <= style.nickWidth ? label : `${label.slice(0, style.nickWidth - 2)}…${label.slice(-1)}`;
  return ' '.repeat(Math.max(0, style.nickWidth - [...fitted].length)) + color(fitted);
}

export function renderLogEntry(entry: LogEntry, style: LogStyle = DEFAULT_LOG_STYLE): LogLine[] {
  const time = `{gray-fg}${clock(entry.ts, style.seconds)}{/gray-fg} `;
  const column = (label: string, color: (text: string) => string) => `${time}${nickColumn(label, style, color)} `;
  switch (entry.kind) {
    case 'message': {
      const unverified = entry.verified ? '' : '{red-fg}{bold}[unverified]{/bold}{/red-fg} ';
      if (entry.text.startsWith(ACTION_PREFIX)) {
        // :me waves -> " * alice waves", as IRC clients show an action.
        const actor = entry.isOwn ? `{bold}${coloredName(entry.from)}{/bold}` : coloredName(entry.from);
        const action = escapeTags(entry.text.slice(ACTION_PREFIX.length));
        const star = entry.isDirect ? '{magenta-fg}*{/magenta-fg}' : '*';
        return [{ prefix: column('*', () => star), body: `${unverified}${actor} ${highlighted(entry, action)}${deliveryMark(entry)}` }];
      }
      // Room lines read <name>, DM lines *name* in magenta: the two never look alike.
      const name = (fitted: string) => {
        const inner = fitted.slice(1, -1);
        const colored = entry.isOwn ? `{bold}${coloredName(inner)}{/bold}` : coloredName(inner);
        return entry.isDirect ? `{magenta-fg}*{/magenta-fg}${colored}{magenta-fg}*{/magenta-fg}` : `<${colored}>`;
      };
      return [{ prefix: column(speakerLabel(entry), name), body: `${unverified}${highlighted(entry, escapeTags(entry.text))}${deliveryMark(entry)}` }];
    }
    case 'system':
      return [{ prefix: column('-!-', (t) => `{gray-fg}${t}{/gray-fg}`), body: `{gray-fg}${escapeTags(entry.text)}{/gray-fg}` }];
    case 'warning':
      return [
        { prefix: column('!!!', (t) => `{yellow-fg}{bold}${t}{/bold}{/yellow-fg}`), body: `{yellow-fg}{bold}${escapeTags(entry.text)}{/bold}{/yellow-fg}` },
      ];
    case 'error':
      // Three columns like -!- and !!! (weechat's =!=): a wider label was cut to "e…:" in a log
      // whose nick column is three wide.
      return [{ prefix: column('=!=', (t) => `{red-fg}{bold}${t}{/bold}{/red-fg}`), body: `{red-fg}${escapeTags(entry.text)}{/red-fg}` }];
    case 'image': {
      // The picture's escapes are ours (terminal-image output); only the caption needs escaping.
      const caption: LogLine = { prefix: column('-!-', (t) => `{gray-fg}${t}{/gray-fg}`), body: `{gray-fg}${escapeTags(entry.caption)}{/gray-fg}` };
      const under = ' '.repeat(clock(entry.ts, style.seconds).length + 1 + style.nickWidth + 1);
      return [caption, ...entry.ansi.split('\n').map((row) => ({ prefix: under, body: row.replace(/\{|\}/g, ''), preformatted: true }))];
    }
  }
}

/** A line that names you stands out (bold yellow), as weechat draws a highlight. */
function highlighted(entry: Extract<LogEntry, { kind: 'message' }>, text: string): string {
  return entry.highlight === true && !entry.isDirect ? `{yellow-fg}{bold}${text}{/bold}{/yellow-fg}` : text;
}

/** Our line's delivery state: yellow while waiting, gray once settled, red when someone did not get it. */
function deliveryMark(entry: Extract<LogEntry, { kind: 'message' }>): string {
  const held = entry.held === true ? ' {yellow-fg}(held: received while the key was unconfirmed){/yellow-fg}' : '';
  if (entry.delivery === undefined) return entry.isQueued === true ? ' {yellow-fg}(queued: offline){/yellow-fg}' : held;
  const text = escapeTags(entry.delivery.text);
  if (entry.delivery.failed) return ` {red-fg}(${text}){/red-fg}`;
  return entry.delivery.done ? ` {gray-fg}(${text}){/gray-fg}` : ` {yellow-fg}(${text}){/yellow-fg}`;
}

function dayOf(ts: number): string {
  return new Date(ts).toDateString();
}

function dayChangeLine(ts: number): LogLine {
  const day = new Date(ts).toLocaleDateString('en-GB', { weekday: 'long', day: 'numeric', month: 'long', year: 'numeric' });
  return { prefix: '', body: `{gray-fg}──── ${day} ────{/gray-fg}` };
}

/** A conversation's lines: its entries, the unread marker, and a line where the day changes. */
export function renderLog(conversation: Conversation, seconds = false): LogLine[] {
  const style = logStyleFor(conversation, seconds);
  const lines: LogLine[] = [];
  let previousDay: string | null = null;
  conversation.entries.forEach((entry, index) => {
    const day = dayOf(entry.ts);
    if (previousDay !== null && day !== previousDay) lines.push(dayChangeLine(entry.ts));
    previousDay = day;
    if (index === conversation.unreadMarker) lines.push({ prefix: '', body: `{yellow-fg}${UNREAD_MARKER}{/yellow-fg}` });
    lines.push(...renderLogEntry(entry, style));
  });
  return lines;
}

/**
 * The activity bar: every conversation with its Alt+N number, unread count and highlights
 * ("3:bob 2!1" = 2 unread, 1 naming you or a DM), the open one inverse: which Alt+N is which, and
 * where something waits.
 */
export function renderActivityBar(model: ChatViewModel): string {
  return activityItems(model)
    .map((item) => item.tagged)
    .join(ACTIVITY_GAP);
}

/** The conversation drawn at a column of the activity bar (0-based, within the bar), if any. */
export function activityAt(model: ChatViewModel, column: number): string | undefined {
  let start = 0;
  for (const item of activityItems(model)) {
    if (column >= start && column < start + item.width) return item.id;
    start += item.width + ACTIVITY_GAP.length;
  }
  return undefined;
}

const ACTIVITY_GAP = '  ';

function activityItems(model: ChatViewModel): Array<{ id: string; tagged: string; width: number }> {
  return model.order.map((id, index) => {
    const conversation = model.conversations.get(id)!;
    const title = id === ROOM_ID ? '#room' : conversation.title;
    const label = `${index + 1}:${title}`;
    const counts =
      conversation.unread === 0 ? '' : conversation.highlights > 0 ? `${conversation.unread}!${conversation.highlights}` : `${conversation.unread}`;
    const countsTagged =
      counts === '' ? '' : conversation.highlights > 0 ? ` {yellow-fg}{bold}${counts}{/bold}{/yellow-fg}` : ` {yellow-fg}${counts}{/yellow-fg}`;
    const labelTagged = id === model.current ? `{inverse}${escapeTags(label)}{/inverse}` : `{cyan-fg}${escapeTags(label)}{/cyan-fg}`;
    return { id, tagged: `${labelTagged}${countsTagged}`, width: displayWidth(label) + (counts === '' ? 0 : counts.length + 1) };
  });
}

/** The terminal title: unread lines and highlights waiting in other conversations. */
export function terminalTitle(model: ChatViewModel): string {
  const { unread, highlights } = model.totals();
  if (unread === 0) return 'tui-chat';
  return highlights > 0 ? `tui-chat (${unread}, ${highlights}!)` : `tui-chat (${unread})`;
}

export function logLabel(model: ChatViewModel): string {
  const room = model.currentRoom === undefined ? undefined : model.rooms.find((r) => r.name === model.currentRoom);
  const topic = room === undefined || room.topic === '' ? '' : ` ─ ${escapeTags(room.topic)}`;
  return ` ${escapeTags(model.currentLabel)}${topic} `;
}

/**
 * The rooms list above the peers: the lobby and each room we are in, with its Alt+N number and its
 * unread and highlight counts ("2 #dev 3!1"), the open one inverse.
 */
export function renderRoomList(model: ChatViewModel, width = Number.POSITIVE_INFINITY): string {
  const rows = [
    { id: ROOM_ID, name: '#room', inviteOnly: false },
    ...model.rooms.map((room) => ({ id: roomId(room.name), name: room.name, inviteOnly: room.inviteOnly })),
  ];
  return rows
    .map(({ id, name, inviteOnly }) => {
      const conversation = model.conversations.get(id);
      const number = model.order.indexOf(id) + 1;
      const unread = conversation?.unread ?? 0;
      const highlights = conversation?.highlights ?? 0;
      const countsText = unread === 0 ? '' : highlights > 0 ? ` ${unread}!${highlights}` : ` ${unread}`;
      const counts = unread === 0 ? '' : highlights > 0 ? ` {yellow-fg}{bold}${unread}!${highlights}{/bold}{/yellow-fg}` : ` {yellow-fg}${unread}{/yellow-fg}`;
      const numberText = number > 0 ? `${number} ` : '';
      const fitted = fitName(name, Math.max(3, width - numberText.length - (inviteOnly ? 3 : 0) - countsText.length));
      const label = `${numberText}${escapeTags(fitted)}${inviteOnly ? ' {gray-fg}+i{/gray-fg}' : ''}`;
      return id === model.current ? `{inverse}${label}{/inverse}${counts}` : `{cyan-fg}${label}{/cyan-fg}${counts}`;
    })
    .join('\n');
}

/** The room on a row of the rooms list (0-based), as a conversation id. */
export function roomAtRow(model: ChatViewModel, row: number): string | undefined {
  if (row === 0) return ROOM_ID;
  const room = model.rooms[row - 1];
  return room === undefined ? undefined : roomId(room.name);
}

/**
 * Columns of the left column (rooms and peers): a quarter of the screen, between 16 and 30. A
 * quarter alone took 50 columns at 200 wide, all of it empty past a 32-character name.
 */
export function sidebarColumns(screenWidth: number): number {
  return Math.max(16, Math.min(30, Math.floor(screenWidth / 4)));
}

/** A name cut to `columns`, the cut shown with "…" (names are ASCII: a character is a column). */
function fitName(name: string, columns: number): string {
  return name.length <= columns ? name : `${name.slice(0, Math.max(1, columns - 1))}…`;
}

/**
 * One row per peer listed (everyone, or the open room's members: model.listed): cursor, marks, @
 * for a room's operator, name, unread count, within `width` columns: a long name is cut with "…"
 * so that what follows it ((you), (away), the unread count) still shows.
 */
export function renderPeerList(model: ChatViewModel, width = Number.POSITIVE_INFINITY): string {
  const inRoom = model.listed !== model.peers;
  return model.listed
    .map((peer, index) => {
      // Three states that never look alike: verified, changed (loud), and trusted on first use only.
      const [mark, markWidth] =
        peer.trust === 'changed'
          ? ['{white-fg}{red-bg}{bold}!KEY{/bold}{/red-bg}{/white-fg}', 4]
          : peer.verified
            ? ['{green-fg}✓{/green-fg}', 1]
            : peer.isSelf
              ? [' ', 1]
              : ['{gray-fg}?{/gray-fg}', 1];
      const unread = model.unreadFor(peer.name);
      const countText = unread > 0 ? ` (${unread})` : '';
      const count = unread > 0 ? ` {yellow-fg}{bold}(${unread}){/bold}{/yellow-fg}` : '';
      const self = peer.isSelf ? ' {gray-fg}(you){/gray-fg}' : '';
      // A name that looks like another (a1ice next to alice) is flagged where it is listed.
      const lookalikeText = peer.lookalikeOf === undefined ? '' : ` ≈${peer.lookalikeOf}`;
      const lookalike = peer.lookalikeOf === undefined ? '' : ` {yellow-fg}{bold}≈${escapeTags(peer.lookalikeOf)}{/bold}{/yellow-fg}`;
      const isOpen = !peer.isSelf && model.currentPeer?.toLowerCase() === peer.name.toLowerCase();
      const pointer = isOpen ? '{cyan-fg}▸{/cyan-fg}' : ' ';
      const stateText = !peer.online ? ' (offline)' : peer.awayMessage !== undefined ? ' (away)' : '';
      const op = peer.op === true ? '{green-fg}{bold}@{/bold}{/green-fg}' : '';
      const fixed = 1 + markWidth + 1 + (op === '' ? 0 : 1) + stateText.length + (peer.isSelf ? ' (you)'.length : 0) + lookalikeText.length + countText.length;
      const fitted = fitName(peer.name, Math.max(3, width - fixed));
      // Offline users (registered, not connected) are listed dimmed: messages to them wait on the
      // server. Someone who set an away message is online but says they are not there.
      const name = !peer.online
        ? `{gray-fg}${escapeTags(fitted)} (offline){/gray-fg}`
        : peer.awayMessage !== undefined
          ? `${coloredName(peer.name, fitted)} {yellow-fg}(away){/yellow-fg}`
          : coloredName(peer.name, fitted);
      const row = `${pointer}${mark} ${op}${name}${self}${lookalike}${count}`;
      const selected = model.focus === 'peers' && index === model.peerCursor;
      return selected ? `{inverse}${row}{/inverse}` : row;
    })
    .concat(!inRoom && model.longGone > 0 ? [`{gray-fg}  +${model.longGone} not seen in 14 days{/gray-fg}`] : [])
    .join('\n');
}

/** The peer list's title: whose list it is (the room's members, counted, or everyone's), and its keys when focused. */
export function peerListLabel(model: ChatViewModel): string {
  const room = model.listed === model.peers ? undefined : model.currentRoom;
  const whose = room === undefined ? 'peers' : `${escapeTags(room)}: ${model.listed.length} ${model.listed.length === 1 ? 'member' : 'members'}`;
  return model.focus === 'peers' ? ` ${whose}: ↑↓ Enter, Esc ` : ` ${whose} `;
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
export function renderStatus(model: ChatViewModel, info: StatusInfo, width = Number.POSITIVE_INFINITY, now = Date.now()): string {
  const link = model.link;
  // Counted down to the attempt's time; a state given only its delay counts from now.
  const retryAt = link.retryAt ?? (link.retryInMs === undefined ? undefined : now + link.retryInMs);
  const state =
    link.state === 'online'
      ? model.clusterDegraded
        ? '{yellow-fg}{bold}online, cluster degraded{/bold}{/yellow-fg}'
        : '{green-fg}online{/green-fg}'
      : link.state === 'connecting'
        ? '{yellow-fg}connecting…{/yellow-fg}'
        : link.state === 'offline'
          ? `{red-fg}{bold}offline{/bold}${retryAt === undefined ? '' : ` (retry in ${Math.max(0, Math.ceil((retryAt - now) / 1000))}s)`}{/red-fg}`
          : '{red-fg}{bold}disconnected{/bold}{/red-fg}';
  const where = escapeTags(model.currentLabel);
  // [text, priority to keep (higher stays longer), joins the field before with a space not a bar]
  const fields: Array<readonly [string, number, boolean]> = [
    [escapeTags(info.server), 3, false],
    [escapeTags(model.selfName), 5, false],
    ...(model.selfAway === '' ? [] : [['{yellow-fg}(away){/yellow-fg}', 6, true] as const]),
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
 * The prompt and the text, wrapped to the width by display width (an emoji or 日 takes two
 * columns), with the cursor drawn as an inverse cell. At most maxRows rows are shown: the ones
 * around the cursor. Each row is self-contained tagged text.
 */
export function renderInput(input: InputLine, prompt: string, width: number, maxRows: number): RenderedInput {
  const usable = Math.max(2, width);
  const promptChars = graphemes(prompt);
  const chars = [...promptChars, ...graphemes(input.text), ' '];
  const cursorAt = promptChars.length + input.cursor;
  const rows: string[] = [];
  let row = '';
  let used = 0;
  let cursorRow = 0;
  chars.forEach((char, index) => {
    // A pasted line break shows as ↵ and the text goes on, as one message.
    const shown = char === '\n' ? '↵' : drawableGlyph(char);
    const columns = graphemeWidth(shown);
    if (used + columns > usable) {
      rows.push(row);
      row = '';
      used = 0;
    }
    const text = char === '\n' ? '{cyan-fg}↵{/cyan-fg}' : escapeTags(shown);
    if (index === cursorAt) {
      cursorRow = rows.length;
      row += `{inverse}${text}{/inverse}`;
    } else row += index < promptChars.length ? `{cyan-fg}${text}{/cyan-fg}` : text;
    used += columns;
  });
  rows.push(row);
  const first = Math.max(0, Math.min(cursorRow - maxRows + 1, rows.length - maxRows));
  const shown = rows.slice(first, first + maxRows);
  return { content: shown.join('\n'), rows: shown.length };
}
