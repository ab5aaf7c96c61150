// Reads the client's own JSON files (pinned servers, known peers). A damaged file is an error that
// names the file and what to do, never a stack trace, and never a silent fresh start: writing over
// it would drop every pin it held.
import { readFile } from 'node:fs/promises';
import { ChatError, ErrorCode } from '../core/errors.js';

export class ConfigFileError extends ChatError {
  constructor(path: string, what: string) {
    super(
      ErrorCode.CONFIG_FILE,
      `${path} is damaged (${what}). tui-chat will not overwrite it, since it holds your pins: ` +
        'fix it, or move it aside to start over (every pin in it is then forgotten)',
    );
  }
}

/** The parsed object in `path`, undefined when there is no such file; throws ConfigFileError when damaged. */
export async function readJsonObject(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ChatError(ErrorCode.CONFIG_FILE, `cannot read ${path}: ${(error as Error).message}`, { cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new ConfigFileError(path, `not valid JSON: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new ConfigFileError(path, 'not a JSON object');
  return parsed as Record<string, unknown>;
}

/** The object under `field`, each entry an object; throws ConfigFileError naming the bad entry. */
export function objectEntries(path: string, file: Record<string, unknown>, field: string): Array<[string, Record<string, unknown>]> {
  const table = file[field];
  if (table === undefined) return [];
  if (typeof table !== 'object' || table === null || Array.isArray(table)) throw new ConfigFileError(path, `"${field}" is not an object`);
  return Object.entries(table).map(([key, entry]) => {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) throw new ConfigFileError(path, `the entry "${key}" is not an object`);
    return [key, entry as Record<string, unknown>];
  });
}
