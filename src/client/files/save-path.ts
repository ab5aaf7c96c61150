// Where a received file may be written. The name in a file's message is its sender's: only a
// suggestion, cleaned of path separators, control characters and escape sequences, of a leading
// dot (no hidden files), and cut to a sane length. The file goes into the folder it was given
// (the user's downloads folder by default) and nowhere else, never over something that is there
// unless the user said so, and never into a device, a pipe or through a link.
import { type Stats, lstatSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, dirname, extname, isAbsolute, join, resolve } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';

/** Longest name kept, in characters (the extension is kept whole). */
const MAX_SAVED_NAME_CHARS = 120;

/** The downloads folder: $XDG_DOWNLOAD_DIR (the XDG user folder for downloads), else ~/Downloads. */
export function downloadsDir(env: NodeJS.ProcessEnv = process.env): string {
  const xdg = env['XDG_DOWNLOAD_DIR'];
  return xdg !== undefined && isAbsolute(xdg) ? xdg : join(env['HOME'] ?? homedir(), 'Downloads');
}

/** A peer's file name made safe to name a file here; never empty, never a path. */
export function cleanFileName(suggested: string): string {
  let name = suggested
    // Escape sequences whole (ESC [ ... final byte), then any control character left.
    .replace(/\u001b\[[0-?]*[ -/]*[@-~]/g, '')
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, '')
    .replace(/[/\\]/g, '_')
    .trim()
    .replace(/^\.+/, '');
  if (name.length > MAX_SAVED_NAME_CHARS) {
    const extension = extname(name).slice(0, 16);
    name = name.slice(0, MAX_SAVED_NAME_CHARS - extension.length) + extension;
  }
  return name === '' ? 'file' : name;
}

/**
 * The path to write: `target` is a folder (existing, or ending in '/') to put the cleaned name
 * in, a file name of the user's own, or nothing (the downloads folder). Throws FILE_SAVE when it
 * would land outside that folder, over something (unless `overwrite`), or on a device or a link.
 */
export function savePath(suggested: string, target: string | undefined, overwrite: boolean, env: NodeJS.ProcessEnv = process.env): string {
  const given = target === undefined || target === '' ? downloadsDir(env) : resolve(target.replace(/^~(?=\/|$)/, env['HOME'] ?? homedir()));
  const intoFolder = target === undefined || target === '' || target.endsWith('/') || isFolder(given);
  const folder = intoFolder ? given : dirname(given);
  if (intoFolder) mkdirSync(folder, { recursive: true, mode: 0o700 });
  const path = intoFolder ? join(folder, cleanFileName(suggested)) : given;
  if (resolve(dirname(path)) !== resolve(folder) || basename(path) === '..' || basename(path) === '.') {
    throw new ChatError(ErrorCode.FILE_SAVE, `${suggested} would be written outside ${folder}: not saved`);
  }
  const there = lstatOrUndefined(path);
  if (there !== undefined) {
    if (!there.isFile()) throw new ChatError(ErrorCode.FILE_SAVE, `${path} is not a plain file (a folder, device, pipe or link): not saved`);
    if (!overwrite) throw new ChatError(ErrorCode.FILE_SAVE, `${path} exists: not saved (:save! overwrites it, or give another name)`);
  }
  return path;
}

function isFolder(path: string): boolean {
  return lstatOrUndefined(path)?.isDirectory() === true;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}
