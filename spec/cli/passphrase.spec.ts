import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import type { CliIo } from '../../src/cli/cli-io.js';
import { passphraseSource } from '../../src/cli/passphrase.js';
import { ErrorCode } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

const io = (): CliIo =>
  ({ stdin: new PassThrough(), stdout: new PassThrough(), stderr: new PassThrough(), env: {}, onShutdownSignal: () => () => {} }) as unknown as CliIo;

describe('passphraseSource', () => {
  it('reads the first line of --passphrase-file, once', async (t) => {
    const file = join(makeTempDir(t), 'pass');
    writeFileSync(file, 'correct horse\nsecond line\n');
    const source = passphraseSource(file, io(), 'passphrase: ');
    assert.equal(await source(), 'correct horse');
    writeFileSync(file, 'changed\n');
    assert.equal(await source(), 'correct horse', 'asked once per run');
  });

  it('refuses to prompt when stdin is not a terminal, and says what to do', async () => {
    await assert.rejects(passphraseSource(undefined, io(), 'passphrase: ')(), { code: ErrorCode.KEY_FILE, message: /--passphrase-file/ });
  });

  it('names a passphrase file it cannot read', async () => {
    await assert.rejects(passphraseSource('/nonexistent/pass', io(), 'p: ')(), { code: ErrorCode.KEY_FILE, message: /cannot read --passphrase-file/ });
  });
});
