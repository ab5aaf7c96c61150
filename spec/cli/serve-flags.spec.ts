import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseArgs } from '../../src/cli/arg-parser.js';
import { SERVE_FLAGS } from '../../src/cli/serve-command.js';
import { ErrorCode } from '../../src/core/errors.js';
import { MAX_FRAME_BYTES_CEILING } from '../../src/core/frame-types.js';

describe('serve flags', () => {
  it('refuses a frame limit above the 16 MiB every client accepts', () => {
    for (const flag of ['--max-media-frame-bytes', '--max-frame-bytes']) {
      assert.throws(() => parseArgs([flag, String(MAX_FRAME_BYTES_CEILING + 1)], SERVE_FLAGS), { code: ErrorCode.USAGE, message: /at most 16777216/ });
      assert.equal(parseArgs([flag, String(MAX_FRAME_BYTES_CEILING)], SERVE_FLAGS).flags[flag.slice(2)], MAX_FRAME_BYTES_CEILING);
    }
  });
});
