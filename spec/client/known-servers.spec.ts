import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { KnownServers, canonicalAddress } from '../../src/client/known-servers.js';
import { ErrorCode } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('KnownServers', () => {
  const SAME: ReadonlyArray<[string, string]> = [
    ['127.0.0.1:7373', 'localhost:7373'],
    ['[::1]:7373', 'localhost:7373'],
    ['LOCALHOST:7373', 'localhost:7373'],
    ['Chat.Example.org.:7373', 'chat.example.org:7373'],
    ['[2001:DB8::1]:7373', '[2001:db8::1]:7373'],
  ];
  for (const [address, canonical] of SAME) {
    it(`keeps the pin for ${address} under ${canonical}`, () => assert.equal(canonicalAddress(address), canonical));
  }

  it('finds the pin whichever loopback name the server is reached by, and lists other names of the same certificate', async () => {
    const servers = KnownServers.inMemory();
    await servers.pin('127.0.0.1:7373', 'ab'.repeat(32));
    assert.equal(servers.get('localhost:7373')?.fingerprint, 'ab'.repeat(32));
    assert.deepEqual(servers.otherAddressesWith('ab'.repeat(32), 'chat.lan:7373'), ['localhost:7373']);
  });

  for (const [what, text] of [
    ['bad JSON', '{"servers": '],
    ['a null entry', '{"servers": {"a:1": null}}'],
    ['an entry with no fingerprint', '{"servers": {"a:1": {}}}'],
    ['a list', '[]'],
  ] as const) {
    it(`refuses a file with ${what}, naming it`, async (t) => {
      const path = join(makeTempDir(t), 'known_servers.json');
      writeFileSync(path, text);
      await assert.rejects(KnownServers.load(path), (error: Error & { code?: string }) => error.code === ErrorCode.CONFIG_FILE && error.message.includes(path));
    });
  }
});
