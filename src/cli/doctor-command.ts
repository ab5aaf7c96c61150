// `tui-chat doctor [HOST:PORT]`: checks what commonly goes wrong (ffmpeg and ffplay, the terminal,
// key and config folder modes, pinned servers, the data folder, the broker, a server's
// certificate) and says how to fix each. Exit 0 when nothing failed, 1 otherwise; --json for
// scripts (one object with every check).
import { DEFAULT_PORT } from '../core/network-defaults.js';
import { UsageError } from '../core/errors.js';
import { parseHostPort } from './address.js';
import { type FlagTable, parseFlags } from './arg-parser.js';
import type { CliCommand } from './cli-command.js';
import type { CliIo } from './cli-io.js';
import { type CheckResult, runChecks } from './doctor-checks.js';
import { dataDir as defaultDataDir } from '../client/config-paths.js';

export const DOCTOR_FLAGS = {
  cluster: { kind: 'string', value: 'URL', description: 'also check that this NATS broker accepts connections' },
  'data-dir': { kind: 'string', value: 'DIR', default: '$XDG_DATA_HOME/tui-chat', description: "the server's data folder, to check it is writable" },
  json: { kind: 'boolean', description: 'print the results as one JSON object' },
  help: { kind: 'boolean', description: 'show this help' },
} as const satisfies FlagTable;

export const command: CliCommand = { synopsis: 'tui-chat doctor [HOST[:PORT]] [options]', flags: DOCTOR_FLAGS, run: runDoctor };

const MARK: Record<CheckResult['status'], string> = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' };

async function runDoctor(argv: readonly string[], io: CliIo): Promise<number> {
  const { flags, positionals } = parseFlags(argv, DOCTOR_FLAGS);
  if (positionals.length > 1) throw new UsageError('doctor takes at most one HOST:PORT');
  const output = io.stdout as NodeJS.WriteStream;
  const results = await runChecks({
    env: io.env,
    terminal: { isTTY: output.isTTY === true, ...(output.isTTY === true ? { columns: output.columns, rows: output.rows } : {}) },
    ...(positionals[0] === undefined ? {} : { server: parseHostPort(positionals[0], DEFAULT_PORT) }),
    ...(flags.cluster === undefined ? {} : { cluster: flags.cluster }),
    dataDir: flags['data-dir'].startsWith('$') ? defaultDataDir(io.env) : flags['data-dir'],
  });
  const failed = results.some((result) => result.status === 'fail');
  if (flags.json) {
    io.stdout.write(`${JSON.stringify({ ok: !failed, checks: results })}\n`);
  } else {
    for (const result of results) {
      io.stdout.write(`${MARK[result.status]}  ${result.check.padEnd(15)} ${result.detail}\n`);
      if (result.fix !== undefined) io.stdout.write(`${' '.repeat(22)}fix: ${result.fix}\n`);
    }
    io.stdout.write(failed ? 'Something needs fixing (FAIL above).\n' : 'Nothing failed.\n');
  }
  return failed ? 1 : 0;
}
