// The join handshake for benchmark clients that speak the protocol directly (no ChatSession, so
// the load generator spends nothing on crypto it does not need).
import type { Socket } from 'node:net';
import type { Identity } from '../src/core/identity.js';
import { signJoinChallenge } from '../src/core/join-proof.js';
import { encodeMessage } from '../src/core/message-codec.js';
import { generateX25519 } from '../src/core/double-ratchet.js';
import { buildHello } from '../src/core/prekey.js';

export function sendHello(socket: Socket, identity: Identity, name: string): void {
  socket.write(encodeMessage(buildHello(identity, name, generateX25519())));
}

export function answerChallenge(socket: Socket, identity: Identity, name: string, nonceBase64: string): void {
  const signature = signJoinChallenge(identity.privateKey, Buffer.from(nonceBase64, 'base64'), name, identity.publicKeyDer);
  socket.write(encodeMessage({ type: 'auth', signature: signature.toString('base64') }));
}
