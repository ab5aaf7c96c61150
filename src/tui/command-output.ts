// How the `:` commands the views share (src/client/command-runner.ts) show their results in the
// TUI: as lines in the current conversation's log.
import type { CommandOutput } from '../client/command-runner.js';
import type { PeerView } from '../client/peer-directory.js';
import { formatFingerprint, shortFingerprint } from '../core/fingerprint.js';
import type { ChatViewModel } from './chat-view-model.js';

/** `changed`: a result came after the command returned (a lookup first): the screen needs drawing. */
export function commandOutputFor(model: ChatViewModel, peers: () => PeerView[], openHelp: () => void, changed: () => void = () => {}): CommandOutput {
  return {
    peers: (list, census) => {
      const names = list.map(
        (p) =>
          `${p.name}${p.isSelf ? ' (you)' : ''}${p.trust === 'changed' ? ' [KEY CHANGED]' : p.verified ? ' [verified]' : ''}${p.awayMessage === undefined ? '' : ` (away: ${p.awayMessage})`}`,
      );
      const online = list.filter((p) => p.online);
      const offline = list.filter((p) => !p.online).map((p) => p.name);
      const followed =
        census === undefined ? '' : ` (those you follow; when you joined, the server had ${census.online} online, ${census.registered} registered)`;
      model.addSystem(
        `online (${online.length}): ${names.filter((_, i) => list[i]!.online).join(', ')}${offline.length === 0 ? '' : `; offline (${offline.length}, messages wait for them): ${offline.join(', ')}`}${followed}`,
      );
    },
    whois: (peer) => {
      const state = peer.isSelf
        ? 'this is you'
        : peer.trust === 'changed'
          ? 'KEY CHANGED since first seen'
          : peer.verified
            ? 'verified by you'
            : 'not verified (trusted on first use)';
      const seen = peer.firstSeen === undefined ? 'now' : `${new Date(peer.firstSeen).toISOString().replace('T', ' ').slice(0, 16)} UTC`;
      const lookalike = peer.lookalikeOf === undefined ? '' : `\nLOOKS LIKE ${peer.lookalikeOf}, a different name: check the fingerprint`;
      const away = peer.awayMessage === undefined ? '' : `; away: ${peer.awayMessage}`;
      model.addSystem(`${peer.name}: ${state}${away}; key first seen ${seen}\nfingerprint ${formatFingerprint(peer.fingerprint)}${lookalike}`);
    },
    safetyNumber: (name, number) =>
      model.addSystem(
        `safety number with ${name}:\n${number}\nCompare it with ${name} (read it aloud, or side by side). If it matches: :verify ${name} confirm`,
      ),
    verified: (peer) => {
      model.setPeers(peers());
      model.addSystem(`${peer.name} is now verified (fingerprint ${formatFingerprint(peer.fingerprint)})`);
    },
    trusted: (peer) => {
      model.setPeers(peers());
      model.addSystem(`accepted ${peer.name}'s current key (${shortFingerprint(peer.fingerprint)}), unverified`);
    },
    searchResults: (query, found) => {
      if (found.length === 0) {
        model.addSystem(`no kept message contains "${query}"`);
        return;
      }
      const lines = found.map((record) => {
        if (record.kind === 'seen') return '';
        const when = new Date(record.ts).toISOString().replace('T', ' ').slice(0, 16);
        const where = record.to === null ? '#room' : record.to.startsWith('#') ? record.to : record.kind === 'out' ? `DM ${record.to}` : `DM ${record.from}`;
        const who = record.kind === 'out' ? model.selfName : record.from;
        return `${when} ${where} <${who}> ${record.text}`;
      });
      // Oldest first, as `:search` in one conversation lists them (the store hands them newest first).
      model.addSystem(`${found.length} message${found.length === 1 ? '' : 's'} containing "${query}", oldest first:\n${lines.reverse().join('\n')}`);
    },
    discarded: (name, count) =>
      model.addSystem(count === 0 ? `no messages from ${name} are held` : `discarded ${count} held message${count === 1 ? '' : 's'} from ${name}, unread`),
    topic: (room) => model.addSystem(room.topic === '' ? `${room.name} has no topic (:topic TEXT sets one)` : `topic of ${room.name}: ${room.topic}`),
    members: (room) =>
      model.addSystem(
        `${room.name}${room.inviteOnly ? ' (invite-only)' : ''}, ${room.members.length} member${room.members.length === 1 ? '' : 's'}: ${room.members
          .map((member) => `${member.op === true ? '@' : ''}${member.name}`)
          .join(', ')}`,
      ),
    help: openHelp,
    failed: (error) => {
      model.addSystem(error.message, 'error');
      changed();
    },
  };
}
