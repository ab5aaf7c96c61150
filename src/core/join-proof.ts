// Proof of key possession at join: the client signs the server's fresh nonce together with the
// name and key it is joining with, so a signature cannot be replayed to another server, session,
// name or key.
import type { KeyObject } from 'node:crypto';
import { signBytes, verifyBytes } from './identity.js';
import { lengthPrefixed } from './signed-bytes.js';

const JOIN_CONTEXT = 'tui-chat/join/v1';

function joinProofBytes(nonce: Buffer, name: string, publicKeyDer: Buffer): Buffer {
  return lengthPrefixed([JOIN_CONTEXT, nonce, name, publicKeyDer]);
}

export function signJoinChallenge(privateKey: KeyObject, nonce: Buffer, name: string, publicKeyDer: Buffer): Buffer {
  return signBytes(privateKey, joinProofBytes(nonce, name, publicKeyDer));
}

export function verifyJoinProof(publicKey: KeyObject, nonce: Buffer, name: string, publicKeyDer: Buffer, signature: Buffer): boolean {
  return verifyBytes(publicKey, joinProofBytes(nonce, name, publicKeyDer), signature);
}
