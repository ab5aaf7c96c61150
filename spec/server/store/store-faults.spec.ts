// The durable store with real processes: a damaged store stops the server with a clear error
// instead of a silent fresh start. (Restart delivery is spec'd in spec/client/chat-client.spec.ts.)
import assert from 'node:assert/strict';
import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { checkLmdbFile, LmdbKeyValue } from '../../../src/server/store/key-value.js';
import { CliProcess } from '../../helpers/cli-process.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

describe('the durable store at start', () => {
  it('refuses to start on a damaged store, naming the file and what to do', async (t) => {
    const dir = makeTempDir(t);
    const dataDir = join(dir, 'server-data');
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(join(dataDir, 'data.mdb'), Buffer.alloc(64 * 1024, 0x5a));
    const server = CliProcess.spawn(t, ['serve', '--plaintext', '--port', '0', '--data-dir', dataDir]);
    assert.notEqual(await server.waitExit(), 0);
    assert.match(server.stderr, /data\.mdb/);
    assert.match(server.stderr, /move it aside|restore it from a backup/);
  });

  it('checks a store bigger than memory can buffer by reading its head alone', async (t) => {
    const dir = join(makeTempDir(t), 'server-data');
    const store = await LmdbKeyValue.open(dir);
    await store.put(['r', 'alice'], { name: 'alice' });
    await store.close();
    // A sparse 3 GiB file with real meta pages: reading it whole (as the check once did) fails at
    // 2 GiB and, below that, held the whole store in memory to look at 64 KiB of it.
    const file = join(dir, 'data.mdb');
    truncateSync(file, 3 * 1024 ** 3);
    assert.doesNotThrow(() => checkLmdbFile(file));
  });
});
