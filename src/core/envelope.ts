// Sealing and opening end-to-end envelopes (docs/PROTOCOL.md, "Envelopes").
//
// The message key comes from the pair's Double Ratchet (a direct message) or the sender's
// sender-key chain (the room); it encrypts the plaintext with AES-256-GCM under the envelope
// header as associated data, and the sender signs (RSA-PSS-SHA256) the header and ciphertext, so
// the server can neither read, alter, re-address nor attribute a message to someone else. Many
// envelopes sealed at once (a room's key handovers) share one signature over a Merkle root.
import { type KeyObject, createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { MAX_BATCH_LEAVES, batchSignedBytes, buildBatch, rootFromProof } from './batch-signature.js';
import type { RatchetHeader } from './double-ratchet.js';
import { CryptoError, ErrorCode } from './errors.js';
import { signBytes, verifyBytes } from './identity.js';
import type { Envelope } from './messages.js';
import type { SenderKeyHeader } from './sender-key.js';
import { lengthPrefixed } from './signed-bytes.js';
import { LOBBY_NAME } from './room-names.js';

const ENVELOPE_CONTEXT = 'tui-chat/envelope/v2';
/**
 * The "to" of a lobby message inside signed bytes: '#' is not allowed in names, so no DM matches,
 * and no named room may take it (room-names.ts).
 */
const ROOM_RECIPIENT = LOBBY_NAME;
const AES_KEY_BYTES = 32;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const MESSAGE_ID_BYTES = 16;

/** Where the message key came from, and the header that lets the recipient find it. */
export type MessageKeySource =
  | { readonly ratchet: { readonly header: RatchetHeader; readonly messageKey: Buffer } }
  | { readonly roomKey: { readonly header: SenderKeyHeader; readonly messageKey: Buffer } };

export type SealInput = MessageKeySource & {
  readonly senderName: string;
  /** The sender's identity key, which signs. */
  readonly senderKey: KeyObject;
  /** null for the room. */
  readonly to: string | null;
  readonly plaintext: Buffer;
  /** The sender's chain id and this message's number in it (see messages.ts). */
  readonly chain: string;
  readonly seq: number;
  readonly now?: number;
};

export interface OpenInput {
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly senderPublicKey: KeyObject;
  /** From the recipient's ratchet or sender-key chain, for this envelope's header. */
  readonly messageKey: Buffer;
}

type EnvelopeHeader = Pick<Envelope, 'id' | 'ts' | 'chain' | 'seq' | 'ratchet' | 'senderKey'>;

function headerBytes(from: string, to: string | null, header: EnvelopeHeader): Buffer {
  const ratchet = header.ratchet === undefined ? ['-'] : ratchetFields(header.ratchet);
  const senderKey = header.senderKey === undefined ? ['-'] : [header.senderKey.id, String(header.senderKey.n)];
  return lengthPrefixed([
    ENVELOPE_CONTEXT,
    from,
    to ?? ROOM_RECIPIENT,
    header.id,
    String(header.ts),
    header.chain,
    String(header.seq),
    ...ratchet,
    ...senderKey,
  ]);
}

/** Every field of the ratchet header is signed and bound to the ciphertext: the session's start too. */
function ratchetFields(ratchet: RatchetHeader): string[] {
  const init = ratchet.init === undefined ? ['-'] : [ratchet.init.spk, ratchet.init.to, ratchet.init.opk ?? '-'];
  return [ratchet.sid, ...init, ratchet.dh, String(ratchet.pn), String(ratchet.n)];
}

function signedBytes(from: string, to: string | null, envelope: UnsignedEnvelope): Buffer {
  return Buffer.concat([headerBytes(from, to, envelope), lengthPrefixed([Buffer.from(envelope.iv, 'base64'), Buffer.from(envelope.ct, 'base64')])]);
}

type UnsignedEnvelope = Omit<Envelope, 'sig' | 'batch'>;

export function sealEnvelope(input: SealInput): Envelope {
  const { unsigned, signed } = encryptEnvelope(input);
  return { ...unsigned, sig: signBytes(input.senderKey, signed).toString('base64') };
}

/**
 * Seals many envelopes of one sender (a room's key handovers) under one signature per
 * MAX_BATCH_LEAVES (batch-signature.ts): each carries its proof; a lone one is signed as usual.
 */
export function sealEnvelopes(inputs: readonly SealInput[]): Envelope[] {
  const sealed: Envelope[] = [];
  for (let start = 0; start < inputs.length; start += MAX_BATCH_LEAVES) {
    const group = inputs.slice(start, start + MAX_BATCH_LEAVES);
    if (group.length === 1) {
      sealed.push(sealEnvelope(group[0]!));
      continue;
    }
    const encrypted = group.map(encryptEnvelope);
    const { root, proofs } = buildBatch(encrypted.map((e) => e.signed));
    const sig = signBytes(group[0]!.senderKey, batchSignedBytes(group.length, root)).toString('base64');
    sealed.push(...encrypted.map(({ unsigned }, k) => ({ ...unsigned, sig, batch: proofs[k]! })));
  }
  return sealed;
}

/** Encrypts under the message key; returns the envelope without its signature, and the bytes to sign. */
function encryptEnvelope(input: SealInput): { unsigned: UnsignedEnvelope; signed: Buffer } {
  const id = randomBytes(MESSAGE_ID_BYTES).toString('base64url');
  const ts = input.now ?? Date.now();
  const { messageKey } = 'ratchet' in input ? input.ratchet : input.roomKey;
  if (messageKey.length !== AES_KEY_BYTES) throw new RangeError('message keys are 32 bytes');
  const iv = randomBytes(GCM_IV_BYTES);
  const header: EnvelopeHeader = {
    id,
    ts,
    chain: input.chain,
    seq: input.seq,
    ...('ratchet' in input ? { ratchet: input.ratchet.header } : { senderKey: input.roomKey.header }),
  };
  const cipher = createCipheriv('aes-256-gcm', messageKey, iv);
  cipher.setAAD(headerBytes(input.senderName, input.to, header));
  const ct = Buffer.concat([cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
  const unsigned = { ...header, iv: iv.toString('base64'), ct: ct.toString('base64') };
  return { unsigned, signed: signedBytes(input.senderName, input.to, unsigned) };
}

/**
 * Verifies the sender's signature, then decrypts. Every failure throws the same
 * CryptoError(ENVELOPE_INVALID) so that a forger cannot tell which step it got past.
 */
export function openEnvelope(input: OpenInput): Buffer {
  const { envelope } = input;
  const signature = Buffer.from(envelope.sig, 'base64');
  const signed = signedBytes(input.from, input.to, envelope);
  // In a batch, the signature is over the root its proof leads to from this envelope.
  const root = envelope.batch === undefined ? undefined : rootFromProof(signed, envelope.batch);
  if (envelope.batch !== undefined && root === undefined) throw envelopeInvalid();
  const message = root === undefined ? signed : batchSignedBytes(envelope.batch!.n, root);
  if (!verifyBytes(input.senderPublicKey, message, signature)) {
    throw envelopeInvalid();
  }
  try {
    const iv = Buffer.from(envelope.iv, 'base64');
    const sealed = Buffer.from(envelope.ct, 'base64');
    if (input.messageKey.length !== AES_KEY_BYTES || iv.length !== GCM_IV_BYTES || sealed.length < GCM_TAG_BYTES) {
      throw envelopeInvalid();
    }
    const decipher = createDecipheriv('aes-256-gcm', input.messageKey, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(headerBytes(input.from, input.to, envelope));
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw cause instanceof CryptoError ? cause : envelopeInvalid(cause);
  }
}

function envelopeInvalid(cause?: unknown): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification', cause === undefined ? undefined : { cause });
}
