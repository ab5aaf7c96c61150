// Entry point behind bin/tui-chat: picks the subcommand, prints help and usage errors, and turns
// every outcome into an exit code (0 ok, 1 failed, 2 bad usage).
import { createRequire } from 'node:module';
import { ChatError, UsageError } from '../core/errors.js';
import { DEFAULT_PORT } from '../core/network-defaults.js';
import { formatFlags } from './arg-parser.js';
import type { CliCommand } from './cli-command.js';
import { type CliIo, processIo } from './cli-io.js';

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

interface CommandEntry {
  readonly summary: string;
  /** Loaded only when chosen: `connect` must not load the daemon's modules, nor `serve` blessed. */
  readonly load: () => Promise<CliCommand>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
  serve: { summary: 'Run the relay daemon over TLS (headless; logs to stderr).', load: async () => (await import('./serve-command.js')).command },
  connect: {
    summary: `Join a server (default port ${DEFAULT_PORT}) in the full-screen TUI, or as JSON lines with --json.`,
    load: async () => (await import('./connect-command.js')).command,
  },
  keys: { summary: 'Show, export, rotate or passphrase-protect your identity key.', load: async () => (await import('./keys-command.js')).command },
  doctor: {
    summary: 'Check what commonly goes wrong (ffmpeg, the terminal, key files, pins, the broker, a server) and say how to fix it.',
    load: async () => (await import('./doctor-command.js')).command,
  },
  top: { summary: 'A live dashboard of a running server, from its metrics (serve --metrics).', load: async () => (await import('./top-command.js')).command },
};

export function version(): string {
  const require = createRequire(import.meta.url);
  return (require('../../../package.json') as { version: string }).version;
}

function topUsage(): string {
  const lines = ['usage: tui-chat <command> [options]', '', 'commands:'];
  for (const [name, command] of Object.entries(COMMANDS)) lines.push(`  ${name.padEnd(9)}${command.summary}`);
  lines.push('', 'options:', '  --help     show help (also: tui-chat <command> --help)', '  --version  print the version');
  return `${lines.join('\n')}\n`;
}

function commandUsage(entry: CommandEntry, command: CliCommand): string {
  return `usage: ${command.synopsis}\n\n${entry.summary}\n\noptions:\n${formatFlags(command.flags)}\n`;
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
  const entry = COMMANDS[name];
  if (entry === undefined) {
    io.stderr.write(`tui-chat: unknown command "${name}"\n${topUsage()}`);
    return EXIT_USAGE;
  }
  const command = await entry.load();
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout.write(commandUsage(entry, command));
    return 0;
  }
  try {
    return await command.run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.stderr.write(`tui-chat ${name}: ${error.message}\n${commandUsage(entry, command)}`);
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
