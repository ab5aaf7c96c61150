// A PeerView as the TUI and the command runner get them, for specs that need one without a session.
import type { PeerView } from '../../src/client/peer-directory.js';

export function peerView(name: string, extra: Partial<PeerView> = {}): PeerView {
  return {
    name,
    fingerprint: 'ab'.repeat(32),
    joinedAt: 0,
    trust: 'known',
    verified: false,
    firstSeen: 0,
    isSelf: false,
    online: true,
    lookalikeOf: undefined,
    awayMessage: undefined,
    ...extra,
  };
}
