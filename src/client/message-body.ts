// What an end-to-end envelope carries once opened, and how it is read: text for the user, a
// sender-key handover, a member's request for one of our room chains it never got (protocol v4),
// or a receipt: the recipient's client saying it kept our DMs, sealed to us so no server can make
// one up (the only ground for "delivered").
import { CryptoError, ErrorCode } from '../core/errors.js';
import { isValidRoomName } from '../core/room-names.js';
import type { SenderKeyGrant } from '../core/sender-key.js';
import { type FileAttachment, readAttachment } from './files/attachment.js';

/** Most ids in one receipt: a client sends one per sender a turn, as many as it kept from them. */
export const MAX_RECEIPT_IDS_IN_BODY = 1000;

export type MessageBody =
  /** A line; with `file`, a line that carries a file (the text says so to a client that cannot fetch it). */
  | { readonly text: string; readonly file?: FileAttachment }
  | { readonly senderKey: RoomGrant }
  | { readonly keyRequest: { readonly chain: string; readonly n: number; readonly room?: string } }
  | { readonly receipt: { readonly ids: readonly string[] } };

/** A handover names the named room its chain is for (absent: the lobby); it opens nothing elsewhere. */
export type RoomGrant = SenderKeyGrant & { readonly room?: string };

/** Reads an opened envelope's body; anything else is the same failure as a bad signature. */
export function parseBody(plaintext: Buffer): MessageBody {
  let body: unknown;
  try {
    body = JSON.parse(plaintext.toString('utf8'));
  } catch {
    throw failed();
  }
  const obj = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (typeof obj['text'] === 'string') {
    if (obj['file'] === undefined) return { text: obj['text'] };
    const file = readAttachment(obj['file']);
    if (file === undefined) throw failed();
    return { text: obj['text'], file };
  }
  const grant = obj['senderKey'] as Partial<RoomGrant> | undefined;
  if (typeof grant?.id === 'string' && typeof grant.key === 'string' && typeof grant.n === 'number' && isRoomOrAbsent(grant.room)) {
    return { senderKey: { id: grant.id, key: grant.key, n: grant.n, ...(grant.room === undefined ? {} : { room: grant.room }) } };
  }
  const request = obj['keyRequest'] as { chain?: unknown; n?: unknown; room?: unknown } | undefined;
  if (
    typeof request?.chain === 'string' &&
    request.chain.length <= 64 &&
    Number.isSafeInteger(request.n) &&
    (request.n as number) >= 0 &&
    isRoomOrAbsent(request.room)
  ) {
    return { keyRequest: { chain: request.chain, n: request.n as number, ...(request.room === undefined ? {} : { room: request.room as string }) } };
  }
  const receipt = obj['receipt'] as { ids?: unknown } | undefined;
  if (Array.isArray(receipt?.ids) && receipt.ids.length <= MAX_RECEIPT_IDS_IN_BODY && receipt.ids.every(isEnvelopeId)) {
    return { receipt: { ids: receipt.ids as string[] } };
  }
  throw failed();
}

function isEnvelopeId(id: unknown): boolean {
  return typeof id === 'string' && /^[A-Za-z0-9_-]{1,64}$/.test(id);
}

/** A named room's name in a handover or key request, or nothing (the lobby). */
function isRoomOrAbsent(room: unknown): boolean {
  return room === undefined || (typeof room === 'string' && isValidRoomName(room));
}

function failed(): CryptoError {
  return new CryptoError(ErrorCode.ENVELOPE_INVALID, 'message failed verification');
}
