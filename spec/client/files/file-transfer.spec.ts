// Files end to end with real processes: a real `tui-chat serve` and real `--json` clients. A file
// DM'd is saved byte for byte; one sent to someone away arrives when they are back; one sent to a
// room reaches every member, stored once; the server's store and the wire never hold its bytes.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CliProcess, startServeProcess } from '../../helpers/cli-process.js';
import { waitUntil } from '../../helpers/events.js';
import { writeTestIdentity } from '../../helpers/identities.js';
import { StallingProxy } from '../../helpers/stalling-proxy.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A --json client with its own folders under `dir` (a second run finds the first one's state), downloads in `dir/<name>-downloads`. */
async function client(t: TestContext, dir: string, port: number, name: string, index: number, ready = true): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, index);
  const env = {
    XDG_CONFIG_HOME: join(dir, `${name}-config`),
    XDG_DATA_HOME: join(dir, `${name}-data`),
    XDG_DOWNLOAD_DIR: join(dir, `${name}-downloads`),
  };
  const proc = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', name, '--identity', identity], env);
  if (ready) await proc.waitForEvent((e) => e['type'] === 'ready', `${name} to join`);
  return proc;
}

/** Sizes of the files under `dir` whose names end with `suffix`. */
function sizesUnder(dir: string, suffix: string): number[] {
  try {
    return readdirSync(dir, { recursive: true, withFileTypes: true })
      .filter((entry) => entry.isFile() && entry.name.endsWith(suffix))
      .map((entry) => statSync(join(entry.parentPath, entry.name)).size);
  } catch {
    return [];
  }
}

async function quit(proc: CliProcess): Promise<void> {
  proc.endInput();
  await proc.waitExit();
}

function kill(proc: CliProcess): Promise<number> {
  proc.child.kill('SIGKILL');
  return proc.waitExit();
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
    // Alice through a proxy that keeps every byte of the wire (the server runs --plaintext).
    const wire = await StallingProxy.start(port);
    t.after(() => wire.close());
    const alice = await client(t, dir, wire.port, 'alice', 0);
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
    assert.ok(Buffer.concat(wire.wire).length > contents.length, 'the upload went through the proxy');
    assert.equal(Buffer.concat(wire.wire).indexOf(probe), -1, 'plaintext on the wire');
  });

  it('keeps a file for someone away, who gets it when back', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t, ['--plaintext', '--data-dir', join(dir, 'server-data')]);
    const bob = await client(t, dir, port, 'bob', 1);
    await quit(bob);
    const alice = await client(t, dir, port, 'alice', 0);
    const contents = randomBytes(200 * 1024);
    writeFileSync(join(dir, 'notes.txt'), contents);
    // The input ends right after the command, as a script's would: the file goes before the goodbye.
    alice.writeLine(`:send bob ${join(dir, 'notes.txt')}`);
    alice.endInput();
    assert.equal(await alice.waitExit(), 0);
    assert.ok(
      alice.events.some((e) => e['type'] === 'file-sent'),
      'sent before it left',
    );
    const back = await client(t, dir, port, 'bob', 1);
    const arrived = await back.waitForEvent((e) => e['type'] === 'file', 'the file, once bob is back');
    back.writeLine(`:save ${String(arrived['id'])}`);
    const saved = await back.waitForEvent((e) => e['type'] === 'saved', 'the file saved');
    assert.ok(readFileSync(String(saved['path'])).equals(contents));
  });

  it('sends a file to a room once, and every member gets it', async (t) => {
    const dir = makeTempDir(t);
    const dataDir = join(dir, 'server-data');
    const { server, port } = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    const members = [await client(t, dir, port, 'alice', 0), await client(t, dir, port, 'bob', 1), await client(t, dir, port, 'carol', 2)];
    for (const member of members) {
      member.writeLine(':join #team');
      await member.waitForEvent((e) => e['type'] === 'room-event' && e['kind'] === 'join' && e['room'] === '#team', 'joined #team');
    }
    await members[0]!.waitForEvent((e) => e['type'] === 'room-event' && e['name'] === 'carol', 'alice to see carol join');
    const contents = randomBytes(150 * 1024);
    writeFileSync(join(dir, 'diagram.bin'), contents);
    members[0]!.writeLine(`:send #team ${join(dir, 'diagram.bin')}`);
    await members[0]!.waitForEvent((e) => e['type'] === 'file-sent', 'the file sent to the room');
    // Members follow the upload as it comes: once all have it, the server lets it go, so the
    // stored copy may be gone already; never more than one.
    assert.ok(sizesUnder(join(dataDir, 'files'), '.bin').length <= 1, 'stored once for the room');
    for (const member of members.slice(1)) {
      const arrived = await member.waitForEvent((e) => e['type'] === 'file', 'the file at a member');
      assert.equal(arrived['to'], '#team');
      member.writeLine(`:save ${String(arrived['id'])}`);
      const saved = await member.waitForEvent((e) => e['type'] === 'saved', 'saved');
      assert.ok(readFileSync(String(saved['path'])).equals(contents));
    }
    // The server's own word (its log goes to stderr, written before it told alice): one file stored.
    assert.equal(server.stderr.split('\n').filter((line) => line.includes('file.stored')).length, 1, 'stored once for the room');
  });

  it('resumes a download cut off mid-file from the chunks already here, after a restart', async (t) => {
    const dir = makeTempDir(t);
    const { port } = await startServeProcess(t, ['--plaintext', '--data-dir', join(dir, 'server-data')]);
    // Bob always comes through this proxy (one server address: his state is kept across runs).
    const link = await StallingProxy.start(port);
    t.after(() => link.close());
    await quit(await client(t, dir, link.port, 'bob', 1));
    const alice = await client(t, dir, port, 'alice', 0);
    const contents = randomBytes(3 * 1024 * 1024 + 5);
    writeFileSync(join(dir, 'big.bin'), contents);
    alice.writeLine(`:send bob ${join(dir, 'big.bin')}`);
    await alice.waitForEvent((e) => e['type'] === 'file-sent', 'the file stored for bob');
    // Bob comes back over a link that dies after 1.5 MiB from the server, mid-file.
    link.stallAfter = 1.5 * 1024 * 1024;
    const cut = await client(t, dir, link.port, 'bob', 1);
    await cut.waitForEvent((e) => e['type'] === 'file-progress' && e['direction'] === 'down', `part of the file (${link.passed} bytes passed)`);
    await kill(cut);
    const kept = sizesUnder(join(dir, 'bob-data'), '.enc');
    assert.ok(kept.length === 1 && kept[0]! > 0 && kept[0]! < contents.length, `part of it kept: ${kept}`);
    link.stallAfter = Number.POSITIVE_INFINITY;
    const again = await client(t, dir, link.port, 'bob', 1);
    const arrived = await again.waitForEvent((e) => e['type'] === 'file', 'the whole file');
    const first = again.events.find((e) => e['type'] === 'file-progress' && e['direction'] === 'down')!;
    assert.ok(Number(first['bytes']) > 1024 * 1024, `resumed from where it was, not from the start (first progress at ${first['bytes']})`);
    again.writeLine(`:save ${String(arrived['id'])}`);
    const saved = await again.waitForEvent((e) => e['type'] === 'saved', 'saved');
    assert.ok(readFileSync(String(saved['path'])).equals(contents));
  });

  it('resumes an upload cut off mid-file from the chunks the server has, after a restart; bob online follows it meanwhile', async (t) => {
    const { dir, port, bob, contents } = await uploadCutOff(t);
    // Bob, online, was told of the file when the server took the offer, and fetches what is there.
    await bob.waitForEvent((e) => e['type'] === 'file-progress' && e['direction'] === 'down', 'bob following the upload while alice is away');
    const again = await client(t, dir, port, 'alice', 0);
    await again.waitForEvent((e) => e['type'] === 'file-sent', 'the upload finished after the restart');
    const first = again.events.find((e) => e['type'] === 'file-progress' && e['direction'] === 'up')!;
    assert.ok(Number(first['bytes']) > 1024 * 1024, `went on from the server's chunks (first progress at ${first['bytes']})`);
    const arrived = await bob.waitForEvent((e) => e['type'] === 'file', 'the file at bob');
    bob.writeLine(`:save ${String(arrived['id'])}`);
    const saved = await bob.waitForEvent((e) => e['type'] === 'saved', 'saved');
    assert.ok(readFileSync(String(saved['path'])).equals(contents));
  });

  it('withdraws an upload that cannot go on (its file changed), and bob, who followed it, is told why', async (t) => {
    const { dir, port, bob } = await uploadCutOff(t);
    writeFileSync(join(dir, 'upload.bin'), randomBytes(1024));
    const again = await client(t, dir, port, 'alice', 0);
    const refused = await again.waitForEvent((e) => e['type'] === 'error' && /changed since it was sent/.test(String(e['message'])), 'alice told');
    assert.match(String(refused['message']), /withdrawn: bob is told/);
    const told = await bob.waitForEvent((e) => e['type'] === 'error' && e['ref'] === refused['ref'], 'bob told');
    assert.match(String(told['message']), /from alice cannot be fetched: .*its sender withdrew it/);
  });
});

/**
 * Alice sends bob (online) 4 MiB through a server that takes uploads at 1 MiB/s, and is killed
 * once a MiB of it is on the server; the server has noticed she went.
 */
async function uploadCutOff(t: TestContext): Promise<{ dir: string; port: number; bob: CliProcess; contents: Buffer }> {
  const dir = makeTempDir(t);
  const dataDir = join(dir, 'server-data');
  const { port } = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir, '--file-rate-bytes', '1048576', '--file-burst-bytes', '1048576']);
  const bob = await client(t, dir, port, 'bob', 1);
  const alice = await client(t, dir, port, 'alice', 0);
  await bob.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'alice', 'bob to see alice');
  const contents = randomBytes(4 * 1024 * 1024);
  writeFileSync(join(dir, 'upload.bin'), contents);
  alice.writeLine(`:send bob ${join(dir, 'upload.bin')}`);
  await waitUntil(() => (sizesUnder(join(dataDir, 'files'), '.part')[0] ?? 0) >= 1024 * 1024, 'a MiB of it on the server');
  await kill(alice);
  // Her name is free again once the server has noticed she went (bob hears it).
  await bob.waitForEvent(
    (e) => (e['type'] === 'leave' || (e['type'] === 'join' && e['online'] === false)) && e['name'] === 'alice',
    'the server to notice alice went',
  );
  return { dir, port, bob, contents };
}
