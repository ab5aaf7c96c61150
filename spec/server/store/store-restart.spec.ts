// The durable store with real processes: the server killed outright (SIGKILL) and started again
// on the same data dir delivers what it had acknowledged as stored, once and in order.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { CliProcess, startServeProcess } from '../../helpers/cli-process.js';
import { writeTestIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

/** A --json client with its own folders under `dir`, so a second run finds the first one's state. */
async function client(t: TestContext, dir: string, port: number, name: string, index: number): Promise<CliProcess> {
  const identity = await writeTestIdentity(dir, index);
  const env = { XDG_CONFIG_HOME: join(dir, `${name}-config`), XDG_DATA_HOME: join(dir, `${name}-data`) };
  const proc = CliProcess.spawn(t, ['connect', `127.0.0.1:${port}`, '--json', '--plaintext', '--name', name, '--identity', identity], env);
  await proc.waitForEvent((e) => e['type'] === 'ready', `${name} to join`);
  return proc;
}

describe('the durable store across a server crash', () => {
  it('delivers every message the server acknowledged as stored once, after SIGKILL and a restart on the same data dir', async (t) => {
    const dir = makeTempDir(t);
    const dataDir = join(dir, 'server-data');
    const first = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir]);
    const alice = await client(t, dir, first.port, 'alice', 0);
    const bob = await client(t, dir, first.port, 'bob', 1);
    await alice.waitForEvent((e) => e['type'] === 'join' && e['name'] === 'bob', 'alice to see bob');
    bob.endInput();
    await bob.waitExit();
    await alice.waitForEvent((e) => e['type'] === 'leave' && e['name'] === 'bob', 'bob to go away');

    alice.writeLine(':dm bob kept-for-bob-1');
    alice.writeLine('room line for bob');
    const stored = (text: string) => (e: Record<string, unknown>) => e['type'] === 'delivery' && e['text'] === text && e['stored'] === 1;
    await alice.waitForEvent(stored('kept-for-bob-1'), 'the DM acknowledged as stored');
    await alice.waitForEvent(stored('room line for bob'), 'the room line acknowledged as stored');

    first.server.child.kill('SIGKILL');
    await first.server.waitExit();
    // The same address: a client keeps its sessions per server address (and name, and key).
    const second = await startServeProcess(t, ['--plaintext', '--data-dir', dataDir, '--port', String(first.port)]);
    const bobAgain = await client(t, dir, second.port, 'bob', 1);
    const texts = () => bobAgain.events.filter((e) => e['type'] === 'message').map((e) => e['text']);
    await bobAgain.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'room line for bob', 'the stored room line');
    assert.deepEqual(texts(), ['kept-for-bob-1', 'room line for bob'], 'both, in order, once');
    // A marker that must arrive after any repeat: the ack of bob's own DM comes after what the server sent him first.
    bobAgain.writeLine(':dm alice marker');
    await bobAgain.waitForEvent((e) => e['type'] === 'delivery' && e['text'] === 'marker', 'the marker');
    assert.deepEqual(texts(), ['kept-for-bob-1', 'room line for bob'], 'nothing shown twice');
  });
});
