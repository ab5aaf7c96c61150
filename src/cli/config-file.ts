// `serve --config FILE`: the same options as the flags, in JSON or TOML (by the file's extension;
// TOML read by smol-toml). Keys are the flag names (`max-clients = 800`). The file is turned into
// flags placed before the command line's, so a flag given on the command line wins. An unknown key
// or a value of the wrong kind is refused with the file, the key and the reason. A file that
// another local user could have written is refused before it is read, as sshd refuses its config:
// it names programs the server runs (`ffmpeg`), so whoever can write it can run code as the server.
import { open } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from '../core/errors.js';
import type { FlagTable } from './arg-parser.js';

/** Keys a config file may not set: they are about the command line itself. */
const COMMAND_LINE_ONLY = new Set(['help', 'config']);

export async function flagsFromConfigFile(path: string, table: FlagTable): Promise<string[]> {
  const text = await readTrustedFile(path);
  let parsed: unknown;
  try {
    parsed = path.endsWith('.toml') ? parseToml(text) : JSON.parse(text);
  } catch (error) {
    throw new UsageError(`${path}: not valid ${path.endsWith('.toml') ? 'TOML' : 'JSON'}: ${(error as Error).message.split('\n')[0]}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new UsageError(`${path}: must hold a table of options`);
  const argv: string[] = [];
  for (const [key, value] of Object.entries(parsed)) {
    const spec = table[key];
    if (spec === undefined || COMMAND_LINE_ONLY.has(key))
      throw new UsageError(`${path}: unknown key "${key}" (the keys are the flags of \`tui-chat serve --help\`)`);
    const bad = (why: string) => new UsageError(`${path}: "${key}" ${why}`);
    switch (spec.kind) {
      case 'boolean':
        if (typeof value !== 'boolean') throw bad('must be true or false');
        if (value) argv.push(`--${key}`);
        break;
      case 'string':
        if (typeof value !== 'string') throw bad('must be a string');
        argv.push(`--${key}=${value}`);
        break;
      case 'integer': {
        const number = typeof value === 'bigint' ? Number(value) : value;
        if (typeof number !== 'number' || !Number.isSafeInteger(number)) throw bad('must be a whole number');
        if (number < (spec.min ?? 0)) throw bad(`must be at least ${spec.min ?? 0}`);
        if (spec.max !== undefined && number > spec.max) throw bad(`must be at most ${spec.max}`);
        argv.push(`--${key}=${number}`);
        break;
      }
    }
  }
  return argv;
}

/**
 * The file's text, read from the descriptor whose owner and mode were checked (so it cannot be
 * swapped between the check and the read). Refused when group or others may write it, or when it
 * belongs to someone other than the user running the server (root's files excepted, as sshd does).
 */
async function readTrustedFile(path: string): Promise<string> {
  let file: import('node:fs/promises').FileHandle;
  try {
    file = await open(path, 'r');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
  try {
    const stat = await file.stat();
    if ((stat.mode & 0o022) !== 0) {
      throw new UsageError(
        `--config: ${path} may be written by ${stat.mode & 0o002 ? 'any user' : 'its group'} (mode ${(stat.mode & 0o777).toString(8).padStart(4, '0')}); ` +
          `it names programs the server runs, so it must be writable by its owner alone: chmod go-w ${path}`,
      );
    }
    const uid = process.getuid?.();
    if (uid !== undefined && stat.uid !== uid && stat.uid !== 0) {
      throw new UsageError(`--config: ${path} belongs to another user (uid ${stat.uid}); the server reads only its own user's or root's config: chown it`);
    }
    return await file.readFile('utf8');
  } finally {
    await file.close();
  }
}
