// Command-line flags: one typed table per command drives parsing (node:util's parseArgs) and the
// --help text, so a flag cannot be documented one way and parsed another. Values come back typed
// from the table: no casts at the call sites.
import { parseArgs } from 'node:util';
import { UsageError } from '../core/errors.js';

export type FlagSpec =
  | { readonly kind: 'boolean'; readonly description: string }
  | { readonly kind: 'string'; readonly value: string; readonly description: string; readonly default?: string }
  | {
      readonly kind: 'integer';
      readonly value: string;
      readonly description: string;
      readonly default?: number;
      /** Smallest and largest accepted; default 0 and Number.MAX_SAFE_INTEGER. */
      readonly min?: number;
      readonly max?: number;
    };

/** Flag name (without --) -> what it takes. */
export type FlagTable = Readonly<Record<string, FlagSpec>>;

type ValueOf<S extends FlagSpec> = S extends { kind: 'boolean' } ? boolean : S extends { kind: 'integer' } ? number : string;

/** A table's parsed values: flags with a default (and booleans) are always set. */
export type FlagValues<T extends FlagTable> = {
  readonly [K in keyof T]: T[K] extends { kind: 'boolean' } | { default: string | number } ? ValueOf<T[K]> : ValueOf<T[K]> | undefined;
};

export interface ParsedFlags<T extends FlagTable> {
  readonly flags: FlagValues<T>;
  readonly positionals: readonly string[];
}

/** Parses argv against the table; any unknown flag, missing value or bad number is a UsageError. */
export function parseFlags<T extends FlagTable>(argv: readonly string[], table: T): ParsedFlags<T> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...argv],
      options: Object.fromEntries(Object.entries(table).map(([name, spec]) => [name, { type: spec.kind === 'boolean' ? 'boolean' : 'string' }])),
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw usageErrorFrom(error as Error & { code?: string });
  }
  const flags: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(table)) {
    const raw = parsed.values[name];
    if (spec.kind === 'boolean') flags[name] = raw === true;
    else if (raw === undefined) flags[name] = spec.default;
    else flags[name] = spec.kind === 'integer' ? parseInteger(name, raw as string, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER) : raw;
  }
  return { flags: flags as FlagValues<T>, positionals: parsed.positionals };
}

/** node:util's parse errors, said the way the rest of the CLI says things. */
function usageErrorFrom(error: Error & { code?: string }): UsageError {
  const option = /'(--?[\w-]+)/.exec(error.message)?.[1] ?? 'an option';
  if (error.code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') return new UsageError(`unknown option ${option}`);
  if (/does not take an argument/.test(error.message)) return new UsageError(`${option} takes no value`);
  if (/ambiguous/.test(error.message)) return new UsageError(`${option} needs a value; for one that starts with a dash write ${option}=VALUE`);
  if (/argument missing/.test(error.message)) return new UsageError(`${option} needs a value`);
  return new UsageError(error.message.split('\n')[0]!);
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, not "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be at least ${min}`);
  if (value > max) throw new UsageError(`--${name} must be at most ${max}`);
  return value;
}

/** The options part of --help, from the same table. */
export function formatFlags(table: FlagTable): string {
  const rows = Object.entries(table).map(([name, spec]) => {
    const left = `  --${name}${spec.kind === 'boolean' ? '' : ` ${spec.value}`}`;
    const fallback = spec.kind === 'boolean' || spec.default === undefined ? '' : ` (default: ${spec.default})`;
    return [left, spec.description + fallback] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
