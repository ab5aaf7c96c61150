// The client's files at rest: a snapshot (session state) and an append-only journal (history),
// each record sealed with AES-256-GCM under a key derived from the identity's private key, so
// whoever can read the files but not the key learns nothing. Writes are crash-safe: the snapshot
// is written to a temporary file, synced and renamed over the old one; a journal record torn by a
// crash is the last one and is dropped on reading, while a damaged record before it is an error
// that names the file (never a silent fresh start).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Identity } from '../../core/identity.js';

const SNAPSHOT_MAGIC = Buffer.from('TCS1');
const IV_BYTES = 12;
const TAG_BYTES = 16;

/** The key for the client's files: HKDF over the identity's private key, so it needs no second secret. */
export function stateKey(identity: Identity): Buffer {
  const secret = createHash('sha256')
    .update(identity.privateKey.export({ type: 'pkcs8', format: 'der' }))
    .digest();
  return Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), 'tui-chat/client-state/v1', 32));
}

export class StateFileError extends ChatError {
  constructor(file: string, why: string) {
    super(
      ErrorCode.STORE_CORRUPT,
      `cannot read ${file} (${why}): it holds your sessions and history. Move it aside to start without them ` +
        '(contacts must then start new sessions with you), or restore it from a backup.',
    );
  }
}

function seal(key: Buffer, plaintext: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  const body = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  return Buffer.concat([iv, body, cipher.getAuthTag()]);
}

function open(key: Buffer, sealed: Buffer): Buffer | undefined {
  if (sealed.length < IV_BYTES + TAG_BYTES) return undefined;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, sealed.subarray(0, IV_BYTES));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
    return Buffer.concat([decipher.update(sealed.subarray(IV_BYTES, sealed.length - TAG_BYTES)), decipher.final()]);
  } catch {
    return undefined;
  }
}

/** Writes `data` to `path` atomically and durably: temp file, fsync, rename, fsync of the folder. */
function writeAtomically(path: string, data: Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const temp = `${path}.tmp`;
  const fd = openSync(temp, 'w', 0o600);
  try {
    writeSync(fd, data);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(temp, path);
  const dir = openSync(dirname(path), 'r');
  try {
    fsyncSync(dir);
  } finally {
    closeSync(dir);
  }
}

export class SealedSnapshot<T> {
  constructor(
    readonly path: string,
    private readonly key: Buffer,
  ) {}

  load(): T | undefined {
    if (!existsSync(this.path)) return undefined;
    const data = readFileSync(this.path);
    if (!data.subarray(0, 4).equals(SNAPSHOT_MAGIC)) throw new StateFileError(this.path, 'not a tui-chat state file');
    const plaintext = open(this.key, data.subarray(4));
    if (plaintext === undefined) throw new StateFileError(this.path, 'damaged, or sealed under another identity key');
    return JSON.parse(plaintext.toString('utf8')) as T;
  }

  save(value: T): void {
    writeAtomically(this.path, Buffer.concat([SNAPSHOT_MAGIC, seal(this.key, Buffer.from(JSON.stringify(value), 'utf8'))]));
  }
}

/** Records appended one after another: u32 length, then the sealed record. */
export class SealedJournal<T> {
  constructor(
    readonly path: string,
    private readonly key: Buffer,
  ) {}

  readAll(): T[] {
    if (!existsSync(this.path)) return [];
    const data = readFileSync(this.path);
    const records: T[] = [];
    let offset = 0;
    while (offset + 4 <= data.length) {
      const length = data.readUInt32BE(offset);
      if (offset + 4 + length > data.length) break; // the last append, torn by a crash
      const plaintext = open(this.key, data.subarray(offset + 4, offset + 4 + length));
      if (plaintext === undefined) {
        // A torn tail fails to open too; only a bad record with more after it is damage.
        if (offset + 4 + length === data.length) break;
        throw new StateFileError(this.path, `record at byte ${offset} is damaged`);
      }
      records.push(JSON.parse(plaintext.toString('utf8')) as T);
      offset += 4 + length;
    }
    // Cut a torn tail off now, or the next append would bury it mid-file.
    if (offset < data.length) truncateSync(this.path, offset);
    return records;
  }

  /** Appends and syncs: on return the records survive a crash. */
  append(records: readonly T[]): void {
    if (records.length === 0) return;
    mkdirSync(dirname(this.path), { recursive: true, mode: 0o700 });
    const fd = openSync(this.path, 'a', 0o600);
    try {
      writeSync(fd, this.encode(records));
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  }

  /** Replaces the whole journal (compaction: expired history dropped), atomically. */
  rewrite(records: readonly T[]): void {
    writeAtomically(this.path, this.encode(records));
  }

  /** Each record sealed, after its length as a u32 BE. */
  private encode(records: readonly T[]): Buffer {
    const parts: Buffer[] = [];
    for (const record of records) {
      const sealed = seal(this.key, Buffer.from(JSON.stringify(record), 'utf8'));
      const length = Buffer.alloc(4);
      length.writeUInt32BE(sealed.length);
      parts.push(length, sealed);
    }
    return Buffer.concat(parts);
  }
}
