// The few operations the server's store needs from an embedded key-value engine: ordered keys
// made of parts (so one user's stored messages are a range), durable writes, and range reads.
// Two engines: LMDB on disk (serve --data-dir) and a Map in memory (tests, and a clustered node
// until its store moves to JetStream). docs/DECISIONS.md says why LMDB.
import { chmodSync, closeSync, existsSync, fstatSync, mkdirSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';

export type KeyPart = string | number;
export type Key = readonly KeyPart[];

export interface KeyValue {
  /** True when writes survive a crash of the process or the machine once put() resolved. */
  readonly durable: boolean;
  get<T>(key: Key): T | undefined;
  /** Resolves once the write is committed (for LMDB: synced to disk, grouped with the other writes of this turn). */
  put(key: Key, value: unknown): Promise<void>;
  remove(key: Key): Promise<void>;
  /** Entries whose key starts with `prefix`, in key order. */
  range<T>(prefix: Key): Iterable<{ readonly key: Key; readonly value: T }>;
  close(): Promise<void>;
}

/** A KeyValue several processes write (a cluster's bucket): each hears of the others' changes. */
export interface SharedKeyValue extends KeyValue {
  onChange(listener: (key: Key) => void): void;
  /**
   * Removes the entry unless another process changed or removed it first; true when this call
   * removed it. What only one process may have (a one-time prekey) is taken with this.
   */
  take(key: Key): Promise<boolean>;
}

export function isSharedKeyValue(kv: KeyValue): kv is SharedKeyValue {
  return typeof (kv as { onChange?: unknown }).onChange === 'function';
}

/** The store's file could not be opened or read: named, with what to do; never replaced by an empty one. */
export class StoreCorruptError extends ChatError {
  constructor(file: string, cause: unknown) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      ErrorCode.STORE_CORRUPT,
      `cannot read the server's store ${file} (${why.slice(0, 160)}). It holds name registrations and stored messages, so the server will ` +
        'not start without it: restore it from a backup, or move it aside to start with an empty store (every name can then be registered anew).',
      { cause },
    );
  }
}

/**
 * Entries in memory, ordered as LMDB orders keys (numbers before strings), grouped by their first
 * two parts so that a prefix of two parts or more (one user's mailbox) is read without a scan of
 * everything. Used by the memory engine and by the cluster store's mirror.
 */
export class KeyIndex<V> {
  private readonly groups = new Map<string, Map<string, { readonly key: Key; value: V }>>();

  get(key: Key): V | undefined {
    return this.groups.get(groupOf(key))?.get(JSON.stringify(key))?.value;
  }

  set(key: Key, value: V): void {
    const group = groupOf(key);
    let entries = this.groups.get(group);
    if (entries === undefined) {
      entries = new Map();
      this.groups.set(group, entries);
    }
    entries.set(JSON.stringify(key), { key: [...key], value });
  }

  /** Returns false when there was nothing under that key. */
  delete(key: Key): boolean {
    const group = groupOf(key);
    const entries = this.groups.get(group);
    if (entries?.delete(JSON.stringify(key)) !== true) return false;
    if (entries.size === 0) this.groups.delete(group);
    return true;
  }

  /** Entries whose key starts with `prefix`, in key order. */
  range(prefix: Key): Array<{ readonly key: Key; readonly value: V }> {
    const candidates =
      prefix.length >= 2 ? [...(this.groups.get(groupOf(prefix))?.values() ?? [])] : [...this.groups.values()].flatMap((entries) => [...entries.values()]);
    const matches = candidates.filter((entry) => prefix.every((part, i) => entry.key[i] === part));
    return matches.sort((a, b) => compareKeys(a.key, b.key));
  }
}

function groupOf(key: Key): string {
  return JSON.stringify(key.slice(0, 2));
}

export class MemoryKeyValue implements KeyValue {
  readonly durable = false;
  private readonly entries = new KeyIndex<unknown>();

  get<T>(key: Key): T | undefined {
    return this.entries.get(key) as T | undefined;
  }

  async put(key: Key, value: unknown): Promise<void> {
    this.entries.set(key, value);
  }

  async remove(key: Key): Promise<void> {
    this.entries.delete(key);
  }

  *range<T>(prefix: Key): Iterable<{ key: Key; value: T }> {
    for (const entry of this.entries.range(prefix)) yield { key: entry.key, value: entry.value as T };
  }

  async close(): Promise<void> {}
}

function compareKeys(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x === y) continue;
    if (typeof x === typeof y) return x < y ? -1 : 1;
    return typeof x === 'number' ? -1 : 1; // numbers before strings, as LMDB's key order has it
  }
  return a.length - b.length;
}

/** LMDB through the `lmdb` package (prebuilt binaries, no compiler at install). */
export class LmdbKeyValue implements KeyValue {
  readonly durable = true;
  /** Set by close(): a connection that closes after the store (during shutdown) finds nothing, and writes nothing. */
  private closed = false;

  private constructor(
    private readonly db: import('lmdb').RootDatabase,
    readonly file: string,
  ) {}

  /** Opens (or creates) the store in `dir`, 0700, and reads it through once so damage shows now, not later. */
  static async open(dir: string): Promise<LmdbKeyValue> {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    chmodSync(dir, 0o700);
    const file = join(dir, 'data.mdb');
    checkLmdbFile(file);
    const { open } = await import('lmdb');
    let db: import('lmdb').RootDatabase;
    try {
      // noSync stays false: a write resolves once it is on disk. Writes of one event-loop turn share
      // a transaction and one sync (group commit), which is what makes durable writes cheap.
      db = open({ path: dir, encoding: 'msgpack', compression: false });
      for (const _ of db.getKeys({ limit: 1_000_000_000 })) {
        // Touch every key: a truncated or foreign file fails here, at start.
      }
    } catch (error) {
      throw new StoreCorruptError(file, error);
    }
    return new LmdbKeyValue(db, file);
  }

  get<T>(key: Key): T | undefined {
    if (this.closed) return undefined;
    return this.db.get(key as KeyPart[]) as T | undefined;
  }

  async put(key: Key, value: unknown): Promise<void> {
    if (this.closed) throw new Error('the store is closed');
    await this.db.put(key as KeyPart[], value);
  }

  async remove(key: Key): Promise<void> {
    if (this.closed) return;
    await this.db.remove(key as KeyPart[]);
  }

  *range<T>(prefix: Key): Iterable<{ key: Key; value: T }> {
    if (this.closed) return;
    // '\uffff' sorts after every number and every string part we write.
    for (const { key, value } of this.db.getRange({ start: [...prefix], end: [...prefix, '\uffff'] })) {
      yield { key: key as Key, value: value as T };
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.db.close();
  }
}

/** LMDB's meta-page magic number, as lmdb-js writes it (little-endian, after its page header). */
const LMDB_MAGIC = 0xbeefc0de;
const MAGIC_OFFSET = 24;
const PAGE_SIZE_OFFSET = 48;
/** What the check reads: the first meta page, and the second one for page sizes up to 32 KiB. */
const META_BYTES_READ = 64 * 1024;

/**
 * LMDB trusts its file: a foreign or damaged one can crash the process (measured: a segfault on a
 * file of garbage). So the two meta pages are checked before LMDB sees it.
 */
export function checkLmdbFile(file: string): void {
  if (!existsSync(file)) return;
  // Only the head is read: reading the whole file to look at 64 KiB took 5.2 s and 2.26 GB on a
  // full 1 GiB store (and fails outright past 2 GiB).
  const fd = openSync(file, 'r');
  let size: number;
  let head: Buffer;
  try {
    size = fstatSync(fd).size;
    head = Buffer.alloc(Math.min(size, META_BYTES_READ));
    head = head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
  const bad = (why: string) => new StoreCorruptError(file, new Error(why));
  if (head.length < PAGE_SIZE_OFFSET + 4 || head.readUInt32LE(MAGIC_OFFSET) !== LMDB_MAGIC) throw bad('not an LMDB file: no meta page');
  const pageSize = head.readUInt32LE(PAGE_SIZE_OFFSET);
  if (pageSize < 512 || pageSize > 65536 || (pageSize & (pageSize - 1)) !== 0) throw bad('its meta page gives no valid page size');
  if (size < 2 * pageSize || size % pageSize !== 0) throw bad(`truncated (${size} bytes is not a whole number of ${pageSize}-byte pages)`);
  if (head.length >= pageSize + MAGIC_OFFSET + 4 && head.readUInt32LE(pageSize + MAGIC_OFFSET) !== LMDB_MAGIC) throw bad('the second meta page is damaged');
}
