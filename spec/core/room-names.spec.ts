import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LOBBY_NAME, isRoomTarget, isValidRoomName, roomConversation, roomKey } from '../../src/core/room-names.js';

describe('room-names', () => {
  it('accepts # and 1-32 characters starting with a letter or digit, not the lobby', () => {
    for (const good of ['#dev', '#a', '#Team-1.x_y', `#${'a'.repeat(32)}`]) assert.equal(isValidRoomName(good), true, good);
    for (const bad of ['dev', '#', '#-dev', `#${'a'.repeat(33)}`, '#de v', '#dév', LOBBY_NAME]) assert.equal(isValidRoomName(bad), false, bad);
  });

  it('keys rooms whatever their case, and tells a room target from a DM', () => {
    assert.equal(roomKey('#Dev'), roomKey('#dev'));
    assert.equal(isRoomTarget(null), true, 'the lobby');
    assert.equal(isRoomTarget('#dev'), true);
    assert.equal(isRoomTarget('alice'), false);
    assert.notEqual(roomConversation(null), roomConversation('#dev'));
  });
});
