// `tui-chat connect --json`: commands in on stdin, one per line; events out on stdout, one JSON
// object per line, each with a "type". For bots, scripts and the end-to-end tests.
import { describeDelivery } from './delivery-tracker.js';
import { createInterface } from 'node:readline';
import type { Readable, Writable } from 'node:stream';
import { ChatError, ErrorCode } from '../core/errors.js';
import { LOBBY_NAME, isRoomTarget } from '../core/room-names.js';
import type { ChatSession, PeerView } from './chat-session.js';
import { CommandRunner } from './command-runner.js';
import { RoomVideos } from './room-videos.js';
import { ACTION_PREFIX, type LineCommand, describeCommands, parseLine } from './line-command.js';

/** Exit codes: 0 left on purpose, 1 refused at join or lost the server. */
export const EXIT_OK = 0;
export const EXIT_DISCONNECTED = 1;

function peerJson(peer: PeerView): Record<string, unknown> {
  return {
    name: peer.name,
    fingerprint: peer.fingerprint,
    trust: peer.trust,
    verified: peer.verified,
    self: peer.isSelf,
    online: peer.online,
    ...(peer.lookalikeOf === undefined ? {} : { lookalikeOf: peer.lookalikeOf }),
  };
}

/**
 * One event as one line of JSON, with every control character escaped: JSON.stringify leaves DEL
 * and the C1 range (0x80-0x9f, which some terminals obey like ESC sequences) and the Unicode line
 * separators raw, so a line piped to a terminal or split by a line reader could still be abused.
 */
export function toJsonLine(event: Record<string, unknown>): string {
  return `${JSON.stringify(event).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}

export async function runJsonLineMode(session: ChatSession, input: Readable, output: Writable): Promise<number> {
  // Whoever reads our output may go away (`--json | head`): then we end quietly, not with EPIPE.
  let outputOpen = true;
  const outputGone = new Promise<'gone'>((resolve) =>
    output.on('error', () => {
      outputOpen = false;
      resolve('gone');
    }),
  );
  const print = (event: Record<string, unknown>): void => {
    if (outputOpen) output.write(toJsonLine(event));
  };

  session.on('ready', (e) =>
    print({
      type: 'ready',
      name: e.name,
      fingerprint: e.fingerprint,
      peers: e.peers.map(peerJson),
      // On a big server `peers` holds only those followed; the census counts everyone.
      ...(session.followsOnly && session.census !== undefined ? { census: session.census } : {}),
    }),
  );
  session.on('peers', (peers) => print({ type: 'peers', peers: peers.map(peerJson) }));
  session.on('join', (peer) => print({ type: 'join', ...peerJson(peer) }));
  session.on('away', ({ name, message }) => print({ type: 'away', name, message }));
  session.on('leave', (e) => print({ type: 'leave', name: e.name }));
  // `room`: the named room a message was said in ('#room' for the lobby); absent for a DM.
  session.on('message', (m) =>
    print({
      type: 'message',
      from: m.from,
      to: m.to,
      ...(isRoomTarget(m.to) ? { room: m.to ?? LOBBY_NAME } : {}),
      text: m.text,
      verified: m.verified,
      id: m.id,
      ts: m.ts,
      ...(m.held === true ? { held: true } : {}),
    }),
  );
  session.on('room-change', ({ event, room }) => {
    const { type: _type, ...what } = event;
    print({ type: 'room-event', ...what, ...(room === undefined ? {} : { members: room.members, topic: room.topic, inviteOnly: room.inviteOnly }) });
  });
  session.on('rooms', (rooms) => print({ type: 'rooms', rooms }));
  // What each room is watching together, for :watch without a video.
  const watching = new RoomVideos();
  session.on('watch', (event) => {
    watching.observe(event);
    print({ ...event });
  });
  session.on('sent', (s) => print({ type: 'sent', id: s.id, to: s.to, withheld: s.withheld }));
  session.on('delivery', (d) => print({ type: 'delivery', ...d, state: describeDelivery(d) }));
  session.on('key-changed', (k) =>
    print({
      type: 'key-changed',
      name: k.name,
      pinned: k.pinned,
      announced: k.announced,
      warning: `the key for ${k.name} changed: messages from it are unverified`,
    }),
  );
  session.on('error', (e) => print({ type: 'error', ...e }));
  session.on('cluster', (c) => print({ type: 'cluster', state: c.state, message: c.message }));
  // Video: events and counts, never pixels. The counts come from the session's VideoRemote.
  const received = (stream: number): number => (session.video.isCurrent(stream) ? (session.video.current?.received ?? 0) : 0);
  session.on('videos', (videos) => print({ type: 'videos', videos }));
  session.on('stream-start', (start) => print({ ...start }));
  session.on('stream-status', (status) => print({ ...status, received: received(status.stream) }));
  session.on('stream-end', (end) => print({ ...end, received: received(end.stream) }));
  // Files: what arrived (checked), how far transfers are, what was sent and saved.
  session.files.on('file', (file) => print({ type: 'file', ...file }));
  session.files.on('file-progress', (progress) => print({ type: 'file-progress', ...progress }));
  session.files.on('file-sent', (sent) => print({ type: 'file-sent', ...sent }));
  session.files.on('saved', (saved) => print({ type: 'saved', ...saved }));
  session.files.on('error', (error) => print({ type: 'error', ...error }));

  let quitting = false;
  const commands = new CommandRunner(session, {
    peers: (peers, census) => print({ type: 'peers', peers: peers.map(peerJson), ...(census === undefined ? {} : { census }) }),
    whois: (peer) => print({ type: 'whois', ...peerJson(peer), firstSeen: peer.firstSeen ?? null }),
    failed: (error) => print({ type: 'error', code: error.code, message: error.message, fatal: false }),
    safetyNumber: (name, number) => print({ type: 'safety-number', name, number }),
    verified: (peer) => print({ type: 'verified', name: peer.name, fingerprint: peer.fingerprint }),
    trusted: (peer) => print({ type: 'trusted', name: peer.name, fingerprint: peer.fingerprint }),
    searchResults: (query, found) => print({ type: 'search', query, found }),
    discarded: (name, count) => print({ type: 'discarded', name, count }),
    topic: (room) => print({ type: 'topic', room: room.name, topic: room.topic }),
    members: (room) => print({ type: 'members', room: room.name, members: room.members }),
    help: () => print({ type: 'help', commands: describeCommands() }),
  });
  const disconnected = new Promise<string>((resolve) => session.once('disconnected', (e) => resolve(e.reason)));
  disconnected.then((reason) => print({ type: 'disconnected', reason, expected: quitting }));

  try {
    await session.connect();
  } catch {
    // The error event has been printed already; a refused join ends the run.
    await session.close('join refused');
    await disconnected;
    return EXIT_DISCONNECTED;
  }

  const lines = createInterface({ input, crlfDelay: Infinity });
  const lost = disconnected.then(() => 'lost' as const);
  const iterator = lines[Symbol.asyncIterator]();
  for (;;) {
    const next = await Promise.race([iterator.next(), lost, outputGone]);
    if (next === 'gone') break;
    if (next === 'lost') {
      lines.close();
      return quitting ? EXIT_OK : EXIT_DISCONNECTED;
    }
    if (next.done === true) break;
    const command = parseLine(next.value);
    if (command.kind === 'quit') break;
    await runCommand(session, commands, command, print, watching);
  }
  quitting = true;
  lines.close();
  // A file sent just before the input ended goes before the goodbye (`echo ":send bob x" | ...`).
  await session.files.settled();
  await session.close('bye');
  await disconnected;
  return EXIT_OK;
}

/** The pixel box asked for by :play in line mode: an 80x24-cell pane's worth. */
export const JSON_MODE_VIDEO_BOX = { width: 80, height: 48 } as const;

async function runCommand(
  session: ChatSession,
  commands: CommandRunner,
  line: LineCommand,
  print: (event: Record<string, unknown>) => void,
  watching: RoomVideos,
): Promise<void> {
  try {
    const command = commands.run(line);
    switch (command?.kind) {
      case undefined:
      case 'empty':
      case 'room':
      case 'close':
      case 'clear':
      case 'timestamps':
      case 'quit':
        return;
      case 'say':
        session.sendRoom(command.text);
        return;
      case 'me':
        session.sendRoom(`${ACTION_PREFIX}${command.action}`);
        return;
      case 'dm':
        if (command.text === null) throw new ChatError(ErrorCode.USAGE, 'usage: :dm NAME|#ROOM TEXT');
        // A big server lists only those we follow: someone else is looked up first (a round trip).
        if (session.needsLookup(command.to)) await session.lookup(command.to);
        session.send(command.to, command.text);
        return;
      case 'part':
        throw new ChatError(ErrorCode.USAGE, 'usage: :part #NAME');
      case 'play':
        if (command.ffplay) throw new ChatError(ErrorCode.USAGE, '--ffplay needs the TUI; line mode reports counts only');
        return session.video.play(command.video, JSON_MODE_VIDEO_BOX.width, JSON_MODE_VIDEO_BOX.height);
      case 'send-file':
        if (command.to === null) throw new ChatError(ErrorCode.USAGE, 'usage: :send NAME|#ROOM PATH');
        if (session.needsLookup(command.to)) await session.lookup(command.to);
        await session.files.send(command.to, command.path);
        return;
      case 'files':
        print({ type: 'files', files: listFiles(session, command.from) });
        return;
      case 'save':
        session.files.save(command.id, command.path ?? undefined, command.overwrite);
        return;
      case 'open':
        throw new ChatError(ErrorCode.USAGE, ':open needs the TUI; line mode saves files (:save ID PATH)');
      case 'watch': {
        if (command.room === null) throw new ChatError(ErrorCode.USAGE, 'usage: :watch [VIDEO] #ROOM');
        const video = command.video ?? watching.of(command.room);
        if (video === undefined) throw new ChatError(ErrorCode.USAGE, `nothing is playing in ${command.room}: :watch VIDEO ${command.room} starts one`);
        return session.video.play(video, JSON_MODE_VIDEO_BOX.width, JSON_MODE_VIDEO_BOX.height, 'png', command.room);
      }
    }
  } catch (error) {
    if (!(error instanceof ChatError)) throw error;
    print({ type: 'error', code: error.code, message: error.message, fatal: false });
  }
}

/** The files received, all or those from one user or in one '#room'. */
function listFiles(session: ChatSession, from: string | null): Record<string, unknown>[] {
  const lowered = from?.toLowerCase();
  return session.files.shelf.received
    .filter((file) => lowered === undefined || file.from.toLowerCase() === lowered || file.to?.toLowerCase() === lowered)
    .map((file) => ({
      id: file.attachment.id,
      name: file.attachment.name,
      size: file.attachment.size,
      sha256: file.attachment.sha256,
      from: file.from,
      to: file.to,
      state: file.state,
      ...(file.attachment.picture === true ? { picture: true } : {}),
      ...(file.savedTo === undefined ? {} : { savedTo: file.savedTo }),
    }));
}
