// Test identities: real 3072-bit keys, generated once per test process and shared (~0.5 s each).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Identity, exportPrivateKeyPem, generateIdentity } from '../../src/core/identity.js';

const pool: Array<Promise<Identity>> = [];

/** The i-th shared identity of this process (the same object each time it is asked for). */
export function testIdentity(i: number): Promise<Identity> {
  while (pool.length <= i) pool.push(generateIdentity());
  return pool[i]!;
}

/** Writes the i-th identity as a 0600 PEM file in dir and returns its path. */
export async function writeTestIdentity(dir: string, i: number): Promise<string> {
  const path = join(dir, `identity-${i}.pem`);
  writeFileSync(path, exportPrivateKeyPem(await testIdentity(i)), { mode: 0o600 });
  return path;
}
