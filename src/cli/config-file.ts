// `serve --config FILE`: the same options as the flags, in JSON or TOML (by the file's extension;
// TOML read by smol-toml). Keys are the flag names (`max-clients = 800`). The file is turned into
// flags placed before the command line's, so a flag given on the command line wins. An unknown key
// or a value of the wrong kind is refused with the file, the key and the reason.
import { readFile } from 'node:fs/promises';
import { parse as parseToml } from 'smol-toml';
import { UsageError } from '../core/errors.js';
import type { FlagTable } from './arg-parser.js';

/** Keys a config file may not set: they are about the command line itself. */
const COMMAND_LINE_ONLY = new Set(['help', 'config']);

export async function flagsFromConfigFile(path: string, table: FlagTable): Promise<string[]> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new UsageError(`--config: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
  }
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
