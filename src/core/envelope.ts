// Sealing and opening end-to-end envelopes (docs/PROTOCOL.md, "Envelopes").
//
// A fresh AES-256-GCM key per message encrypts the plaintext; that key is wrapped with
// RSA-OAEP-SHA256 for each recipient; the sender signs (RSA-PSS-SHA256) the header and ciphertext.
// The wrapped keys are not signed, since each recipient sees only its own, but GCM binds the
// ciphertext to the one key it was made with: a substituted key fails to decrypt.
import { type KeyObject, constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes } from 'node:crypto';
import { CryptoError, ErrorCode } from './errors.js';
import { signBytes, verifyBytes } from './identity.js';
import type { RatchetHeader } from './double-ratchet.js';
import type { SenderKeyHeader } from './sender-key.js';
import type { Envelope } from './messages.js';
import { lengthPrefixed } from './signed-bytes.js';

const ENVELOPE_CONTEXT = 'tui-chat/envelope/v2';
/** The "to" of a room message inside signed bytes: '#' is not allowed in names, so no DM matches. */
const ROOM_RECIPIENT = '#room';
const AES_KEY_BYTES = 32;
const GCM_IV_BYTES = 12;
const GCM_TAG_BYTES = 16;
const MESSAGE_ID_BYTES = 16;

export interface Recipient {
  readonly name: string;
  readonly publicKey: KeyObject;
}

export interface SealInput {
  readonly senderName: string;
  readonly senderKey: KeyObject;
  /** null for the room. */
  readonly to: string | null;
  readonly recipients: readonly Recipient[];
  readonly plaintext: Buffer;
  /** The sender's chain id and this message's number in it (see messages.ts). */
  readonly chain: string;
  readonly seq: number;
  /** A direct message's key from the Double Ratchet: used instead of wrapping a random key. */
  readonly ratchet?: { readonly header: RatchetHeader; readonly messageKey: Buffer };
  /** A room message's key from the sender's sender-key chain (not to be confused with senderKey, the signing key). */
  readonly roomKey?: { readonly header: SenderKeyHeader; readonly messageKey: Buffer };
  readonly now?: number;
}

export interface SealedMessage {
  readonly envelope: Envelope;
  /** Recipient name -> the message key wrapped for that recipient, base64. */
  readonly keys: Record<string, string>;
}

export interface OpenInput {
  readonly from: string;
  readonly to: string | null;
  readonly envelope: Envelope;
  readonly senderPublicKey: KeyObject;
  /** The message key: given by the ratchet (DM) or the sender-key chain (room), or RSA-wrapped. */
  readonly key: { readonly wrapped: string; readonly recipientKey: KeyObject } | { readonly messageKey: Buffer };
}

type EnvelopeHeader = Pick<Envelope, 'id' | 'ts' | 'chain' | 'seq' | 'ratchet' | 'senderKey'>;

function headerBytes(from: string, to: string | null, header: EnvelopeHeader): Buffer {
  const ratchet = header.ratchet === undefined ? ['-'] : [header.ratchet.dh, String(header.ratchet.pn), String(header.ratchet.n)];
  const senderKey = header.senderKey === undefined ? ['-'] : [header.senderKey.id, String(header.senderKey.n)];
  return lengthPrefixed([ENVELOPE_CONTEXT, from, to ?? ROOM_RECIPIENT, header.id, String(header.ts), header.chain, String(header.seq), ...ratchet, ...senderKey]);
}

function signedBytes(from: string, to: string | null, envelope: Omit<Envelope, 'sig'>): Buffer {
  return Buffer.concat([
    headerBytes(from, to, envelope),
    lengthPrefixed([Buffer.from(envelope.iv, 'base64'), Buffer.from(envelope.ct, 'base64')]),
  ]);
}

const OAEP = { padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' } as const;

export function sealEnvelope(input: SealInput): SealedMessage {
  const id = randomBytes(MESSAGE_ID_BYTES).toString('base64url');
  const ts = input.now ?? Date.now();
  const given = input.ratchet ?? input.roomKey;
  const messageKey = given?.messageKey ?? randomBytes(AES_KEY_BYTES);
  const iv = randomBytes(GCM_IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', messageKey, iv);
  const header = {
    id, ts, chain: input.chain, seq: input.seq,
    ...(input.ratchet === undefined ? {} : { ratchet: input.ratchet.header }),
    ...(input.roomKey === undefined ? {} : { senderKey: input.roomKey.header }),
  };
  cipher.setAAD(headerBytes(input.senderName, input.to, header));
  const ct = Buffer.concat([cipher.update(input.plaintext), cipher.final(), cipher.getAuthTag()]);
  const unsigned = { ...header, iv: iv.toString('base64'), ct: ct.toString('base64') };
  const sig = signBytes(input.senderKey, signedBytes(input.senderName, input.to, unsigned)).toString('base64');
  const keys: Record<string, string> = Object.create(null);
  for (const recipient of input.recipients) {
    keys[recipient.name] = publicEncrypt({ key: recipient.publicKey, ...OAEP }, messageKey).toString('base64');
  }
  // The ratchet's key belongs to the ratchet; a random key is ours to wipe.
  if (given === undefined) messageKey.fill(0);
  return { envelope: { ...unsigned, sig }, keys };
}

/**
 * Verifies the sender's signature, unwraps the key and decrypts. Every failure throws the same
 * CryptoError(ENVELOPE_INVALID) so that a forger cannot tell which step it got past.
 */
export function openEnvelope(input: OpenInput): Buffer {
  const { envelope } = input;
  const signature = Buffer.from(envelope.sig, 'base64');
  if (!verifyBytes(input.senderPublicKey, signedBytes(input.from, input.to, envelope), signature)) {
    throw envelopeInvalid();
  }
  let messageKey: Buffer | undefined;
  try {
    messageKey =
      'messageKey' in input.key
        ? Buffer.from(input.key.messageKey)
        : privateDecrypt({ key: input.key.recipientKey, ...OAEP }, Buffer.from(input.key.wrapped, 'base64'));
    const iv = Buffer.from(envelope.iv, 'base64');
    const sealed = Buffer.from(envelope.ct, 'base64');
    if (messageKey.length !== AES_KEY_BYTES || iv.length !== GCM_IV_BYTES || sealed.length < GCM_TAG_BYTES) {
      throw envelopeInvalid();
    }
    const decipher = createDecipheriv('aes-256-gcm', messageKey, iv, { authTagLength: GCM_TAG_BYTES });
    decipher.setAAD(headerBytes(input.from, input.to, envelope));
    decipher.setAuthTag(sealed.subarray(sealed.length - GCM_TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(0, sealed.length - GCM_TAG_BYTES)), decipher.final()]);
  } catch (cause) {
    throw cause instanceof CryptoError ? cause : envelopeInvalid(cause);
  } finally {
    messageKey?.fill(0);
  }
}

function envelopeInvalid(cause?: unknown): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification', cause === undefined ? undefined : { cause });
}
