import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ROOM_CREATION_WINDOW_MS, RoomCreationRation } from '../../../src/server/rooms/room-creation-ration.js';

describe('RoomCreationRation', () => {
  it('lets an address create its share of rooms a day, then again a day later; other addresses are not touched', () => {
    const ration = new RoomCreationRation(() => 2);
    const now = 1_000_000;
    ration.createdBy('10.0.0.1', now);
    ration.createdBy('10.0.0.1', now);
    assert.equal(ration.mayCreate('10.0.0.1', now), false);
    assert.equal(ration.mayCreate('10.0.0.2', now), true);
    assert.equal(ration.mayCreate('10.0.0.1', now + ROOM_CREATION_WINDOW_MS + 1), true);
  });
});
