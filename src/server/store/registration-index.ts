// What the server must answer about registrations on every hello, kept in memory beside the store:
// the registered spelling of each name, who registered names that read alike (a skeleton), how many
// names each key holds, and when names were registered from each address. Names and keys are free
// to make, so these bound what one key and one address can take.
import { nameKey, nameSkeleton } from '../../core/names.js';

/** The fields of a registration this index reads. */
export interface IndexedRegistration {
  readonly name: string;
  readonly fingerprint: string;
  readonly registeredAt: number;
  /** A hash of the address it was registered from (absent in registrations from before it was kept). */
  readonly origin?: string;
}

/** How far back registrations from one address are counted (see maxNamesPerAddress). */
export const NAMES_PER_ADDRESS_WINDOW_MS = 24 * 3600_000;

export class RegistrationIndex {
  /** Registered names by name key, as registered. */
  private readonly names = new Map<string, IndexedRegistration>();
  private readonly skeletons = new Map<string, Set<string>>();
  private readonly byKey = new Map<string, Set<string>>();
  private readonly byOrigin = new Map<string, Set<string>>();

  get size(): number {
    return this.names.size;
  }

  has(name: string): boolean {
    return this.names.has(nameKey(name));
  }

  /** Every registered name, as registered. */
  spellings(): string[] {
    return [...this.names.values()].map((registration) => registration.name);
  }

  add(registration: IndexedRegistration): void {
    const key = nameKey(registration.name);
    this.remove(key);
    this.names.set(key, registration);
    addTo(this.skeletons, nameSkeleton(registration.name), key);
    addTo(this.byKey, registration.fingerprint, key);
    if (registration.origin !== undefined) addTo(this.byOrigin, registration.origin, key);
  }

  remove(name: string): void {
    const key = nameKey(name);
    const registration = this.names.get(key);
    if (registration === undefined) return;
    this.names.delete(key);
    removeFrom(this.skeletons, nameSkeleton(registration.name), key);
    removeFrom(this.byKey, registration.fingerprint, key);
    if (registration.origin !== undefined) removeFrom(this.byOrigin, registration.origin, key);
  }

  clear(): void {
    for (const map of [this.names, this.skeletons, this.byKey, this.byOrigin]) map.clear();
  }

  /** When `name` was registered, if it is. */
  registeredAt(name: string): number | undefined {
    return this.names.get(nameKey(name))?.registeredAt;
  }

  /** How many names this key holds. */
  namesOfKey(fingerprint: string): number {
    return this.byKey.get(fingerprint)?.size ?? 0;
  }

  /** How many names were registered from this address within NAMES_PER_ADDRESS_WINDOW_MS. */
  recentFromOrigin(origin: string, now: number): number {
    let count = 0;
    for (const key of this.byOrigin.get(origin) ?? []) {
      if (now - (this.names.get(key)?.registeredAt ?? 0) < NAMES_PER_ADDRESS_WINDOW_MS) count++;
    }
    return count;
  }

  /** A registered name other than `name` that reads like it (aIice beside alice), if any. */
  lookalikeOf(name: string): string | undefined {
    const self = nameKey(name);
    for (const key of this.skeletons.get(nameSkeleton(name)) ?? []) if (key !== self) return this.names.get(key)?.name;
    return undefined;
  }
}

function addTo(map: Map<string, Set<string>>, key: string, value: string): void {
  let set = map.get(key);
  if (set === undefined) {
    set = new Set();
    map.set(key, set);
  }
  set.add(value);
}

function removeFrom(map: Map<string, Set<string>>, key: string, value: string): void {
  const set = map.get(key);
  if (set === undefined) return;
  set.delete(value);
  if (set.size === 0) map.delete(key);
}
