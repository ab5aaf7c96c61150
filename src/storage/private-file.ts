// Files that must stay private to the user (keys, pins, the client's sealed state): created 0600
// inside a 0700 folder, written atomically and durably. The one writer of the project's private
// files: the client (identity, pins, state) and the server (its TLS key) both write through it,
// and the one atomic writer (writeFileAtomically), which saving a received file uses too.
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { chmod, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChatError, ErrorCode } from '../core/errors.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/**
 * Writes `path` so that a crash leaves the old file or the new one, never half of either: `fill`
 * writes the contents to a temporary file beside it, created afresh ('wx': never through a link
 * planted there, never into a file someone else made readable) with mode 0600; it is fsynced,
 * `beforeRename` runs (a last check, which may throw), it is renamed over `path`, and the folder
 * is fsynced so the rename itself survives a power cut. On any failure the temporary file goes.
 * The one atomic writer of the project: private files below, and received files saved (`:save`).
 */
export function writeFileAtomically(path: string, fill: (fd: number) => void, beforeRename: () => void = () => {}): void {
  const temporary = `${path}.${process.pid}.tmp`;
  const fd = openFresh(temporary);
  try {
    try {
      fill(fd);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // The umask may have narrowed the mode further, never widened it; make it exact.
    chmodSync(temporary, PRIVATE_FILE_MODE);
    beforeRename();
    renameSync(temporary, path);
  } catch (error) {
    unlinkSync(temporary);
    throw error;
  }
  const folder = openSync(dirname(path), 'r');
  try {
    fsyncSync(folder);
  } finally {
    closeSync(folder);
  }
}

/** Writes `contents` to the private file `path` (its folder made 0700 if new), atomically: see writeFileAtomically. */
export function writePrivateFileSync(path: string, contents: string | Buffer): void {
  mkdirSync(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  writeFileAtomically(path, (fd) => writeSync(fd, typeof contents === 'string' ? Buffer.from(contents, 'utf8') : contents));
}

/** The same, for callers in async code (keys and pins: small, rare writes). */
export async function writePrivateFile(path: string, contents: string | Buffer): Promise<void> {
  writePrivateFileSync(path, contents);
}

/**
 * Creates `temporary` for writing, new. Something already there (a crash's leftover: in a
 * container the pid is the same at every start; or a planted link) is removed first: unlinking
 * never follows a link, so nothing is written through one.
 */
function openFresh(temporary: string): number {
  try {
    return openSync(temporary, 'wx', PRIVATE_FILE_MODE);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    unlinkSync(temporary);
    return openSync(temporary, 'wx', PRIVATE_FILE_MODE);
  }
}

/**
 * Makes tui-chat's own folder private (0700) if it exists with wider permissions, as a folder made
 * by hand or by an older version may; returns the mode it had, or undefined if nothing changed.
 * Only for folders tui-chat owns: a folder the user named for a key file is theirs to set.
 */
export async function tightenPrivateDir(dir: string): Promise<number | undefined> {
  let mode: number;
  try {
    mode = (await stat(dir)).mode & 0o777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if ((mode & 0o077) === 0) return undefined;
  await chmod(dir, PRIVATE_DIR_MODE);
  return mode;
}

/** Like ssh, refuse a private key that others can read rather than use it silently. */
export async function assertPrivateFileMode(path: string): Promise<void> {
  const info = await stat(path);
  if ((info.mode & 0o077) !== 0) {
    const mode = (info.mode & 0o777).toString(8).padStart(4, '0');
    throw new ChatError(ErrorCode.KEY_FILE, `permissions ${mode} on ${path} are too open: a private key must be readable by you alone (chmod 600 '${path}')`);
  }
}
