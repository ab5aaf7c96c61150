// `:dm NAME [TEXT]` and `:dm #ROOM [TEXT]` (IRC's /msg and /query) in the TUI: without TEXT it opens
// that conversation; with TEXT it sends there and leaves you where you were, as /msg does, so the
// next plain line still goes where it went before. Offline, the peer list is empty: a DM to any
// valid name is queued, and checked when it is sent; on a big server the list holds only those we
// follow, and anyone else is looked up first (a round trip).
import type { ChatClient } from '../client/chat-client.js';
import type { LineCommand } from '../client/line-command.js';
import { ChatError, ErrorCode } from '../core/errors.js';
import { isValidName } from '../core/names.js';
import type { ChatViewModel } from './chat-view-model.js';

export interface DirectMessageContext {
  readonly client: ChatClient;
  readonly model: ChatViewModel;
  send(to: string | null, text: string): void;
  changed(): void;
}

export function directMessage(command: Extract<LineCommand, { kind: 'dm' }>, context: DirectMessageContext): void {
  const { client, model } = context;
  if (command.to.startsWith('#')) return roomMessage(command.to, command.text, context);
  const online = client.state === 'online';
  const listed = model.peers.find((p) => p.name.toLowerCase() === command.to.toLowerCase());
  const unlisted = listed === undefined && isValidName(command.to) && (!online || client.followsOnly);
  const peer = listed ?? (unlisted ? { name: command.to } : undefined);
  if (peer === undefined) throw new ChatError(ErrorCode.NO_SUCH_PEER, `nobody called ${command.to} is online or registered on this server`);
  if (command.text === null) {
    if (listed === undefined && online) return void openLookedUp(command.to, context);
    model.openDirect(peer.name);
    return;
  }
  context.send(peer.name, command.text);
  if (model.currentPeer?.toLowerCase() !== peer.name.toLowerCase()) model.addSystem(`-> *${peer.name}* ${command.text}`);
}

/** `:dm #room TEXT` (IRC's /msg #chan): to a room we are in; without TEXT, open it. */
function roomMessage(name: string, text: string | null, { model, send }: DirectMessageContext): void {
  const room = model.rooms.find((r) => r.name.toLowerCase() === name.toLowerCase());
  if (room === undefined) throw new ChatError(ErrorCode.NOT_IN_ROOM, `you are not in ${name}: :join ${name} first`);
  if (text === null) return model.openNamedRoom(room.name);
  send(room.name, text);
  if (model.currentRoom?.toLowerCase() !== room.name.toLowerCase()) model.addSystem(`-> ${room.name} ${text}`);
}

/** `:dm NAME` for someone not listed (a big server lists only those we follow): looked up, then opened. */
async function openLookedUp(name: string, { client, model, changed }: DirectMessageContext): Promise<void> {
  if (!(await client.lookup(name))) model.addSystem(`nobody called ${name} is online or registered on this server`, 'error');
  else model.openDirect(client.peer(name)?.name ?? name);
  changed();
}
