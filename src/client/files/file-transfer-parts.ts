// What sending and receiving files (file-uploads.ts, file-downloads.ts) need of the client and
// tell its user: the link, the end-to-end message, the events FileTransfers emits, and how often
// progress is said.
import type { FileChunk } from '../../core/file-codec.js';
import type { FileRequest } from '../../core/file-messages.js';
import type { FileAttachment } from './attachment.js';

export interface FileEvents {
  /** A received file is here, whole and checked. */
  file: {
    readonly id: string;
    readonly name: string;
    readonly size: number;
    readonly sha256: string;
    readonly from: string;
    readonly to: string | null;
    readonly picture: boolean;
  };
  'file-progress': { readonly id: string; readonly name: string; readonly direction: 'up' | 'down'; readonly bytes: number; readonly size: number };
  /** Ours is on the server whole (its message went when the server accepted it). */
  'file-sent': { readonly id: string; readonly name: string; readonly size: number; readonly to: string };
  saved: { readonly id: string; readonly path: string };
  error: { readonly code: string; readonly message: string; readonly fatal: false; readonly ref?: string; readonly peer?: string };
}

export interface FileEventSink {
  emit<K extends keyof FileEvents & string>(event: K, payload: FileEvents[K]): void;
}

export interface FileTransferParts {
  isReady(): boolean;
  /** Writes a file message or chunk; resolves when the link can take more. */
  send(message: FileRequest | FileChunk): Promise<void>;
  /** Sends the end-to-end message that carries the file, its text for clients that cannot fetch it. */
  announce(to: string, text: string, file: FileAttachment): void;
  isSelf(name: string): boolean;
}

/** Progress is said at most every this many bytes, and this often, per file (and at the end): a terminal needs no more. */
const PROGRESS_EVERY_BYTES = 1024 * 1024;
const PROGRESS_EVERY_MS = 100;

export class ProgressPacer {
  private lastBytes = -1;
  private lastAt = Number.NEGATIVE_INFINITY;

  /** True when progress at `bytes` is to be said (always at the end). */
  due(bytes: number, end: boolean, now = performance.now()): boolean {
    if (!end && (bytes - this.lastBytes < PROGRESS_EVERY_BYTES || now - this.lastAt < PROGRESS_EVERY_MS)) return false;
    this.lastBytes = bytes;
    this.lastAt = now;
    return true;
  }
}
