// Everything the TUI shows, as plain data: conversations (the lobby, each named room we are in, and
// one per DM peer) with their logs, unread counts and unread markers, the rooms and peer lists
// (peer-lists.ts: the server's, or the open room's members), the peer cursor, focus, and the
// status line.
// Pure and synchronous; tui-app.ts feeds it session events and draws it.
import type { ChatMessageEvent, PeerView } from '../client/chat-session.js';
import type { RoomView } from '../core/messages.js';
import { RoomVideos } from '../client/room-videos.js';
import { LOBBY_NAME, isRoomTarget } from '../core/room-names.js';
import {
  type Conversation,
  type ConversationId,
  type Focus,
  type LinkStatus,
  type LogEntry,
  MAX_LOG_ENTRIES,
  ROOM_ID,
  SEARCH_RESULTS_SHOWN,
  conversationOf,
  dmId,
  isNamedRoom,
  mentions,
  roomId,
  titleOf,
} from './conversations.js';

import { type ListedPeer, roomMembers, serverPeers } from './peer-lists.js';

export * from './conversations.js';
export { LONG_GONE_MS } from './peer-lists.js';

export class ChatViewModel {
  readonly conversations = new Map<ConversationId, Conversation>();
  /** Conversation order for Alt+1..9 and Ctrl+N/P: the room first, then DMs as they opened. */
  readonly order: ConversationId[] = [];
  current: ConversationId = ROOM_ID;
  focus: Focus = 'input';
  peers: PeerView[] = [];
  /** Everyone the client knows of, long gone too (a room's members are looked up here). */
  private everyone: readonly PeerView[] = [];
  /** Registered users left out of `peers`: not seen for LONG_GONE_MS, no DM open with them. */
  longGone = 0;
  /** The named rooms we are in (the lobby is always there, above them). */
  rooms: RoomView[] = [];
  /** Rooms we were kicked from whose windows stay open. */
  private readonly kickedFrom = new Set<ConversationId>();
  /** Room names from the last `:rooms`, for completion. */
  listedRooms: string[] = [];
  /** What each room is watching together now, for `:watch`. */
  readonly watching = new RoomVideos();
  peerCursor = 0;
  link: LinkStatus = { state: 'connecting' };
  /** Our own away message ('' when not away): the status bar says so. */
  selfAway = '';
  /** The server we are on lost its link to the rest of its cluster: only its own users are reachable. */
  clusterDegraded = false;
  playing: string | null = null;
  helpVisible = false;
  /** Times in the log show seconds (:timestamps seconds). */
  showSeconds = false;
  /** Called for each incoming line that should ring the bell: a DM, or a line that names you. */
  onHighlight: (conversation: Conversation) => void = () => {};

  constructor(
    public selfName: string,
    private readonly now: () => number = Date.now,
  ) {
    this.ensure(ROOM_ID, 'room');
  }

  get currentConversation(): Conversation {
    return this.conversations.get(this.current)!;
  }

  /** The DM peer of the current conversation, or null in the lobby or a room. */
  get currentPeer(): string | null {
    return this.current.startsWith('dm:') ? this.currentConversation.title : null;
  }

  /** Where a plain line typed now goes: null for the lobby, '#name' for a room, else the DM peer. */
  get currentTarget(): string | null {
    return this.current === ROOM_ID ? null : this.currentConversation.title;
  }

  /** The named room open now, if one is. */
  get currentRoom(): string | undefined {
    return isNamedRoom(this.current) ? this.currentConversation.title : undefined;
  }

  /** How the open conversation is named in the log's label, the prompt and the status bar. */
  get currentLabel(): string {
    if (this.current === ROOM_ID) return LOBBY_NAME;
    return isNamedRoom(this.current) ? this.currentConversation.title : `DM ${this.currentConversation.title}`;
  }

  // ---- incoming ------------------------------------------------------------------------------

  addIncoming(message: ChatMessageEvent): void {
    const { id, title } = conversationOf(message.to, message.from);
    const conversation = this.ensure(id, title);
    const isDirect = !isRoomTarget(message.to);
    const highlight = isDirect || mentions(message.text, this.selfName);
    this.append(
      conversation,
      {
        kind: 'message',
        ts: message.ts,
        from: message.from,
        text: message.text,
        isOwn: false,
        verified: message.verified,
        isDirect,
        ...(message.held === true ? { held: true } : {}),
        ...(highlight ? { highlight: true } : {}),
      },
      true,
    );
    if (!highlight) return;
    if (conversation.id !== this.current) conversation.highlights++;
    this.onHighlight(conversation);
  }

  /** Unread lines and highlights over every conversation (for the terminal title). */
  totals(): { unread: number; highlights: number } {
    let unread = 0;
    let highlights = 0;
    for (const id of this.order) {
      const conversation = this.conversations.get(id)!;
      unread += conversation.unread;
      highlights += conversation.highlights;
    }
    return { unread, highlights };
  }

  addOutgoing(to: string | null, text: string, isQueued: boolean, id?: string): void {
    const { id: conversationId, title } = conversationOf(to, to ?? '');
    const conversation = this.ensure(conversationId, title);
    this.append(
      conversation,
      {
        kind: 'message',
        ts: this.now(),
        from: this.selfName,
        text,
        isOwn: true,
        verified: true,
        isDirect: !isRoomTarget(to),
        ...(isQueued ? { isQueued } : {}),
        ...(id === undefined ? {} : { id, delivery: { text: isQueued ? 'queued: offline' : 'sending…', failed: false, done: false } }),
      },
      false,
    );
  }

  /** A line from an earlier run, from the history on disk: shown, not counted as unread. */
  addFromHistory(record: {
    from: string;
    to: string | null;
    text: string;
    ts: number;
    isOwn: boolean;
    /** Our message's id and where it stands, when it is still tracked: its mark then updates in place. */
    id?: string;
    delivery?: { readonly text: string; readonly failed: boolean; readonly done: boolean };
  }): void {
    const { id: conversationId, title } = conversationOf(record.to, record.isOwn ? (record.to ?? '') : record.from);
    const conversation = this.ensure(conversationId, title);
    this.append(
      conversation,
      {
        kind: 'message',
        ts: record.ts,
        from: record.from,
        text: record.text,
        isOwn: record.isOwn,
        verified: true,
        isDirect: !isRoomTarget(record.to),
        fromHistory: true,
        ...(record.id === undefined ? {} : { id: record.id }),
        ...(record.delivery === undefined ? {} : { delivery: record.delivery }),
      },
      false,
    );
  }

  /** Where one of our messages stands: its line is updated in place. Returns false if it is not shown. */
  setDelivery(id: string, delivery: { readonly text: string; readonly failed: boolean; readonly done: boolean }): boolean {
    for (const conversation of this.conversations.values()) {
      for (let index = conversation.entries.length - 1; index >= 0; index--) {
        const entry = conversation.entries[index]!;
        if (entry.kind !== 'message' || entry.id !== id) continue;
        conversation.entries[index] = { ...entry, isQueued: false, delivery };
        return true;
      }
    }
    return false;
  }

  /** A line about the chat itself (join, leave, state); goes to the given or current conversation. */
  addSystem(text: string, kind: 'system' | 'error' | 'warning' = 'system', conversation: ConversationId = this.current): void {
    this.append(this.ensure(conversation, titleOf(conversation)), { kind, ts: this.now(), text }, false);
  }

  /** A line updated in place (a transfer's progress): the one with this key, or a new one. */
  setLine(key: string, text: string, conversation: ConversationId, kind: 'system' | 'error' = 'system'): void {
    const entries = this.ensure(conversation, titleOf(conversation)).entries;
    const at = entries.findIndex((entry) => entry.kind !== 'message' && entry.kind !== 'image' && entry.key === key);
    if (at >= 0) entries[at] = { kind, ts: entries[at]!.ts, text, key };
    else this.append(this.ensure(conversation, titleOf(conversation)), { kind, ts: this.now(), text, key }, false);
  }

  addImage(caption: string, ansi: string, conversation: ConversationId = this.current): void {
    this.append(this.ensure(conversation, titleOf(conversation)), { kind: 'image', ts: this.now(), caption, ansi }, false);
  }

  /** The named rooms we are in now; each one's conversation is listed (a new one opens at the end). */
  setRooms(rooms: readonly RoomView[]): void {
    // A room we are no longer in (kicked while away: the welcome no longer lists it) leaves the list,
    // unless we were kicked from it here: its window stays open with the kick in it.
    const kept = new Set(rooms.map((room) => roomId(room.name)));
    for (const id of kept) this.kickedFrom.delete(id);
    for (const gone of this.rooms.filter((room) => !kept.has(roomId(room.name)) && !this.kickedFrom.has(roomId(room.name)))) this.leftRoom(gone.name);
    this.rooms = [...rooms].sort((a, b) => a.name.localeCompare(b.name));
    for (const room of this.rooms) {
      const conversation = this.ensure(roomId(room.name), room.name);
      conversation.title = room.name;
    }
  }

  /** We left a room (or were kicked): its conversation leaves the list, its log stays if it comes back. */
  leftRoom(name: string): void {
    const id = roomId(name);
    this.rooms = this.rooms.filter((room) => roomId(room.name) !== id);
    if (this.current === id) this.switchTo(ROOM_ID);
    const index = this.order.indexOf(id);
    if (index >= 0) this.order.splice(index, 1);
  }

  /**
   * We were kicked from a room: its window stays (as weechat keeps a channel buffer), with the kick
   * said in it; the room leaves the list of rooms we are in. `:join` brings it back.
   */
  kickedOut(name: string): void {
    const id = roomId(name);
    this.kickedFrom.add(id);
    this.rooms = this.rooms.filter((room) => roomId(room.name) !== id);
  }

  /** Whether we are in this named room now (listed by the server). */
  isInRoom(name: string): boolean {
    return this.rooms.some((room) => roomId(room.name) === roomId(name));
  }

  /** A room's conversation, by name (`:join` and clicks on the rooms list). */
  openNamedRoom(name: string): void {
    this.switchTo(this.ensure(roomId(name), name).id);
  }

  setPeers(peers: PeerView[], now = Date.now()): void {
    this.everyone = peers;
    ({ listed: this.peers, longGone: this.longGone } = serverPeers(peers, now, (name) => this.conversations.has(dmId(name))));
    this.peerCursor = Math.min(this.peerCursor, Math.max(0, this.listed.length - 1));
    for (const peer of peers) {
      const dm = this.conversations.get(dmId(peer.name));
      if (dm !== undefined) dm.title = peer.name;
    }
  }

  /** What the left column lists now: the open named room's members (a nicklist), else everyone. */
  get listed(): readonly ListedPeer[] {
    const room = this.currentRoom === undefined ? undefined : this.rooms.find((r) => r.name === this.currentRoom);
    return room === undefined ? this.peers : roomMembers(room, this.everyone);
  }

  unreadFor(name: string): number {
    return this.conversations.get(dmId(name))?.unread ?? 0;
  }

  // ---- navigation ----------------------------------------------------------------------------

  openDirect(name: string): void {
    this.switchTo(this.ensure(dmId(name), name).id);
  }

  openRoom(): void {
    this.switchTo(ROOM_ID);
  }

  /** A click on the activity bar. */
  openConversation(id: ConversationId): void {
    if (this.order.includes(id)) this.switchTo(id);
  }

  /** A click on the peer list: open the DM with the peer on that row (yourself: the room). */
  openPeerAt(row: number): void {
    if (row < 0 || row >= this.listed.length) return;
    this.peerCursor = row;
    this.openSelectedPeer();
  }

  /** Alt+1..9: the n-th conversation (1-based). Returns false if there is none. */
  switchToIndex(n: number): boolean {
    const id = this.order[n - 1];
    if (id === undefined) return false;
    this.switchTo(id);
    return true;
  }

  cycle(step: 1 | -1): void {
    const index = this.order.indexOf(this.current);
    this.switchTo(this.order[(index + step + this.order.length) % this.order.length]!);
  }

  movePeerCursor(step: number): void {
    const count = this.listed.length;
    if (count === 0) return;
    this.peerCursor = (Math.min(this.peerCursor, count - 1) + step + count) % count;
  }

  /** Enter on the peer list: open the DM with the selected peer (or the room, for yourself). */
  openSelectedPeer(): void {
    const peer = this.listed[this.peerCursor];
    if (peer === undefined) return;
    if (peer.isSelf) this.openRoom();
    else this.openDirect(peer.name);
    this.focus = 'input';
  }

  /** The client sent everything queued while offline: drop the "queued" marks. */
  markQueuedSent(): void {
    for (const conversation of this.conversations.values()) {
      conversation.entries.forEach((entry, index) => {
        if (entry.kind === 'message' && entry.isQueued === true) conversation.entries[index] = { ...entry, isQueued: false };
      });
    }
  }

  /** `:search TEXT`: this conversation's messages containing TEXT (any case), the last `limit` of them. */
  searchCurrent(query: string, limit = SEARCH_RESULTS_SHOWN): Array<Extract<LogEntry, { kind: 'message' }>> {
    const needle = query.toLowerCase();
    const found = this.currentConversation.entries.filter(
      (entry): entry is Extract<LogEntry, { kind: 'message' }> => entry.kind === 'message' && entry.text.toLowerCase().includes(needle),
    );
    return found.slice(-limit);
  }

  /** :close: a DM leaves the conversation list (Alt+N renumber); its log returns if it reopens. */
  closeCurrent(): boolean {
    if (!this.current.startsWith('dm:')) return false;
    const closing = this.current;
    this.switchTo(ROOM_ID);
    this.order.splice(this.order.indexOf(closing), 1);
    return true;
  }

  clearCurrent(): void {
    const conversation = this.currentConversation;
    conversation.entries.length = 0;
    conversation.unreadMarker = null;
  }

  private switchTo(id: ConversationId): void {
    if (id === this.current) return;
    // Leaving a conversation means its unread marker has been seen.
    this.currentConversation.unreadMarker = null;
    this.current = id;
    const next = this.currentConversation;
    next.unread = 0;
    next.highlights = 0;
  }

  // ---- storage -------------------------------------------------------------------------------

  private ensure(id: ConversationId, title: string): Conversation {
    let conversation = this.conversations.get(id);
    if (conversation === undefined) {
      conversation = { id, title, entries: [], unread: 0, highlights: 0, unreadMarker: null };
      this.conversations.set(id, conversation);
    }
    // A closed DM comes back (at the end of the list) when it is opened or written to again.
    if (!this.order.includes(id)) this.order.push(id);
    return conversation;
  }

  private append(conversation: Conversation, entry: LogEntry, countsAsUnread: boolean): void {
    conversation.entries.push(entry);
    if (conversation.entries.length > MAX_LOG_ENTRIES) {
      conversation.entries.shift();
      if (conversation.unreadMarker !== null) conversation.unreadMarker = Math.max(0, conversation.unreadMarker - 1);
    }
    if (countsAsUnread && conversation.id !== this.current) {
      if (conversation.unread === 0) conversation.unreadMarker = conversation.entries.length - 1;
      conversation.unread++;
    }
  }
}
