// Entry point behind bin/tui-chat: picks the subcommand, prints help and usage errors, and turns
// every outcome into an exit code (0 ok, 1 failed, 2 bad usage).
import { createRequire } from 'node:module';
import { ChatError, UsageError } from '../core/errors.js';
import { formatFlags, type FlagSpec } from './arg-parser.js';
import { type CliIo, processIo } from './cli-io.js';
import { CONNECT_FLAGS, CONNECT_SUMMARY, CONNECT_SYNOPSIS, runConnect } from './connect-command.js';
import { KEYS_FLAGS, KEYS_SUMMARY, KEYS_SYNOPSIS, runKeys } from './keys-command.js';
import { SERVE_FLAGS, SERVE_SUMMARY, SERVE_SYNOPSIS, runServe } from './serve-command.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

interface Command {
  readonly synopsis: string;
  readonly summary: string;
  readonly flags: readonly FlagSpec[];
  readonly run: (argv: readonly string[], io: CliIo) => Promise<number>;
}

const COMMANDS: Readonly<Record<string, Command>> = {
  serve: { synopsis: SERVE_SYNOPSIS, summary: SERVE_SUMMARY, flags: SERVE_FLAGS, run: runServe },
  connect: { synopsis: CONNECT_SYNOPSIS, summary: CONNECT_SUMMARY, flags: CONNECT_FLAGS, run: runConnect },
  keys: { synopsis: KEYS_SYNOPSIS, summary: KEYS_SUMMARY, flags: KEYS_FLAGS, run: runKeys },
};

export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../../package.json') as { version: string }).version;
}

function topUsage(): string {
  const lines = ['usage: tui-chat <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)}${command.summary}`);
  lines.push('', 'options:', '  --help     show help (also: tui-chat <command> --help)', '  --version  print the version');
  return lines.join('\n') + '\n';
}

function commandUsage(command: Command): string {
  return `usage: ${command.synopsis}\n\n${command.summary}\n\noptions:\n${formatFlags(command.flags)}\n`;
}

export async function main(argv: readonly string[], io: CliIo = processIo()): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    (name === undefined ? io.stderr : io.stdout).write(topUsage());
    return name === undefined ? EXIT_USAGE : 0;
  }
  if (name === '--version' || name === '-V') {
    io.stdout.write(`tui-chat ${version()}\n`);
    return 0;
  }
  const command = COMMANDS[name];
  if (command === undefined) {
    io.stderr.write(`tui-chat: unknown command "${name}"\n${topUsage()}`);
    return EXIT_USAGE;
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandUsage(command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`tui-chat ${name}: ${error.message}\n${commandUsage(command)}`);
      return EXIT_USAGE;
    }
    if (error instanceof ChatError) {
      io.stderr.write(`tui-chat ${name}: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    if (isListenError(error)) {
      io.stderr.write(`tui-chat ${name}: cannot listen: ${error.message}\n`);
      return EXIT_FAILURE;
    }
    throw error;
  }
}

function isListenError(error: unknown): error is NodeJS.ErrnoException {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND';
}
