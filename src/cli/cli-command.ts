// What each command module (serve, connect, keys) exports as `command`, for src/cli/main.ts.
import type { FlagTable } from './arg-parser.js';
import type { CliIo } from './cli-io.js';

export interface CliCommand {
  readonly synopsis: string;
  /** Drives both parsing and the options part of --help. */
  readonly flags: FlagTable;
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}
