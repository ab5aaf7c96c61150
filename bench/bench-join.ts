// The join handshake for benchmark clients that speak the protocol directly (no ChatSession, so
// the load generator spends nothing on crypto it does not need).
import type { Socket } from 'node:net';
import type { Identity } from '../src/core/identity.js';
import { signJoinChallenge } from '../src/core/join-proof.js';
import { encodeMessage } from '../src/core/message-codec.js';
import { PROTOCOL_VERSION } from '../src/core/messages.js';

export function sendHello(socket: Socket, identity: Identity, name: string): void {
  socket.write(encodeMessage({ type: 'hello', version: PROTOCOL_VERSION, name, publicKey: identity.publicKeyBase64 }));
}

export function answerChallenge(socket: Socket, identity: Identity, name: string, nonceBase64: string): void {
  const signature = signJoinChallenge(identity.privateKey, Buffer.from(nonceBase64, 'base64'), name, identity.publicKeyDer);
  socket.write(encodeMessage({ type: 'auth', signature: signature.toString('base64') }));
}
