// How a direct-message session starts without both sides online (protocol v4): X3DH's shape
// (Signal's "Extended Triple Diffie-Hellman") over the keys tui-chat has. Identity keys here are
// RSA and only sign, so the signed prekeys stand in for X3DH's identity DH:
//
//   DH1 = DH(SPK_A, SPK_B)   both signed prekeys: binds the session to both identities
//   DH2 = DH(EK_A,  SPK_B)   A's fresh base key: forward secrecy from the first message
//   DH3 = DH(EK_A,  OPK_B)   B's one-time prekey, when the server had one: a stolen SPK_B later
//                            opens nothing of this session
//   SK  = HKDF(DH1 || DH2 || DH3, info = names, SPK_A, SPK_B, EK_A, OPK_B)
//
// The initiator A fetched B's bundle (SPK_B signed by B's identity key, maybe OPK_B); every message
// A sends until B answers carries the "init" header (SPK_A, which SPK_B, which OPK_B, and EK_A as the
// session id), covered by A's envelope signature, so B can start the same session from any of them.
// B's first receiving step uses SPK_B as its ratchet key, as in Signal.
import { hkdfSync } from 'node:crypto';
import { DoubleRatchet, type X25519KeyPair, generateX25519, x25519 } from './double-ratchet.js';
import { lengthPrefixed } from './signed-bytes.js';

const ZERO32 = Buffer.alloc(32);

export type { SessionInit } from './double-ratchet.js';

export interface Party {
  readonly name: string;
}

function secret(dhs: readonly Buffer[], initiator: string, responder: string, spkA: Buffer, spkB: Buffer, base: Buffer, opk: Buffer | undefined): Buffer {
  const info = lengthPrefixed(['tui-chat/x3dh/v1', initiator.toLowerCase(), responder.toLowerCase(), spkA, spkB, base, opk ?? '-']);
  return Buffer.from(hkdfSync('sha256', Buffer.concat(dhs), ZERO32, info, 32));
}

/** The initiator's side: its signed prekey, a fresh base key, the responder's bundle keys. */
export function initiatorSecret(
  self: { readonly name: string; readonly spk: X25519KeyPair; readonly base: X25519KeyPair },
  peer: { readonly name: string; readonly spk: Buffer; readonly opk?: Buffer },
): Buffer {
  const dhs = [x25519(self.spk.privateKey, peer.spk), x25519(self.base.privateKey, peer.spk)];
  if (peer.opk !== undefined) dhs.push(x25519(self.base.privateKey, peer.opk));
  return secret(dhs, self.name, peer.name, self.spk.publicRaw, peer.spk, self.base.publicRaw, peer.opk);
}

/** The responder's side, from the init header: its own signed (and one-time) prekey pairs. */
export function responderSecret(
  self: { readonly name: string; readonly spk: X25519KeyPair; readonly opk?: X25519KeyPair },
  peer: { readonly name: string; readonly spk: Buffer; readonly base: Buffer },
): Buffer {
  const dhs = [x25519(self.spk.privateKey, peer.spk), x25519(self.spk.privateKey, peer.base)];
  if (self.opk !== undefined) dhs.push(x25519(self.opk.privateKey, peer.base));
  return secret(dhs, peer.name, self.name, peer.spk, self.spk.publicRaw, peer.base, self.opk?.publicRaw);
}

/** Starts a session as its initiator, from the responder's bundle: a fresh base key names it. */
export function initiateSession(
  self: { readonly name: string; readonly spk: X25519KeyPair },
  peer: { readonly name: string; readonly spk: Buffer; readonly opk?: { readonly id: string; readonly key: Buffer } },
): DoubleRatchet {
  const base = generateX25519();
  const secret = initiatorSecret({ ...self, base }, { name: peer.name, spk: peer.spk, ...(peer.opk === undefined ? {} : { opk: peer.opk.key }) });
  return DoubleRatchet.asInitiator(secret, peer.spk, base.publicRaw.toString('base64'), {
    spk: self.spk.publicRaw.toString('base64'),
    to: peer.spk.toString('base64'),
    ...(peer.opk === undefined ? {} : { opk: peer.opk.id }),
  });
}
