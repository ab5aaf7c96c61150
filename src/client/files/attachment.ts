// What an end-to-end message says about a file it carries: where the ciphertext is (its id on the
// server), the key that opens it, and what the sender says it is (name, size, hash, whether it is a
// picture). Everything here came from a peer: the name is only a suggestion (save-path.ts cleans
// it), and the size and hash are checked against what arrives.
import { isFileId } from '../../core/file-codec.js';

export interface FileAttachment {
  readonly id: string;
  /** The sender's file name, as they gave it (cleaned before it names anything here). */
  readonly name: string;
  /** Plaintext bytes. */
  readonly size: number;
  /** SHA-256 of the plaintext, hex. */
  readonly sha256: string;
  /** The file's AES-256 key, base64. */
  readonly key: string;
  /** A picture the TUI may draw (PNG, JPEG, GIF or WebP, by its first bytes). */
  readonly picture?: boolean;
}

/** Names longer than this are cut (filesystems allow 255 bytes). */
export const MAX_ATTACHMENT_NAME_CHARS = 255;
/** The most any server may allow: 1 TiB. A server's own --max-file-bytes is far lower. */
const MAX_ATTACHMENT_SIZE = 2 ** 40;

/** A peer's attachment, or undefined when it is not one. */
export function readAttachment(value: unknown): FileAttachment | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const obj = value as Record<string, unknown>;
  const { id, name, size, sha256, key, picture } = obj;
  if (!isFileId(id)) return undefined;
  if (typeof name !== 'string' || name.length === 0 || name.length > MAX_ATTACHMENT_NAME_CHARS) return undefined;
  if (!Number.isSafeInteger(size) || (size as number) < 0 || (size as number) > MAX_ATTACHMENT_SIZE) return undefined;
  if (typeof sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(sha256)) return undefined;
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{43}=$/.test(key)) return undefined;
  if (picture !== undefined && typeof picture !== 'boolean') return undefined;
  return { id, name, size: size as number, sha256, key, ...(picture === true ? { picture: true } : {}) };
}

/** "report.pdf (1.2 MB)": how a file is named in a line. */
export function describeAttachment(file: Pick<FileAttachment, 'name' | 'size'>): string {
  return `${file.name} (${formatBytes(file.size)})`;
}

export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value < 10 ? value.toFixed(1) : Math.round(value)} ${units[unit]}`;
}
