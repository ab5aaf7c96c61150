// Who is online: name -> peer record. Shared by the server (one record per connection) and the
// client session (its view of the room). Names are unique regardless of case.
import { ChatError, ErrorCode } from './errors.js';
import { NAME_RULE, isValidName, nameKey } from './names.js';

export interface PeerRecord {
  readonly name: string;
  readonly publicKeyBase64: string;
  readonly fingerprint: string;
  readonly joinedAt: number;
}

export class NameTakenError extends ChatError {
  constructor(name: string) {
    super(ErrorCode.NAME_TAKEN, `the name "${name}" is taken; choose another`);
  }
}

export class InvalidNameError extends ChatError {
  constructor() {
    super(ErrorCode.NAME_INVALID, `names must be ${NAME_RULE}`);
  }
}

export class PeerRegistry<T extends PeerRecord = PeerRecord> {
  private readonly byKey = new Map<string, T>();

  get size(): number {
    return this.byKey.size;
  }

  /** Throws InvalidNameError or NameTakenError, so callers can answer the peer precisely. */
  checkAvailable(name: string): void {
    if (!isValidName(name)) throw new InvalidNameError();
    if (this.byKey.has(nameKey(name))) throw new NameTakenError(name);
  }

  add(peer: T): void {
    this.checkAvailable(peer.name);
    this.byKey.set(nameKey(peer.name), peer);
  }

  /** Replaces or inserts without the availability check (a client mirroring the server's list). */
  upsert(peer: T): void {
    this.byKey.set(nameKey(peer.name), peer);
  }

  remove(name: string): T | undefined {
    const key = nameKey(name);
    const peer = this.byKey.get(key);
    this.byKey.delete(key);
    return peer;
  }

  get(name: string): T | undefined {
    return this.byKey.get(nameKey(name));
  }

  has(name: string): boolean {
    return this.byKey.has(nameKey(name));
  }

  clear(): void {
    this.byKey.clear();
  }

  /** Peers in join order (Map iteration order), which is the order the peer list shows. */
  list(): T[] {
    return [...this.byKey.values()];
  }
}
