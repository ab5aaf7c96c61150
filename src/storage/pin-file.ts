// A file of pins (known peers' keys, known servers' certificates): `{ version: 1, SECTION: { key:
// entry } }`, read once at start (a damaged file is a ConfigFileError and is never overwritten),
// written whole as a private file after changes, one write after another so two quick pins never
// interleave on disk, and changes made while a write waits go in that write: a thousand pins in
// one turn (the members of a big room, listed for its first line) are one write, not a thousand
// of a growing file. Null path: pins kept in memory only (bots, tests).
import { objectEntries, readJsonObject } from './config-file.js';
import { writePrivateFile } from './private-file.js';

export class PinFile<T> {
  private saving: Promise<void> = Promise.resolve();
  /** The write not started yet, which every save until it starts joins (it writes the latest entries). */
  private queued: Promise<void> | undefined;
  private latest: Iterable<readonly [string, T]> = [];

  constructor(
    readonly path: string | null,
    private readonly section: string,
    /** Writes the file (a private file; a seam for specs that count writes). */
    private readonly write: (path: string, text: string) => Promise<void> = writePrivateFile,
  ) {}

  /** The entries in the file (none if there is none), each through `parse` (which throws ConfigFileError on a bad one). */
  async read(parse: (key: string, entry: Record<string, unknown>) => T): Promise<Array<[string, T]>> {
    if (this.path === null) return [];
    const file = await readJsonObject(this.path);
    if (file === undefined) return [];
    const path = this.path;
    return objectEntries(path, file, this.section).map(([key, entry]) => [key, parse(key, entry)]);
  }

  /**
   * Writes every pin, after any write still under way; the promise says whether a write holding
   * this change landed. `entries` is read when that write starts (the latest given wins), so
   * whoever saves a live map may change it again meanwhile.
   */
  save(entries: Iterable<readonly [string, T]>): Promise<void> {
    if (this.path === null) return Promise.resolve();
    this.latest = entries;
    if (this.queued !== undefined) return this.queued;
    const path = this.path;
    const write = this.saving.then(() => {
      this.queued = undefined;
      return this.write(path, `${JSON.stringify({ version: 1, [this.section]: Object.fromEntries(this.latest) }, null, 2)}\n`);
    });
    this.queued = write;
    // The chain goes on after a failed write: the next change writes everything again.
    this.saving = write.catch(() => {});
    return write;
  }

  /** Resolves when every write so far has finished (landed or failed). */
  flush(): Promise<void> {
    return this.saving;
  }
}
