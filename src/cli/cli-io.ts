// The process-facing edges of the CLI, bundled so commands stay testable in-process.
import type { Readable, Writable } from 'node:stream';

export interface CliIo {
  readonly stdin: Readable;
  readonly stdout: Writable;
  readonly stderr: Writable;
  readonly env: NodeJS.ProcessEnv;
  /** Calls handler on SIGINT or SIGTERM; returns a function that removes it. */
  onShutdownSignal(handler: (signal: string) => void): () => void;
  /** Calls handler on SIGHUP (reload the configuration); returns a function that removes it. */
  onReloadSignal(handler: () => void): () => void;
}

export function processIo(): CliIo {
  return {
    stdin: process.stdin,
    stdout: process.stdout,
    stderr: process.stderr,
    env: process.env,
    onShutdownSignal(handler) {
      process.on('SIGINT', handler);
      process.on('SIGTERM', handler);
      return () => {
        process.off('SIGINT', handler);
        process.off('SIGTERM', handler);
      };
    },
    onReloadSignal(handler) {
      process.on('SIGHUP', handler);
      return () => process.off('SIGHUP', handler);
    },
  };
}
