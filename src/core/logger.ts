// Logging is injected: the daemon writes to stderr, tests collect lines, the TUI shows them.
// Callers log events and metadata only; never plaintext, keys or frame payloads.

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, event: string, fields?: Readonly<Record<string, string | number | boolean | null>>): void;
}

export const silentLogger: Logger = { log() {} };

const LEVEL_RANK: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** One line per event: `2026-11-24T09:00:00.000Z info client.joined name=alice addr=127.0.0.1:5000`. */
export function createLineLogger(write: (line: string) => void, minLevel: LogLevel = 'info'): Logger {
  return {
    log(level, event, fields) {
      if (LEVEL_RANK[level] < LEVEL_RANK[minLevel]) return;
      const parts = [new Date().toISOString(), level, event];
      for (const [key, value] of Object.entries(fields ?? {})) parts.push(`${key}=${formatValue(value)}`);
      write(`${parts.join(' ')}\n`);
    },
  };
}

function formatValue(value: string | number | boolean | null): string {
  if (typeof value !== 'string') return String(value);
  // Quote anything with spaces or odd bytes so a hostile name cannot forge extra log fields or lines.
  return /^[\w.:@/-]*$/.test(value) && value !== '' ? value : JSON.stringify(value);
}
