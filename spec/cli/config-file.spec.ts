import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { flagsFromConfigFile } from '../../src/cli/config-file.js';
import { SERVE_FLAGS } from '../../src/cli/serve-command.js';
import { ErrorCode } from '../../src/core/errors.js';
import { makeTempDir } from '../helpers/temp-dir.js';

describe('flagsFromConfigFile', () => {
  it('reads TOML and JSON into the same flags', async (t) => {
    const dir = makeTempDir(t);
    writeFileSync(join(dir, 'serve.toml'), 'host = "0.0.0.0"\nmax-clients = 800\nplaintext = true\n');
    writeFileSync(join(dir, 'serve.json'), '{"host": "0.0.0.0", "max-clients": 800, "plaintext": true}');
    const expected = ['--host=0.0.0.0', '--max-clients=800', '--plaintext'];
    assert.deepEqual(await flagsFromConfigFile(join(dir, 'serve.toml'), SERVE_FLAGS), expected);
    assert.deepEqual(await flagsFromConfigFile(join(dir, 'serve.json'), SERVE_FLAGS), expected);
  });

  const BAD: ReadonlyArray<[string, string, RegExp]> = [
    ['an unknown key', 'max-clientz = 3', /unknown key "max-clientz"/],
    ['a key only the command line has', 'help = true', /unknown key "help"/],
    ['a string for a number', 'max-clients = "many"', /"max-clients" must be a whole number/],
    ['a number below the least', 'max-clients = 0', /"max-clients" must be at least 1/],
    ['a number above the most', 'max-frame-bytes = 999999999', /"max-frame-bytes" must be at most/],
    ['a number for a switch', 'plaintext = 1', /"plaintext" must be true or false/],
    ['broken TOML', 'host = ', /not valid TOML/],
  ];
  for (const [what, text, message] of BAD) {
    it(`refuses ${what}, naming the file and the key`, async (t) => {
      const path = join(makeTempDir(t), 'serve.toml');
      writeFileSync(path, text);
      await assert.rejects(flagsFromConfigFile(path, SERVE_FLAGS), (error: Error & { code?: string }) => {
        assert.equal(error.code, ErrorCode.USAGE);
        assert.ok(error.message.startsWith(path), error.message);
        assert.match(error.message, message);
        return true;
      });
    });
  }

  for (const [who, mode] of [
    ['its group', 0o664],
    ['any user', 0o646],
  ] as const) {
    it(`refuses a config file ${who} may write, before reading it`, async (t) => {
      const path = join(makeTempDir(t), 'serve.toml');
      writeFileSync(path, 'ffmpeg = "/tmp/not-ffmpeg.sh"\n');
      chmodSync(path, mode);
      await assert.rejects(flagsFromConfigFile(path, SERVE_FLAGS), (error: Error & { code?: string }) => {
        assert.equal(error.code, ErrorCode.USAGE);
        assert.match(error.message, new RegExp(`may be written by ${who}`));
        assert.match(error.message, /chmod go-w/);
        return true;
      });
    });
  }

  it('reads a config file only its owner may write', async (t) => {
    const path = join(makeTempDir(t), 'serve.toml');
    writeFileSync(path, 'max-clients = 800\n');
    chmodSync(path, 0o600);
    assert.deepEqual(await flagsFromConfigFile(path, SERVE_FLAGS), ['--max-clients=800']);
  });
});
