// How many named rooms one address may create a day. Rooms are a shared namespace with a cap
// (--max-rooms, 10,000); names are free to make, so without a share per address a few hundred fresh
// names (50 rooms each) could take every room name there is, and nobody could make a room.
import { WindowedCounts } from '../windowed-counts.js';

/** The ration's period. */
export const ROOM_CREATION_WINDOW_MS = 24 * 3600_000;
/** Addresses remembered at once; past it the oldest are forgotten. */
const MAX_TRACKED = 100_000;

export class RoomCreationRation {
  private readonly created = new WindowedCounts(ROOM_CREATION_WINDOW_MS, MAX_TRACKED);

  constructor(private readonly limit: () => number) {}

  /** True when `address` may create one more room now (counted by createdBy()). */
  mayCreate(address: string, now = Date.now()): boolean {
    return this.created.count(address, now) < this.limit();
  }

  /** `address` created a room. */
  createdBy(address: string, now = Date.now()): void {
    this.created.add(address, now);
  }
}
