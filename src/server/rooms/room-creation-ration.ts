// How many named rooms one address may create a day. Rooms are a shared namespace with a cap
// (--max-rooms, 10,000); names are free to make, so without a share per address a few hundred fresh
// names (50 rooms each) could take every room name there is, and nobody could make a room.

/** The ration's period. */
export const ROOM_CREATION_WINDOW_MS = 24 * 3600_000;
/** Addresses remembered at once; past it the oldest are forgotten. */
const MAX_TRACKED = 100_000;

export class RoomCreationRation {
  private readonly counts = new Map<string, { since: number; created: number }>();

  constructor(private readonly limit: () => number) {}

  /** True when `address` may create one more room now (not counted: see created()). */
  mayCreate(address: string, now = Date.now()): boolean {
    return this.countOf(address, now).created < this.limit();
  }

  /** `address` created a room. */
  created(address: string, now = Date.now()): void {
    this.countOf(address, now).created++;
  }

  private countOf(address: string, now: number): { since: number; created: number } {
    let count = this.counts.get(address);
    if (count === undefined || now - count.since >= ROOM_CREATION_WINDOW_MS) {
      this.counts.delete(address);
      count = { since: now, created: 0 };
      this.counts.set(address, count);
      while (this.counts.size > MAX_TRACKED) this.counts.delete(this.counts.keys().next().value as string);
    }
    return count;
  }
}
