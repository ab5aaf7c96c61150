// What is typed while the server is down survives the client being killed (SIGKILL): the real TUI
// in tmux, a real server restarted on the same data dir, and a --json recipient who gets each
// message once.
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { CliProcess, startServeProcess } from '../helpers/cli-process.js';
import { waitUntil } from '../helpers/events.js';
import { writeTestIdentity } from '../helpers/identities.js';
import { makeTempDir } from '../helpers/temp-dir.js';
import { openTuiInTmux } from '../helpers/tmux.js';

describe('the outbox across a crash of the client', () => {
  it('sends each message queued before a SIGKILL once, after the client and the server are back', async (t) => {
    const dir = makeTempDir(t);
    const serverArgs = ['--tls-dir', join(dir, 'server-tls'), '--data-dir', join(dir, 'server-data')];
    const first = await startServeProcess(t, serverArgs);
    const bobIdentity = await writeTestIdentity(dir, 1);
    const bobEnv = { XDG_CONFIG_HOME: join(dir, 'bob-config'), XDG_DATA_HOME: join(dir, 'bob-data') };
    const bobArgs = (port: number) => ['connect', `127.0.0.1:${port}`, '--json', '--name', 'bob', '--identity', bobIdentity];
    const bob = CliProcess.spawn(t, bobArgs(first.port), bobEnv);
    await bob.waitForEvent((e) => e['type'] === 'ready', 'bob to register');
    bob.endInput();
    await bob.waitExit();

    const alice = await openTuiInTmux(t, dir, first.port, 'alice', 0);
    first.server.child.kill('SIGKILL');
    await alice.waitForScreen(/│ offline/, 'alice to see the server gone');
    alice.type('queued one');
    alice.keys('Enter');
    alice.type(':dm bob queued two');
    alice.keys('Enter');
    await alice.waitForScreen(/-> \*bob\* queued two/, 'the DM queued too');
    process.kill(alice.pid(), 'SIGKILL');

    const second = await startServeProcess(t, [...serverArgs, '--port', String(first.port)]);
    const bobAgain = CliProcess.spawn(t, bobArgs(second.port), bobEnv);
    await bobAgain.waitForEvent((e) => e['type'] === 'ready', 'bob to be back');
    const again = await openTuiInTmux(t, dir, second.port, 'alice', 0);
    await again.waitForScreen(/sent 2 messages queued while offline/, 'the queue to be sent after the restart');
    const texts = () => bobAgain.events.filter((e) => e['type'] === 'message').map((e) => e['text']);
    await waitUntil(() => texts().length >= 2, 'bob to get both');
    // The marker, sent after both: anything repeated would have come before it.
    again.type('marker');
    again.keys('Enter');
    await bobAgain.waitForEvent((e) => e['type'] === 'message' && e['text'] === 'marker', 'the marker');
    assert.deepEqual(texts(), ['queued one', 'queued two', 'marker']);
    // A lobby line: its mark is the server's word that bob's client kept it (no end-to-end receipts in rooms).
    await again.waitForScreen(/<alice> marker \(server says: reached its reader\)/, "the marker's line to say it reached bob");
  });
});
