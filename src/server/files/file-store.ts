// Where the server keeps files' ciphertext: one folder, a file per upload (chunks appended in
// order, `<id>.part` until the last one, then `<id>.bin`) and its record beside it (`<id>.json`:
// sender, size, chunks, who it is for, when it expires; written once, and when someone it was for
// has fetched it). Nothing is held in memory but the
// records: chunks go to disk as they come and are read back one at a time, so the server's memory
// does not grow with a file's size. The store cannot read what it keeps (end-to-end encrypted).
import { LRUCache } from 'lru-cache';
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  renameSync,
  rmSync,
  statSync,
  truncateSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from '../../core/file-messages.js';
import { writePrivateFileSync } from '../../storage/private-file.js';

/** Every chunk but the last is exactly this long, so where a chunk starts is arithmetic, not a table. */
export const STORED_CHUNK_BYTES = FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES;

export interface StoredFile {
  readonly id: string;
  /** The sender's name key, and a hash of their address (for the shares). */
  readonly sender: string;
  readonly origin: string;
  /** Whom it is for: names (name keys) still to fetch it. */
  readonly waitingFor: string[];
  readonly bytes: number;
  readonly chunks: number;
  /** Chunks on disk; `chunks` once complete. Not saved: read back from the file's length. */
  have: number;
  readonly expiresAt: number;
}

/** Uploads whose file stays open between chunks; past this the longest idle is closed (reopened if it goes on). */
const OPEN_WRITERS = 64;

export class FileStore {
  private readonly records = new Map<string, StoredFile>();
  /** Open descriptors of uploads under way: a chunk costs one write, not an open and a close; past the bound the longest idle is closed. */
  private readonly writers = new LRUCache<string, number>({ max: OPEN_WRITERS, dispose: (fd) => closeSync(fd) });

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    for (const name of readdirSync(dir)) {
      if (!name.endsWith('.json')) continue;
      try {
        const record = JSON.parse(readFileSync(join(dir, name), 'utf8')) as StoredFile;
        // A record whose chunks are gone (a crash between the two) is dropped with what is left.
        const complete = existsSync(this.binPath(record.id));
        if (!complete && !existsSync(this.partPath(record.id))) {
          this.remove(record.id);
          continue;
        }
        // An upload cut off mid-chunk resumes from its last whole chunk.
        const have = complete ? record.chunks : Math.floor(statSync(this.partPath(record.id)).size / STORED_CHUNK_BYTES);
        if (!complete) truncateSync(this.partPath(record.id), have * STORED_CHUNK_BYTES);
        this.records.set(record.id, { ...record, have });
      } catch {
        rmSync(join(dir, name), { force: true });
      }
    }
  }

  get(id: string): StoredFile | undefined {
    return this.records.get(id);
  }

  all(): IterableIterator<StoredFile> {
    return this.records.values();
  }

  create(record: StoredFile): void {
    this.records.set(record.id, record);
    closeSync(openSync(this.partPath(record.id), 'a', 0o600));
    this.saveRecord(record);
  }

  /** Appends chunk `record.have` (the caller checked its place and size) and records it. */
  append(record: StoredFile, data: Buffer): void {
    let fd = this.writers.get(record.id);
    if (fd === undefined) {
      fd = openSync(this.partPath(record.id), 'a', 0o600);
      this.writers.set(record.id, fd);
    }
    writeSync(fd, data);
    record.have++;
    if (record.have === record.chunks) {
      this.closeWriter(record.id);
      renameSync(this.partPath(record.id), this.binPath(record.id));
    }
  }

  /** Closes the upload's descriptor, if open (the cache's dispose closes it). */
  private closeWriter(id: string): void {
    this.writers.delete(id);
  }

  /** Chunk `index` of a complete file, read from disk. */
  readChunk(record: StoredFile, index: number): Buffer {
    const start = index * STORED_CHUNK_BYTES;
    const length = Math.min(STORED_CHUNK_BYTES, record.bytes - start);
    const out = Buffer.allocUnsafe(length);
    const fd = openSync(this.dataPath(record), 'r');
    try {
      readSync(fd, out, 0, length, start);
    } finally {
      closeSync(fd);
    }
    return out;
  }

  /** Someone it was for has it all: forgotten once nobody is waiting. True when it was removed. */
  fetched(record: StoredFile, name: string): boolean {
    const at = record.waitingFor.indexOf(name);
    if (at >= 0) record.waitingFor.splice(at, 1);
    if (record.waitingFor.length > 0) {
      this.saveRecord(record);
      return false;
    }
    this.remove(record.id);
    return true;
  }

  remove(id: string): void {
    this.closeWriter(id);
    this.records.delete(id);
    for (const path of [this.partPath(id), this.binPath(id), join(this.dir, `${id}.json`)]) rmSync(path, { force: true });
  }

  /** Bytes on disk now (complete and partial). */
  get bytes(): number {
    let total = 0;
    for (const record of this.records.values()) total += Math.min(record.bytes, record.have * STORED_CHUNK_BYTES);
    return total;
  }

  private saveRecord(record: StoredFile): void {
    writePrivateFileSync(join(this.dir, `${record.id}.json`), JSON.stringify(record));
  }

  private dataPath(record: StoredFile): string {
    return record.have === record.chunks ? this.binPath(record.id) : this.partPath(record.id);
  }

  private partPath(id: string): string {
    return join(this.dir, `${id}.part`);
  }

  private binPath(id: string): string {
    return join(this.dir, `${id}.bin`);
  }
}
