// Where a server keeps files' ciphertext: on its own disk (a lone server: DiskFileBackend over
// FileStore), or, on a cluster, in a JetStream bucket every node reads (jetstream-files.ts), so a
// file uploaded to one node is fetched from any other, and outlives the node it came through.
import { FileStore, type StoredFile } from './file-store.js';

export interface FileBackend {
  /** The files this node knows of now (its uploads, and those it looked up): for shares and sweeps. */
  known(): Iterable<StoredFile>;
  /** The file with this id, here or (on a cluster) in the shared bucket. */
  find(id: string): Promise<StoredFile | undefined>;
  create(record: StoredFile): Promise<void>;
  /** Stores chunk `record.have` (the caller checked its place and size); `have` moves on once it is stored. */
  append(record: StoredFile, data: Buffer): Promise<void>;
  readChunk(record: StoredFile, index: number): Promise<Buffer>;
  /** Someone it was for has it all: true when that was the last, and the file is gone. */
  fetched(record: StoredFile, name: string): Promise<boolean>;
  remove(id: string): Promise<void>;
  /** Calls back with a file's id when another node changed its record (an upload moved on, the file went). */
  onChange?(listener: (id: string) => void): void;
}

/** A lone server's files: FileStore's folder (opened at the first file request), its calls made awaitable. */
export class DiskFileBackend implements FileBackend {
  private opened: FileStore | undefined;

  /**
   * `dir`: the folder. A server's data folder is read at once (files kept from before a restart
   * count and expire); a temporary one (a server that keeps nothing) is made only when first needed.
   */
  constructor(
    private readonly dir: () => string,
    eager: boolean,
  ) {
    if (eager) this.opened = new FileStore(dir());
  }

  private get store(): FileStore {
    this.opened ??= new FileStore(this.dir());
    return this.opened;
  }

  known(): Iterable<StoredFile> {
    return this.opened?.all() ?? [];
  }

  async find(id: string): Promise<StoredFile | undefined> {
    return this.store.get(id);
  }

  async create(record: StoredFile): Promise<void> {
    this.store.create(record);
  }

  async append(record: StoredFile, data: Buffer): Promise<void> {
    this.store.append(record, data);
  }

  async readChunk(record: StoredFile, index: number): Promise<Buffer> {
    return this.store.readChunk(record, index);
  }

  async fetched(record: StoredFile, name: string): Promise<boolean> {
    return this.store.fetched(record, name);
  }

  async remove(id: string): Promise<void> {
    this.store.remove(id);
  }
}
