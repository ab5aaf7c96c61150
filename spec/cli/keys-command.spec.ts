// `tui-chat keys` and passphrase-protected identities, as the real spawned command.
import assert from 'node:assert/strict';
import { createHash, createPublicKey } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { makeTempDir } from '../helpers/temp-dir.js';

async function run(t: TestContext, args: string[], env: NodeJS.ProcessEnv): Promise<CliProcess> {
  const proc = CliProcess.spawn(t, args, env);
  await proc.waitExit(30_000);
  return proc;
}

function shownFingerprint(proc: CliProcess): string {
  const line = proc.stdoutLines.find((l) => /^(new )?fingerprint /.test(l))!;
  return line.replace(/^(new )?fingerprint /, '').replace(/ /g, '');
}

/** A plaintext server with bob and alice joined (alice with her own config and data folders). */
async function aliceAndBob(t: TestContext) {
  const config = makeTempDir(t);
  const env = { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` };
  const { port } = await startServeProcess(t, ['--plaintext', '--data-dir', join(config, 'server-data')]);
  const bob = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', 'bob']);
  await bob.waitForEvent((e) => e['type'] === 'ready', 'bob');
  const alice = await joinAsAlice(t, port, env, 'alice');
  return { env, port, bob, alice };
}

async function joinAsAlice(t: TestContext, port: number, env: NodeJS.ProcessEnv, what: string): Promise<CliProcess> {
  const alice = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', 'alice'], env);
  await alice.waitForEvent((e) => e['type'] === 'ready', what);
  return alice;
}

describe('tui-chat keys', () => {
  it('shows the fingerprint, exports the matching public key, and rotates to a new key with a statement both keys signed', async (t) => {
    const config = makeTempDir(t);
    const env = { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` };
    const show = await run(t, ['keys'], env);
    assert.equal(show.exitCode, 0);
    assert.match(show.stdoutLines.join('\n'), /RSA 3072, not passphrase-protected/);
    const fingerprint = shownFingerprint(show);

    const exported = await run(t, ['keys', 'export'], env);
    const der = createPublicKey(exported.stdoutLines.join('\n')).export({ type: 'spki', format: 'der' });
    assert.equal(createHash('sha256').update(der).digest('hex'), fingerprint);

    const rotate = await run(t, ['keys', 'rotate'], env);
    assert.equal(rotate.exitCode, 0);
    const fresh = shownFingerprint(rotate);
    assert.notEqual(fresh, fingerprint);
    const dir = join(config, 'tui-chat');
    assert.equal(
      readdirSync(dir).find((name) => name.startsWith('identity.pem.old-')),
      undefined,
      'an unprotected old key is not left behind',
    );
    const statement = join(dir, readdirSync(dir).find((name) => name.startsWith('identity.pem.retired-'))!);

    const verified = await run(t, ['keys', 'verify-retirement', statement], env);
    assert.equal(verified.exitCode, 0);
    const text = verified.stdoutLines.join('\n').replace(/ /g, '');
    assert.ok(text.includes(fingerprint) && text.includes(fresh), 'names the old and the new key');

    const forged = JSON.parse(readFileSync(statement, 'utf8'));
    forged.new = forged.old;
    writeFileSync(statement, JSON.stringify(forged));
    const refused = await run(t, ['keys', 'verify-retirement', statement], env);
    assert.equal(refused.exitCode, 1);
    assert.match(refused.stderr, /not a valid key retirement statement/);
  });

  it('keeps an unprotected old key on rotation only with --keep-old, and then encrypted', async (t) => {
    const config = makeTempDir(t);
    const env = { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` };
    const pass = join(config, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n');
    await run(t, ['keys'], env);
    const rotate = await run(t, ['keys', 'rotate', '--keep-old', '--passphrase-file', pass], env);
    assert.equal(rotate.exitCode, 0);
    const dir = join(config, 'tui-chat');
    const old = readdirSync(dir).find((name) => name.startsWith('identity.pem.old-'))!;
    assert.equal(statSync(join(dir, old)).mode & 0o777, 0o600);
    assert.match(readFileSync(join(dir, old), 'utf8'), /BEGIN ENCRYPTED PRIVATE KEY/);
  });

  it('protects the key with a passphrase (encrypted PKCS#8) and refuses a wrong one clearly', async (t) => {
    const config = makeTempDir(t);
    const env = { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` };
    const good = join(config, 'pass');
    const bad = join(config, 'wrong');
    writeFileSync(good, 'correct horse battery staple\n');
    writeFileSync(bad, 'not it\n');
    await run(t, ['keys'], env);
    const protect = await run(t, ['keys', 'protect', '--passphrase-file', good], env);
    assert.equal(protect.exitCode, 0);
    const pem = readFileSync(join(config, 'tui-chat', 'identity.pem'), 'utf8');
    assert.match(pem, /^-----BEGIN ENCRYPTED PRIVATE KEY-----/);

    const wrong = await run(t, ['keys', '--passphrase-file', bad], env);
    assert.equal(wrong.exitCode, 1);
    assert.match(wrong.stderr, /wrong passphrase/);
    const none = await run(t, ['keys'], env);
    assert.equal(none.exitCode, 1);
    assert.match(none.stderr, /use --passphrase-file/);
    const right = await run(t, ['keys', '--passphrase-file', good], env);
    assert.match(right.stdoutLines.join('\n'), /protected by a passphrase/);
  });

  it('joins with a protected identity, and after a rotation peers see the key change', async (t) => {
    const config = makeTempDir(t);
    const env = { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` };
    const pass = join(config, 'pass');
    writeFileSync(pass, 'correct horse battery staple\n');
    await run(t, ['keys', 'protect', '--passphrase-file', pass], env);
    const dataDir = join(config, 'server-data');
    const { port } = await startServeProcess(t, ['--data-dir', dataDir]);
    const watcher = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'watcher']);
    await watcher.waitForEvent((e) => e['type'] === 'ready', 'the watcher');
    const first = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'alice', '--passphrase-file', pass], env);
    await first.waitForEvent((e) => e['type'] === 'ready', 'alice with a protected key');
    first.endInput();
    await first.waitExit();
    await run(t, ['keys', 'rotate', '--passphrase-file', pass], env);
    // The server binds alice to her old key (protocol v4); the client sends the retirement statement
    // `keys rotate` left beside the key file, and the server moves the name to the new key.
    const second = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--name', 'alice', '--passphrase-file', pass], env);
    await second.waitForEvent((e) => e['type'] === 'ready', 'alice with the new key');
    const changed = await watcher.waitForEvent((e) => e['type'] === 'key-changed', 'the watcher to see the key change');
    assert.equal(changed['name'], 'alice');
  });

  it('keeps the history: after a rotation, :search finds what was said before it', async (t) => {
    const { env, port, bob, alice: first } = await aliceAndBob(t);
    first.writeLine(':dm bob said-before-the-rotation');
    await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'said-before-the-rotation', 'bob to get it');
    first.endInput();
    await first.waitExit();
    const rotate = await run(t, ['keys', 'rotate'], env);
    assert.equal(rotate.exitCode, 0);
    assert.match(rotate.stdoutLines.join('\n'), /your sessions and history \(\d+ files in .*\) moved to the new key/);
    const second = await joinAsAlice(t, port, env, 'alice with the new key');
    second.writeLine(':search before-the-rotation');
    const found = await second.waitForEvent((e) => e['type'] === 'search', 'the search');
    assert.deepEqual(
      (found['found'] as Array<{ text: string }>).map((record) => record.text),
      ['said-before-the-rotation'],
    );
  });
});

describe('a rotation mid-conversation', () => {
  it('carries the conversation on: the next DM each way arrives, and the one sent before is delivered', async (t) => {
    const { env, port, bob, alice: first } = await aliceAndBob(t);
    first.writeLine(':dm bob before-the-rotation');
    await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'before-the-rotation', 'bob to get it');
    bob.writeLine(':dm alice a-reply-in-flight');
    await first.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'a-reply-in-flight', 'alice to get the reply');
    first.endInput();
    await first.waitExit();
    assert.equal((await run(t, ['keys', 'rotate'], env)).exitCode, 0);

    const second = await joinAsAlice(t, port, env, 'alice with the new key');
    second.writeLine(':dm bob after-the-rotation');
    // Sealed on the old session it could not be opened before (bob dropped his sessions with a changed key).
    await bob.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'after-the-rotation', 'bob to read the first DM under the new key');
    bob.writeLine(':trust alice');
    await bob.waitForEvent((e) => e['type'] === 'trusted', 'bob to accept the new key');
    bob.writeLine(':dm alice welcome-back');
    await second.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'welcome-back', "alice to read bob's answer");
    const sent = await second.waitForEvent((e) => e['type'] === 'sent', 'the DM sent');
    await second.waitForEvent((e) => e['type'] === 'delivery' && e['id'] === sent['id'] && e['state'] === 'delivered', "bob's receipt, to the new key");
  });
});

describe('the config folder', () => {
  it('is tightened to 0700 when it exists with wider permissions, and the user is told', async (t) => {
    const config = makeTempDir(t);
    const dir = join(config, 'tui-chat');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const show = await run(t, ['keys'], { XDG_CONFIG_HOME: config, XDG_DATA_HOME: `${config}/data` });
    assert.equal(show.exitCode, 0);
    assert.equal(statSync(dir).mode & 0o777, 0o700);
    assert.match(show.stderr, /tightened the permissions of .* from 0755 to 0700/);
  });
});
