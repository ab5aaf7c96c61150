// What the client reports, as the view model shows it: joins, leaves, messages, key changes,
// errors, delivery acks, the link's state. No blessed here: the model is drawn elsewhere.
import type { ChatClient } from '../client/chat-client.js';
import { type DeliverySummary, describeDelivery } from '../client/delivery-tracker.js';
import { shortFingerprint } from '../core/fingerprint.js';
import { ErrorCode } from '../core/errors.js';
import { type ChatViewModel, ROOM_ID, dmId, roomId } from './chat-view-model.js';
import { describeRoomChange, describeRoomListing, describeWatch } from './room-lines.js';
import { nameKey } from '../core/names.js';

/** Subscribes the model to the client's events; `changed` is called after each update. */
export function feedClientToModel(client: ChatClient, model: ChatViewModel, changed: () => void): void {
  let everJoined = false;
  // What was said before this run, from the history kept on disk (encrypted at rest).
  const earlier = client.history().filter((record) => record.kind !== 'seen');
  for (const record of earlier) {
    if (record.kind === 'in') model.addFromHistory({ from: record.from, to: record.to, text: record.text, ts: record.ts, isOwn: false });
    else if (record.kind === 'out') {
      // Still tracked (not settled before the restart): shown with its state, updated as news comes.
      const summary = client.deliveryOf(record.id, record.to);
      model.addFromHistory({
        from: model.selfName,
        to: record.to,
        text: record.text,
        ts: record.ts,
        isOwn: true,
        id: record.id,
        ...(summary === undefined ? {} : { delivery: deliveryMark(summary) }),
      });
    }
  }
  if (earlier.length > 0)
    model.addSystem(`── ${earlier.length} earlier message${earlier.length === 1 ? '' : 's'} from this device's history ──`, 'system', ROOM_ID);
  client.on('ready', (ready) => {
    model.selfName = ready.name;
    model.setPeers(client.peers());
    model.setRooms(client.rooms());
    const others = ready.peers.filter((p) => !p.isSelf && p.online).map((p) => p.name);
    // A big server lists only those we follow (room-mates, DM partners): the rest are counted.
    const census = client.followsOnly ? client.census : undefined;
    const online =
      census === undefined
        ? `online: ${others.length === 0 ? 'nobody else yet' : others.join(', ')}`
        : `${census.online} online of ${census.registered} registered; listed: those you share a room or DMs with` +
          `${others.length === 0 ? '' : ` (online: ${others.join(', ')})`}; :dm NAME reaches anyone`;
    model.addSystem(`${everJoined ? 'reconnected' : 'joined'} as ${ready.name} (key ${shortFingerprint(ready.fingerprint)}); ${online}`, 'system', ROOM_ID);
    everJoined = true;
    changed();
  });
  // The list changed without anyone joining: someone looked up or followed on a big server.
  client.on('peers', () => {
    model.setPeers(client.peers());
    changed();
  });
  client.on('join', (peer) => {
    const listedAway = model.peers.find((known) => nameKey(known.name) === nameKey(peer.name))?.online === false;
    model.setPeers(client.peers());
    // Their DM, which said they went away, says they are back.
    if (listedAway && peer.online !== false && model.conversations.has(dmId(peer.name))) model.addSystem(`${peer.name} is back`, 'system', dmId(peer.name));
    const first = peer.trust === 'new' ? `, first seen: key ${shortFingerprint(peer.fingerprint)}` : '';
    model.addSystem(`${peer.name} joined${first}`, 'system', ROOM_ID);
    if (peer.lookalikeOf !== undefined) {
      model.addSystem(
        `${peer.name} LOOKS LIKE ${peer.lookalikeOf}: a different name (and key) that reads alike. Check :whois ${peer.name} before trusting it.`,
        'warning',
        ROOM_ID,
      );
    }
    changed();
  });
  client.on('leave', ({ name }) => {
    // Said once per going: news of someone already listed as gone says nothing new.
    const wasOnline = model.peers.find((peer) => nameKey(peer.name) === nameKey(name))?.online !== false;
    model.setPeers(client.peers());
    if (!wasOnline) return changed();
    // A registered user who went away is still listed: messages to them wait on the server.
    const away = client.peer(name) !== undefined;
    const text = away ? `${name} went away (messages to ${name} are kept until they are back)` : `${name} left`;
    model.addSystem(text, 'system', ROOM_ID);
    if (model.conversations.has(dmId(name))) model.addSystem(text, 'system', dmId(name));
    changed();
  });
  client.on('away', ({ name, message }) => {
    model.setPeers(client.peers());
    const self = name.toLowerCase() === model.selfName.toLowerCase();
    const text = self
      ? message === ''
        ? 'you are back'
        : `you are marked away: ${message} (:away again to come back)`
      : message === ''
        ? `${name} is back`
        : `${name} is away: ${message}`;
    if (self) {
      model.selfAway = message;
      // Answered where it was typed.
      model.addSystem(text);
    } else {
      model.addSystem(text, 'system', ROOM_ID);
      if (model.conversations.has(dmId(name))) model.addSystem(text, 'system', dmId(name));
    }
    changed();
  });
  client.on('room-change', (change) => {
    const { event, room } = change;
    const aboutUs = nameKey(event.name) === nameKey(model.selfName);
    const text = describeRoomChange(change, model.selfName);
    // A join of ours into a room we are in already (:join again) only opens it: no second "you joined".
    const rejoined = event.kind === 'join' && aboutUs && room !== undefined && model.isInRoom(room.name);
    if (event.kind === 'kick' && aboutUs) model.kickedOut(event.room);
    model.setRooms(client.rooms());
    if (event.kind === 'kick' && aboutUs) {
      // Said in the room's own window, which stays open (the lobby is not where it happened).
      model.addSystem(text, 'warning', roomId(event.room));
    } else if (room === undefined) {
      // Out of it (we left), or invited to one we are not in: said in the lobby.
      if (event.kind === 'part') model.leftRoom(event.room);
      model.addSystem(text, 'system', ROOM_ID);
    } else {
      if (!rejoined) model.addSystem(text, 'system', roomId(room.name));
      // :join opens the room, as /join does in irssi.
      if (event.kind === 'join' && aboutUs) model.openNamedRoom(room.name);
    }
    changed();
  });
  client.on('watch', (event) => {
    model.watching.observe(event);
    model.addSystem(describeWatch(event, model.selfName), 'system', roomId(event.room));
    changed();
  });
  client.on('rooms', (rooms) => {
    model.listedRooms = rooms.map((room) => room.name);
    model.addSystem(describeRoomListing(rooms));
    changed();
  });
  client.on('message', (message) => {
    model.addIncoming(message);
    changed();
  });
  client.on('key-changed', ({ name, pinned, announced }) => {
    model.setPeers(client.peers());
    const text =
      `${name}'s KEY CHANGED: first seen ${shortFingerprint(pinned)}, now ${shortFingerprint(announced)}. ` +
      `This may be an impostor or a server swapping keys. Messages from ${name} are marked unverified and nothing is encrypted to ${name} ` +
      `until you compare safety numbers (:verify ${name}) and confirm, or :trust ${name}.`;
    model.addSystem(text, 'warning', ROOM_ID);
    if (model.current !== ROOM_ID) model.addSystem(text, 'warning');
    changed();
  });
  client.on('error', (error) => {
    model.addSystem(error.message, 'error');
    changed();
  });
  client.on('cluster', ({ state, message }) => {
    model.clusterDegraded = state === 'degraded';
    model.addSystem(message, state === 'degraded' ? 'warning' : 'system', ROOM_ID);
    changed();
  });
  client.on('delivery', (summary) => {
    model.setDelivery(summary.id, deliveryMark(summary));
    changed();
  });
  client.on('renamed', ({ wanted, got }) => {
    model.selfName = got;
    model.addSystem(`the name ${wanted} is taken on this server; you joined as ${got}`, 'warning', ROOM_ID);
    changed();
  });
  let announcedOffline = false;
  let announcedKeyChange = false;
  client.on('flushed', ({ count }) => {
    model.addSystem(`sent ${count} message${count === 1 ? '' : 's'} queued while offline`, 'system', ROOM_ID);
    changed();
  });
  // While offline, the status bar counts down to the next attempt: redrawn every second.
  let countdown: NodeJS.Timeout | undefined;
  client.on('state', (state) => {
    model.link = state.retryInMs === undefined ? state : { ...state, retryAt: Date.now() + state.retryInMs };
    clearInterval(countdown);
    countdown = undefined;
    if (state.state === 'offline' && state.retryInMs !== undefined && state.retryInMs > 1000) {
      countdown = setInterval(changed, 1000);
      countdown.unref();
    }
    // A new connection may land on another server of the cluster; its status comes fresh.
    if (state.state !== 'online') model.clusterDegraded = false;
    if (state.state === 'online') {
      announcedOffline = false;
      announcedKeyChange = false;
    }
    if (state.state === 'offline' && state.code === ErrorCode.SERVER_KEY_CHANGED && !announcedKeyChange) {
      // Said at once, even in an outage already announced: a retry met another certificate.
      announcedKeyChange = true;
      announcedOffline = true;
      model.setPeers([]);
      model.addSystem(
        `not connecting: ${state.reason ?? "the server's certificate changed"} Nothing is sent to it; what you type is kept here until you connect to the server you pinned.`,
        'error',
        ROOM_ID,
      );
    }
    if (state.state === 'offline' && !announcedOffline) {
      // Said once per outage; the status bar counts down the retries.
      announcedOffline = true;
      model.setPeers([]);
      const reason = state.reason ?? 'unknown';
      model.addSystem(
        state.reached === false
          ? `cannot reach the server (${reason}); retrying. Nothing is sent or queued until it answers.`
          : everJoined
            ? `connection lost (${reason}); reconnecting. Messages you send now are queued.`
            : `cannot connect to the server (${reason}); retrying. Messages you send now are queued.`,
        'warning',
        ROOM_ID,
      );
    }
    if (state.state === 'stopped' && state.reason !== undefined) model.addSystem(`cannot join: ${state.reason}`, 'error', ROOM_ID);
    changed();
  });
}

/** A line's delivery mark: the words, whether something failed, and whether it is settled. */
function deliveryMark(summary: DeliverySummary): { text: string; failed: boolean; done: boolean } {
  return { text: describeDelivery(summary), failed: summary.failed.length > 0, done: !summary.pending && summary.sent === 0 };
}
