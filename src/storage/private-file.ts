// Files that must stay private to the user (keys, pins): created 0600 inside a 0700 folder, written
// atomically. Shared by the client (identity, known peers) and the server (its TLS key).
import { chmod, mkdir, open, rename, stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import { ChatError, ErrorCode } from '../core/errors.js';

export const PRIVATE_FILE_MODE = 0o600;
export const PRIVATE_DIR_MODE = 0o700;

/** Writes via a temporary file and rename, so a crash never leaves half a key behind. */
export async function writePrivateFile(path: string, contents: string): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: PRIVATE_DIR_MODE });
  const temporary = `${path}.${process.pid}.tmp`;
  // 'wx' refuses to follow a planted symlink or reuse a file someone else made readable.
  const handle = await open(temporary, 'wx', PRIVATE_FILE_MODE);
  try {
    await handle.writeFile(contents, 'utf8');
    await handle.sync();
  } finally {
    await handle.close();
  }
  // The umask may have narrowed the mode further, never widened it; make it exact.
  await chmod(temporary, PRIVATE_FILE_MODE);
  await rename(temporary, path);
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
