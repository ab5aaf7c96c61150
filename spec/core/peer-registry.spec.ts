import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ErrorCode } from '../../src/core/errors.js';
import { InvalidNameError, NameTakenError, PeerRegistry } from '../../src/core/peer-registry.js';

const peer = (name: string) => ({ name, publicKeyBase64: 'AAAA', fingerprint: name, joinedAt: 0 });

describe('PeerRegistry', () => {
  it('lists peers in join order and removes them', () => {
    const registry = new PeerRegistry();
    registry.add(peer('alice'));
    registry.add(peer('bob'));
    assert.deepEqual(
      registry.list().map((p) => p.name),
      ['alice', 'bob'],
    );
    assert.equal(registry.remove('ALICE')?.name, 'alice');
    assert.deepEqual(
      registry.list().map((p) => p.name),
      ['bob'],
    );
  });

  it('refuses a name already taken, whatever its case', () => {
    const registry = new PeerRegistry();
    registry.add(peer('alice'));
    assert.throws(
      () => registry.add(peer('Alice')),
      (e: unknown) => e instanceof NameTakenError && e.code === ErrorCode.NAME_TAKEN,
    );
  });

  for (const bad of ['', ' alice', 'a b', '-x', 'a'.repeat(33), 'ünïcode', 'evil\u001b[2J', '{bold}x', 'x#room']) {
    it(`refuses the invalid name ${JSON.stringify(bad)}`, () => {
      assert.throws(
        () => new PeerRegistry().add(peer(bad)),
        (e: unknown) => e instanceof InvalidNameError && e.code === ErrorCode.NAME_INVALID,
      );
    });
  }
});
