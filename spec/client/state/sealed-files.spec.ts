import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, describe, it } from 'node:test';
import { ErrorCode } from '../../../src/core/errors.js';
import type { Identity } from '../../../src/core/identity.js';
import { ClientState } from '../../../src/client/state/client-state.js';
import { type JournalDamage, SealedJournal, SealedSnapshot, stateKey } from '../../../src/client/state/sealed-files.js';
import { testIdentity } from '../../helpers/identities.js';
import { makeTempDir } from '../../helpers/temp-dir.js';

let alice: Identity;
let bob: Identity;
before(async () => {
  [alice, bob] = await Promise.all([testIdentity(0), testIdentity(1)]);
});

/** Read through a function, so the compiler does not narrow it across readAll() calls. */
function damageOf(journal: SealedJournal<unknown>): JournalDamage | undefined {
  return journal.damage;
}

describe('the client files at rest', () => {
  it('keep no plaintext, are 0600 in a 0700 folder, and read back under the same identity only', (t) => {
    const dir = makeTempDir(t);
    const base = join(dir, 'data', 'client', 'state');
    const state = ClientState.open(base, alice);
    state.remember({ kind: 'in', id: 'm1', from: 'bob', to: null, text: 'SECRET-TEXT-4711', ts: Date.now() });
    state.addOutgoing({ id: 'q1', to: 'bob', text: 'SECRET-QUEUED-0815', createdAt: Date.now(), recipients: {} });
    state.commit(undefined);
    for (const file of [`${base}.state`, `${base}.history`]) {
      const bytes = readFileSync(file);
      assert.equal(bytes.indexOf('SECRET'), -1, `${file} holds plaintext`);
      assert.equal(statSync(file).mode & 0o777, 0o600);
    }
    assert.equal(statSync(join(dir, 'data', 'client')).mode & 0o777, 0o700);
    const again = ClientState.open(base, alice);
    assert.deepEqual(
      again.search('secret').map((r) => (r.kind === 'seen' ? '' : r.text)),
      ['SECRET-TEXT-4711'],
    );
    assert.equal(again.outbox[0]?.text, 'SECRET-QUEUED-0815');
    assert.ok(again.hasSeen('bob', 'm1'), 'a message kept is known, so a repeat is dropped');
    assert.ok(!again.hasSeen('mallory', 'm1'), "ids are each sender's own: another user's m1 is another message");
    assert.throws(() => ClientState.open(base, bob), { code: ErrorCode.STORE_CORRUPT });
  });

  it('drops a record torn by a crash, and skips a damaged record to the next good one, saying so', (t) => {
    const dir = makeTempDir(t);
    const file = join(dir, 'h.history');
    const journal = new SealedJournal<{ n: number }>(file, stateKey(alice));
    journal.append([{ n: 1 }, { n: 2 }]);
    const whole = statSync(file).size;
    appendFileSync(file, Buffer.from([0, 0, 0, 200, 1, 2, 3])); // a record cut short
    assert.deepEqual(journal.readAll(), [{ n: 1 }, { n: 2 }]);
    assert.equal(journal.damage, undefined, 'a torn last append is no damage');
    assert.equal(statSync(file).size, whole, 'the torn tail is cut off, so later appends stay readable');
    journal.append([{ n: 3 }]);
    assert.deepEqual(journal.readAll(), [{ n: 1 }, { n: 2 }, { n: 3 }]);
    const bytes = readFileSync(file);
    bytes[10] = bytes[10]! ^ 0xff; // inside the first record
    writeFileSync(file, bytes);
    assert.deepEqual(journal.readAll(), [{ n: 2 }, { n: 3 }]);
    const damage = damageOf(journal);
    assert.equal(damage?.records, 1);
    assert.deepEqual(readFileSync(damage!.keptAt), bytes, 'the file as it was is kept aside');
    assert.deepEqual(journal.readAll(), [{ n: 2 }, { n: 3 }], 'rewritten with the good records: said once');
    assert.equal(damageOf(journal), undefined);
  });

  it('keeps the rest of a history whose record has a bad length field (it was cut to the first record)', (t) => {
    const file = join(makeTempDir(t), 'h.history');
    const journal = new SealedJournal<{ n: number }>(file, stateKey(alice));
    const all = Array.from({ length: 16 }, (_, n) => ({ n }));
    journal.append(all);
    const bytes = readFileSync(file);
    const second = 4 + bytes.readUInt32BE(0);
    bytes.writeUInt32BE(0x7fffffff, second); // record 2's length, now past the end of the file
    writeFileSync(file, bytes);
    assert.deepEqual(
      journal.readAll().map((r) => r.n),
      all.map((r) => r.n).filter((n) => n !== 1),
    );
    assert.equal(damageOf(journal)?.records, 1);
  });

  it('refuses a journal none of whose records opens (another key), and leaves it as it is', (t) => {
    const file = join(makeTempDir(t), 'h.history');
    new SealedJournal<{ n: number }>(file, stateKey(alice)).append([{ n: 1 }, { n: 2 }]);
    const before = readFileSync(file);
    assert.throws(() => new SealedJournal(file, stateKey(bob)).readAll(), { code: ErrorCode.STORE_CORRUPT });
    assert.deepEqual(readFileSync(file), before);
  });

  it('refuses a damaged snapshot, naming it', (t) => {
    const dir = makeTempDir(t);
    const snapshot = new SealedSnapshot<{ a: number }>(join(dir, 's.state'), stateKey(alice));
    snapshot.save({ a: 1 });
    assert.deepEqual(snapshot.load(), { a: 1 });
    truncateSync(snapshot.path, 20);
    assert.throws(
      () => snapshot.load(),
      (error: Error & { code?: string }) => error.code === ErrorCode.STORE_CORRUPT && error.message.includes('s.state'),
    );
  });
});
