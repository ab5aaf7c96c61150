// The server's store on a cluster (protocol v4): the same KeyValue the lone server keeps in LMDB,
// here in a JetStream key-value bucket, so registrations and the messages waiting for away users
// are shared by every node and survive the death of any one (with the broker's own replication).
// Each node keeps a mirror of the bucket in memory, filled at start and kept current by a watch:
// reads are local and synchronous (as the store needs), writes resolve once JetStream has them.
import type { Key, KeyPart, KeyValue } from '../store/key-value.js';

/** What this needs of a JetStream KV bucket (nats-bus.ts hands one over: the broker client stays there). */
export interface Bucket {
  put(key: string, value: string): Promise<unknown>;
  delete(key: string): Promise<unknown>;
  status(): Promise<{ readonly values: number }>;
  watch(): Promise<AsyncIterable<BucketEntry>>;
}

export interface BucketEntry {
  readonly key: string;
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

export class JetStreamKeyValue implements KeyValue {
  readonly durable = true;
  private readonly mirror = new Map<string, { key: Key; value: unknown; json: string }>();
  private listener: ((key: Key) => void) | undefined;
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

  /** Called for each change another node made (this node's own writes are not repeated to it). */
  onChange(listener: (key: Key) => void): void {
    this.listener = listener;
  }

  get<T>(key: Key): T | undefined {
    return this.mirror.get(encodeKey(key))?.value as T | undefined;
  }

  async put(key: Key, value: unknown): Promise<void> {
    const json = JSON.stringify(value);
    await this.kv.put(encodeKey(key), json);
    this.mirror.set(encodeKey(key), { key: [...key], value: JSON.parse(json) as unknown, json });
  }

  async remove(key: Key): Promise<void> {
    this.mirror.delete(encodeKey(key));
    await this.kv.delete(encodeKey(key));
  }

  *range<T>(prefix: Key): Iterable<{ key: Key; value: T }> {
    const matches = [...this.mirror.values()].filter((entry) => prefix.every((part, i) => entry.key[i] === part));
    matches.sort((a, b) => compare(a.key, b.key));
    for (const entry of matches) yield { key: entry.key, value: entry.value as T };
  }

  async close(): Promise<void> {
    this.closed = true;
  }

  private apply(entry: BucketEntry): void {
    const name = entry.key;
    if (entry.operation === 'PUT') {
      const json = entry.string();
      if (this.mirror.get(name)?.json === json) return; // our own write, come back
      this.mirror.set(name, { key: decodeKey(name), value: JSON.parse(json) as unknown, json });
    } else {
      if (!this.mirror.has(name)) return;
      this.mirror.delete(name);
    }
    this.listener?.(decodeKey(name));
  }
}

function compare(a: Key, b: Key): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const [x, y] = [a[i]!, b[i]!];
    if (x === y) continue;
    if (typeof x === typeof y) return x < y ? -1 : 1;
    return typeof x === 'number' ? -1 : 1;
  }
  return a.length - b.length;
}
