// How many files (sockets included) this process may hold open: each connection is one, so a
// --max-clients above it would fail accepts long before the server is full. Linux only (read from
// /proc); elsewhere nothing is known and nothing is said.
import { readFileSync } from 'node:fs';

/** Descriptors kept for what is not a client: the listener, logs, the store, and 32 ffmpegs' pipes. */
export const OPEN_FILES_HEADROOM = 256;

/** The soft limit on open files, or undefined when it cannot be read (not Linux) or is unlimited. */
export function openFilesLimit(limitsText = readLimits()): number | undefined {
  const match = /^Max open files\s+(\d+|unlimited)\s/m.exec(limitsText ?? '');
  if (match === null || match[1] === 'unlimited') return undefined;
  return Number(match[1]);
}

/** A sentence for the operator when `maxClients` connections would not fit under the limit; undefined when they do. */
export function openFilesWarning(maxClients: number, limit: number | undefined): string | undefined {
  if (limit === undefined || maxClients + OPEN_FILES_HEADROOM <= limit) return undefined;
  return (
    `this process may open ${limit} files, fewer than --max-clients ${maxClients} connections need ` +
    `(+${OPEN_FILES_HEADROOM}): raise it (ulimit -n ${maxClients + OPEN_FILES_HEADROOM}, or LimitNOFILE= in a systemd unit) or lower --max-clients`
  );
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
