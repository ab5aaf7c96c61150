import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatFlags, parseFlags } from '../../src/cli/arg-parser.js';
import { SERVE_FLAGS } from '../../src/cli/serve-command.js';
import { ErrorCode } from '../../src/core/errors.js';
import { MAX_FRAME_BYTES_CEILING } from '../../src/core/frame-types.js';

const TABLE = {
  name: { kind: 'string', value: 'NAME', default: 'me', description: 'who' },
  port: { kind: 'integer', value: 'PORT', min: 1, max: 65535, description: 'where' },
  json: { kind: 'boolean', description: 'lines' },
} as const;

describe('parseFlags', () => {
  it('gives typed values, defaults for flags not given, and the positionals', () => {
    const { flags, positionals } = parseFlags(['host:1', '--port', '80', '--json'], TABLE);
    assert.deepEqual({ ...flags }, { name: 'me', port: 80, json: true });
    assert.deepEqual(positionals, ['host:1']);
    assert.equal(parseFlags(['--port=81'], TABLE).flags.port, 81);
    assert.equal(parseFlags([], TABLE).flags.port, undefined);
  });

  const BAD: ReadonlyArray<[string, string[], RegExp]> = [
    ['an unknown flag', ['--bogus'], /unknown option --bogus/],
    ['a missing value', ['--port'], /--port needs a value/],
    ['a value for a switch', ['--json=yes'], /--json takes no value/],
    ['a number that is not one', ['--port', '8o'], /--port must be a whole number/],
    ['a number below the least', ['--port', '0'], /--port must be at least 1/],
    ['a number above the most', ['--port', '70000'], /--port must be at most 65535/],
  ];
  for (const [what, argv, message] of BAD) {
    it(`refuses ${what} with a usage error`, () => assert.throws(() => parseFlags(argv, TABLE), { code: ErrorCode.USAGE, message }));
  }

  it('writes --help from the same table, defaults included', () => {
    const help = formatFlags(TABLE);
    assert.match(help, /--name NAME\s+who \(default: me\)/);
    assert.match(help, /--json\s+lines$/m);
  });

  it('refuses server frame limits above the 16 MiB every client accepts', () => {
    for (const flag of ['max-media-frame-bytes', 'max-frame-bytes'] as const) {
      assert.throws(() => parseFlags([`--${flag}`, String(MAX_FRAME_BYTES_CEILING + 1)], SERVE_FLAGS), { code: ErrorCode.USAGE, message: /at most 16777216/ });
      assert.equal(parseFlags([`--${flag}`, String(MAX_FRAME_BYTES_CEILING)], SERVE_FLAGS).flags[flag], MAX_FRAME_BYTES_CEILING);
    }
  });
});
