// The server's store on a cluster (protocol v4): the same KeyValue the lone server keeps in LMDB,
// here in a JetStream key-value bucket, so registrations and the messages waiting for away users
// are shared by every node and survive the death of any one (with the broker's own replication).
// Each node keeps a mirror of the bucket in memory, filled at start and kept current by a watch:
// reads are local and synchronous (as the store needs), writes resolve once JetStream has them.
import { type Key, KeyIndex, type KeyPart, type SharedKeyValue } from '../store/key-value.js';

/** What this needs of a JetStream KV bucket (nats-bus.ts hands one over: the broker client stays there). */
export interface Bucket {
  /** Resolves with the entry's new revision. */
  put(key: string, value: string): Promise<number>;
  /** With `previousSeq`, fails unless the entry is still at that revision. */
  delete(key: string, options?: { readonly previousSeq: number }): Promise<unknown>;
  status(): Promise<{ readonly values: number }>;
  watch(): Promise<AsyncIterable<BucketEntry>>;
}

export interface BucketEntry {
  readonly key: string;
  readonly revision: number;
  readonly operation: 'PUT' | 'DEL' | 'PURGE';
  readonly isUpdate: boolean;
  readonly delta?: number;
  string(): string;
}

/** How long a node waits for the bucket's current contents at start. */
const LOAD_TIMEOUT_MS = 15_000;

/** NATS keys allow [-/_=.a-zA-Z0-9]: each part is typed and hex-encoded, parts joined by '.'. */
function encodeKey(key: Key): string {
  return key.map((part) => (typeof part === 'number' ? `n${part}` : `s${Buffer.from(part, 'utf8').toString('hex') || '-'}`)).join('.');
}

function decodeKey(text: string): Key {
  return text.split('.').map((part): KeyPart => {
    if (part.startsWith('n')) return Number(part.slice(1));
    return part === 's-' ? '' : Buffer.from(part.slice(1), 'hex').toString('utf8');
  });
}

export class JetStreamKeyValue implements SharedKeyValue {
  readonly durable = true;
  /**
   * The bucket's contents, with each value's JSON as stored (to tell our own writes when they come
   * back) and its revision (take() removes only the revision it saw).
   */
  private readonly mirror = new KeyIndex<{ readonly value: unknown; readonly json: string; readonly revision: number }>();
  private readonly listeners: Array<(key: Key) => void> = [];
  private closed = false;

  private constructor(private readonly kv: Bucket) {}

  /** Opens the mirror: resolves once it holds the bucket's current contents. */
  static async open(kv: Bucket): Promise<JetStreamKeyValue> {
    const store = new JetStreamKeyValue(kv);
    const status = await kv.status();
    const watch = await kv.watch();
    let loaded: () => void = () => {};
    const ready = new Promise<void>((resolve) => {
      loaded = resolve;
    });
    if (status.values === 0) loaded();
    void (async () => {
      for await (const entry of watch) {
        if (store.closed) break;
        store.apply(entry);
        // delta 0: the last of the current contents (a deleted key may come last, marked as an update).
        if (entry.delta === 0) loaded();
      }
    })();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      ready,
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error('the cluster store did not load in time')), LOAD_TIMEOUT_MS);
      }),
    ]).finally(() => clearTimeout(timer));
    return store;
  }

  /** Calls `listener` for each change another node made (this node's own writes are not repeated to it). */
  onChange(listener: (key: Key) => void): void {
    this.listeners.push(listener);
  }

  get<T>(key: Key): T | undefined {
    return this.mirror.get(key)?.value as T | undefined;
  }

  async put(key: Key, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    const revision = await this.kv.put(encodeKey(key), json);
    this.mirror.set(key, { value: JSON.parse(json) as unknown, json, revision });
  }

  async remove(key: Key): Promise<void> {
    this.mirror.delete(key);
    await this.kv.delete(encodeKey(key));
  }

  async take(key: Key): Promise<boolean> {
    const entry = this.mirror.get(key);
    if (entry === undefined) return false;
    try {
      // The broker refuses the delete if another node removed (or rewrote) it since we saw it.
      await this.kv.delete(encodeKey(key), { previousSeq: entry.revision });
    } catch {
      return false;
    }
    this.mirror.delete(key);
    return true;
  }

  *range<T>(prefix: Key): Iterable<{ key: Key; value: T }> {
    for (const entry of this.mirror.range(prefix)) yield { key: entry.key, value: entry.value.value as T };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private apply(entry: BucketEntry): void {
    const key = decodeKey(entry.key);
    if (entry.operation === 'PUT') {
      const json = entry.string();
      const mine = this.mirror.get(key);
      if (mine?.json === json && mine.revision === entry.revision) return; // our own write, come back
      this.mirror.set(key, { value: JSON.parse(json) as unknown, json, revision: entry.revision });
      if (mine?.json === json) return; // the same value again: nothing changed for the listeners
    } else if (!this.mirror.delete(key)) {
      return; // our own delete, come back
    }
    for (const listener of this.listeners) listener(key);
  }
}
