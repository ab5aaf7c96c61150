// The client's files at rest: a snapshot (session state) and an append-only journal (history),
// each record sealed with AES-256-GCM under a key derived from the identity's private key, so
// whoever can read the files but not the key learns nothing. Writes are crash-safe: the snapshot
// is written to a temporary file, synced and renamed over the old one; a journal record torn by a
// crash is the last one and is dropped on reading, while a damaged record before it is skipped to
// the next good one, reported, and the file as it was kept aside (never a silent loss).
import { createCipheriv, createDecipheriv, createHash, hkdfSync, randomBytes } from 'node:crypto';
import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readFileSync, truncateSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Identity } from '../../core/identity.js';
import { writePrivateFileSync } from '../../storage/private-file.js';

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
    writePrivateFileSync(this.path, Buffer.concat([SNAPSHOT_MAGIC, seal(this.key, Buffer.from(JSON.stringify(value), 'utf8'))]));
  }
}

/** Damage found in a journal: records that could not be read, skipped; the file as it was is kept aside. */
export interface JournalDamage {
  /** Damaged stretches skipped, each at least one record lost. */
  readonly records: number;
  readonly bytes: number;
  /** Where the file as it was is kept (0600), for whoever wants to try to recover more. */
  readonly keptAt: string;
}

/** No record is longer: a record is one message (at most 8,000 characters) as sealed JSON. */
const MAX_RECORD_BYTES = 1024 * 1024;

/** Records appended one after another: u32 length, then the sealed record. */
export class SealedJournal<T> {
  /** What the last readAll() had to skip, if anything. */
  damage: JournalDamage | undefined;

  constructor(
    readonly path: string,
    private readonly key: Buffer,
  ) {}

  /**
   * Every record that opens, in order. A damaged record (a bad length, a flipped byte) is skipped
   * to the next record that opens, never taken as the end: one bad length field once cut the rest
   * of a history off. What was skipped is reported in `damage`, the file as it was is copied aside,
   * and the journal rewritten with the good records. Only a torn last append (a crash mid-write:
   * a plausible length running past the end) is cut off silently.
   */
  readAll(): T[] {
    this.damage = undefined;
    if (!existsSync(this.path)) return [];
    const data = readFileSync(this.path);
    const records: T[] = [];
    let damagedRecords = 0;
    let damagedBytes = 0;
    let offset = 0;
    while (offset < data.length) {
      const found = this.recordAt(data, offset);
      if (found !== undefined) {
        records.push(found.record);
        offset = found.next;
        continue;
      }
      const next = this.nextRecordAfter(data, offset);
      if (next === undefined && this.isTornTail(data, offset)) {
        // Cut a torn tail off now, or the next append would bury it mid-file.
        truncateSync(this.path, offset);
        break;
      }
      const end = next ?? data.length;
      damagedRecords++;
      damagedBytes += end - offset;
      offset = end;
    }
    if (damagedRecords > 0 && records.length === 0) {
      // Nothing opens: sealed under another identity key, or not a journal. Never rewritten.
      throw new StateFileError(this.path, 'no record opens: damaged, or sealed under another identity key');
    }
    if (damagedRecords > 0) {
      const keptAt = `${this.path}.damaged-${Date.now()}`;
      writePrivateFileSync(keptAt, data);
      this.rewrite(records);
      this.damage = { records: damagedRecords, bytes: damagedBytes, keptAt };
    }
    return records;
  }

  /** The record that starts at `offset` and opens, with where the next one starts. */
  private recordAt(data: Buffer, offset: number): { record: T; next: number } | undefined {
    if (offset + 4 > data.length) return undefined;
    const length = data.readUInt32BE(offset);
    if (length < IV_BYTES + TAG_BYTES || length > MAX_RECORD_BYTES || offset + 4 + length > data.length) return undefined;
    const plaintext = open(this.key, data.subarray(offset + 4, offset + 4 + length));
    if (plaintext === undefined) return undefined;
    try {
      return { record: JSON.parse(plaintext.toString('utf8')) as T, next: offset + 4 + length };
    } catch {
      return undefined;
    }
  }

  /** The start of the next record that opens after a damaged one. */
  private nextRecordAfter(data: Buffer, offset: number): number | undefined {
    for (let at = offset + 1; at + 4 <= data.length; at++) if (this.recordAt(data, at) !== undefined) return at;
    return undefined;
  }

  /** A last append cut short by a crash: its length is plausible and runs past the end of the file. */
  private isTornTail(data: Buffer, offset: number): boolean {
    if (offset + 4 > data.length) return true;
    const length = data.readUInt32BE(offset);
    return length >= IV_BYTES + TAG_BYTES && length <= MAX_RECORD_BYTES && offset + 4 + length > data.length;
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
    writePrivateFileSync(this.path, this.encode(records));
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
