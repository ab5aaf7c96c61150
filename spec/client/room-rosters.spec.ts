import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { RoomRosters } from '../../src/client/room-rosters.js';
import type { RoomEventMessage } from '../../src/core/messages.js';

const event = (kind: RoomEventMessage['kind'], name: string): RoomEventMessage => ({ type: 'room-event', room: '#big', kind, name });
const names = (rosters: RoomRosters) => rosters.get('#big')?.members.map((member) => (member.op === true ? `@${member.name}` : member.name));

describe('RoomRosters', () => {
  it('keeps one entry per member, in join order, through joins, repeated joins, parts, kicks and ops', () => {
    const rosters = new RoomRosters();
    rosters.set({ name: '#big', topic: '', inviteOnly: false, members: [{ name: 'me' }, { name: 'a' }] });
    for (const name of ['b', 'c', 'B', 'd']) rosters.apply(event('join', name), 'me');
    assert.deepEqual(names(rosters), ['me', 'a', 'b', 'c', 'd'], 'a repeated join (any case) is one member');
    rosters.apply(event('part', 'b'), 'me');
    rosters.apply(event('op', 'D'), 'me');
    rosters.apply(event('kick', 'a'), 'me');
    rosters.apply(event('join', 'e'), 'me');
    assert.deepEqual(names(rosters), ['me', 'c', '@d', 'e']);
    // The index followed the removals: the later members are still found by name.
    rosters.apply(event('part', 'e'), 'me');
    rosters.apply(event('op', 'c'), 'me');
    assert.deepEqual(names(rosters), ['me', '@c', '@d']);
    assert.equal(rosters.apply(event('part', 'me'), 'me')?.room, undefined, 'our own part: the room is gone');
    assert.equal(rosters.get('#big'), undefined);
  });

  it('takes in a room filling up to 5,000 in linear time (a member was a copy and a search per join)', () => {
    const rosters = new RoomRosters();
    rosters.set({ name: '#big', topic: '', inviteOnly: false, members: [{ name: 'me' }] });
    for (let i = 0; i < 5000; i++) rosters.apply(event('join', `member${i}`), 'me');
    assert.equal(rosters.get('#big')?.members.length, 5001);
    assert.equal(rosters.sharesSmallRoom('member4999'), false, 'a room of 5,001 is not small');
  });

  it('says whether we share a small room with someone: their keys are fetched as we hear of them', () => {
    const rosters = new RoomRosters(3);
    rosters.set({ name: '#small', topic: '', inviteOnly: false, members: [{ name: 'me' }, { name: 'ann' }] });
    rosters.set({ name: '#big', topic: '', inviteOnly: false, members: [{ name: 'me' }, { name: 'bo' }, { name: 'cy' }, { name: 'di' }] });
    assert.equal(rosters.sharesSmallRoom('ANN'), true);
    assert.equal(rosters.sharesSmallRoom('bo'), false, 'only a room past the size shared');
    assert.equal(rosters.sharesSmallRoom('zed'), false);
    rosters.apply(event('part', 'di'), 'me');
    assert.equal(rosters.sharesSmallRoom('bo'), true, 'the room is small again after a part');
  });
});
