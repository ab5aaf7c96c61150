// A small declarative flag parser: each command lists its flags once, and the same table drives
// parsing, validation and the --help text, so help can never drift from what is accepted.
import { UsageError } from '../core/errors.js';

export type FlagValue = string | number | boolean;

export interface FlagSpec {
  readonly name: string;
  readonly kind: 'string' | 'integer' | 'boolean';
  readonly description: string;
  /** Shown in help as "(default: ...)"; also the parsed value when the flag is absent. */
  readonly default?: FlagValue;
  /** Placeholder in help, e.g. PATH. */
  readonly value?: string;
  /** Smallest integer accepted. */
  readonly min?: number;
  /** Largest integer accepted. */
  readonly max?: number;
}

export interface ParsedArgs {
  readonly flags: Readonly<Record<string, FlagValue | undefined>>;
  readonly positionals: readonly string[];
}

export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[]): ParsedArgs {
  const byName = new Map(specs.map((spec) => [spec.name, spec]));
  const flags: Record<string, FlagValue | undefined> = {};
  for (const spec of specs) flags[spec.name] = spec.default;
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (!arg.startsWith('--') || arg === '--') {
      if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option ${arg}`);
      positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq === -1 ? undefined : eq);
    const spec = byName.get(name);
    if (spec === undefined) throw new UsageError(`unknown option --${name}`);
    if (spec.kind === 'boolean') {
      if (eq !== -1) throw new UsageError(`--${name} takes no value`);
      flags[name] = true;
      continue;
    }
    let raw: string | undefined;
    if (eq !== -1) raw = arg.slice(eq + 1);
    else raw = argv[++i];
    if (raw === undefined) throw new UsageError(`--${name} needs a value`);
    flags[name] = spec.kind === 'integer' ? parseInteger(name, raw, spec.min ?? 0, spec.max ?? Number.MAX_SAFE_INTEGER) : raw;
  }
  return { flags, positionals };
}

function parseInteger(name: string, raw: string, min: number, max: number): number {
  if (!/^\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, not "${raw}"`);
  const value = Number(raw);
  if (!Number.isSafeInteger(value) || value < min) throw new UsageError(`--${name} must be at least ${min}`);
  if (value > max) throw new UsageError(`--${name} must be at most ${max}`);
  return value;
}

export function formatFlags(specs: readonly FlagSpec[]): string {
  const rows = specs.map((spec) => {
    const left = `  --${spec.name}${spec.kind === 'boolean' ? '' : ` ${spec.value ?? spec.kind.toUpperCase()}`}`;
    const fallback = spec.default === undefined || spec.default === false ? '' : ` (default: ${spec.default})`;
    return [left, spec.description + fallback] as const;
  });
  const width = Math.max(...rows.map(([left]) => left.length)) + 2;
  return rows.map(([left, right]) => left.padEnd(width) + right).join('\n');
}
