// Files on a cluster (files/file-backend.ts): a JetStream key-value bucket, <cluster>_files,
// that every node reads, so a file uploaded through one node is fetched from any other and
// outlives the node it came through (the broker keeps it, with its own replication):
//   m.<id>           the file's record (sender, size, chunks, who it is for, when it expires)
//   c.<id>.<index>   one sealed chunk (64 KiB and its tag): at most 1 MB, NATS's payload limit
// Unlike the message store the chunks are not mirrored in memory: a node reads a chunk when it
// sends it. The records are (one small value per file, followed by a watch on m.>), so every node
// counts the file shares and sweeps expiry for the whole cluster. How far an upload came is
// written to its record every HAVE_EVERY_CHUNKS chunks: an upload resumed through another node
// repeats at most that many.
import type { FileBackend } from '../files/file-backend.js';
import type { StoredFile } from '../files/file-store.js';

/** What this needs of a JetStream KV bucket (nats-bus.ts hands one over: the broker client stays there). */
export interface FileBucket {
  get(key: string): Promise<{ readonly value: Uint8Array; readonly operation: string } | null>;
  put(key: string, value: Uint8Array): Promise<number>;
  purge(key: string): Promise<void>;
  watch(options: { readonly key: string }): Promise<AsyncIterable<{ readonly key: string; readonly value: Uint8Array; readonly operation: string }>>;
}

const HAVE_EVERY_CHUNKS = 16;

export class JetStreamFiles implements FileBackend {
  /** Every file's record in the cluster, as the watch reports them (this node's own uploads run ahead). */
  private readonly records = new Map<string, StoredFile>();
  private readonly listeners: Array<(id: string) => void> = [];

  constructor(private readonly bucket: FileBucket) {}

  /** Follows every node's records from now on (the current ones first). */
  async followRecords(onError: (error: unknown) => void): Promise<void> {
    const watch = await this.bucket.watch({ key: 'm.>' });
    void (async () => {
      for await (const entry of watch) {
        const id = entry.key.slice(2);
        if (entry.operation !== 'PUT' || entry.value.length === 0) {
          this.records.delete(id);
        } else {
          const stored = JSON.parse(Buffer.from(entry.value).toString('utf8')) as StoredFile;
          const mine = this.records.get(id);
          // This node's own upload runs ahead of what it wrote; anything else is news.
          if (mine === undefined || mine.have <= stored.have) this.records.set(id, stored);
        }
        for (const listener of this.listeners) listener(id);
      }
    })().catch(onError);
  }

  onChange(listener: (id: string) => void): void {
    this.listeners.push(listener);
  }

  known(): Iterable<StoredFile> {
    return this.records.values();
  }

  async find(id: string): Promise<StoredFile | undefined> {
    const entry = await this.bucket.get(`m.${id}`);
    if (entry === null || entry.operation !== 'PUT' || entry.value.length === 0) {
      this.records.delete(id);
      return undefined;
    }
    const stored = JSON.parse(Buffer.from(entry.value).toString('utf8')) as StoredFile;
    // This node's own record is the live one (its `have` runs ahead of what was written).
    const mine = this.records.get(id);
    if (mine !== undefined && mine.have >= stored.have) return mine;
    this.records.set(id, stored);
    return stored;
  }

  async create(record: StoredFile): Promise<void> {
    this.records.set(record.id, record);
    await this.saveRecord(record);
  }

  async append(record: StoredFile, data: Buffer): Promise<void> {
    await this.bucket.put(`c.${record.id}.${record.have}`, data);
    record.have++;
    if (record.have === record.chunks || record.have % HAVE_EVERY_CHUNKS === 0) await this.saveRecord(record);
  }

  async readChunk(record: StoredFile, index: number): Promise<Buffer> {
    const entry = await this.bucket.get(`c.${record.id}.${index}`);
    if (entry === null || entry.operation !== 'PUT') throw new Error(`chunk ${index} of a stored file is missing`);
    return Buffer.from(entry.value);
  }

  async fetched(record: StoredFile, name: string): Promise<boolean> {
    // Read again: members on other nodes may have fetched it meanwhile.
    const current = (await this.find(record.id)) ?? record;
    const waitingFor = current.waitingFor.filter((waiting) => waiting !== name);
    if (waitingFor.length > 0) {
      const updated = { ...current, waitingFor };
      this.records.set(record.id, updated);
      await this.saveRecord(updated);
      return false;
    }
    await this.remove(record.id);
    return true;
  }

  async remove(id: string): Promise<void> {
    const record = this.records.get(id) ?? (await this.find(id));
    this.records.delete(id);
    await this.bucket.purge(`m.${id}`);
    if (record === undefined) return;
    for (let index = 0; index < record.chunks; index++) await this.bucket.purge(`c.${id}.${index}`);
  }

  private async saveRecord(record: StoredFile): Promise<void> {
    await this.bucket.put(`m.${record.id}`, Buffer.from(JSON.stringify(record)));
  }
}
