// Moving the client's files at rest (sessions, key cache, history) from one identity key to the
// next when `tui-chat keys rotate` replaces it: without this, rotating left every history sealed
// under a key that was then deleted, and every conversation came back empty.
//
// In two steps, so a crash at any point loses nothing: `prepare` writes each file again, sealed
// under the new key, beside the old one (FILE.rekey); the identity file is replaced; `commit`
// renames each FILE.rekey over FILE. Opening a state (ClientState.open) finishes a commit a crash
// cut short, and drops .rekey files the identity never moved to.
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { Identity } from '../../core/identity.js';
import { SealedJournal, SealedSnapshot, StateFileError, stateKey } from './sealed-files.js';

const SNAPSHOT_SUFFIXES = ['.state', '.keys'] as const;
const JOURNAL_SUFFIX = '.history';
const PENDING = '.rekey';

/** The files written under the new key, waiting to replace the old ones. */
export interface PreparedRekey {
  readonly files: readonly string[];
}

/**
 * Writes every state file in `dir` that opens under `from` again under `to`, as FILE.rekey, each
 * `.state` snapshot passed through `reshape` (what the new key cannot carry on, dropped). Files
 * that do not open under `from` (another identity's, or damaged) are left as they are.
 */
export function prepareRekey(dir: string, from: Identity, to: Identity, reshape: (snapshot: unknown) => unknown = (snapshot) => snapshot): PreparedRekey {
  if (!existsSync(dir)) return { files: [] };
  const oldKey = stateKey(from);
  const newKey = stateKey(to);
  const files: string[] = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    try {
      if (SNAPSHOT_SUFFIXES.some((suffix) => name.endsWith(suffix))) {
        const value = new SealedSnapshot<unknown>(path, oldKey).load();
        if (value === undefined) continue;
        new SealedSnapshot<unknown>(path + PENDING, newKey).save(name.endsWith('.state') ? reshape(value) : value);
        files.push(path);
      } else if (name.endsWith(JOURNAL_SUFFIX)) {
        const records = new SealedJournal<unknown>(path, oldKey).readAll();
        new SealedJournal<unknown>(path + PENDING, newKey).rewrite(records);
        files.push(path);
      }
    } catch (error) {
      // Not ours (sealed under another key) or damaged: not ours to move.
      if (!(error instanceof StateFileError)) throw error;
    }
  }
  return { files };
}

/** Puts each re-sealed file in place of the old one (each rename atomic). */
export function commitRekey(prepared: PreparedRekey): void {
  for (const path of prepared.files) renameSync(path + PENDING, path);
}

/**
 * At open, for the files of one state (`base` without its suffix): a FILE.rekey that opens under
 * the identity's key is a rotation a crash cut short (renamed in place now); one that does not is
 * a rotation that never happened (removed).
 */
export function finishRekey(base: string, identity: Identity): void {
  const key = stateKey(identity);
  for (const suffix of [...SNAPSHOT_SUFFIXES, JOURNAL_SUFFIX]) {
    const pending = `${base}${suffix}${PENDING}`;
    if (!existsSync(pending)) continue;
    let opens = true;
    try {
      if (suffix === JOURNAL_SUFFIX) new SealedJournal<unknown>(pending, key).readAll();
      else new SealedSnapshot<unknown>(pending, key).load();
    } catch (error) {
      if (!(error instanceof StateFileError)) throw error;
      opens = false;
    }
    if (opens) renameSync(pending, `${base}${suffix}`);
    else rmSync(pending, { force: true });
  }
}
