// A file of pins (known peers' keys, known servers' certificates): `{ version: 1, SECTION: { key:
// entry } }`, read once at start (a damaged file is a ConfigFileError and is never overwritten),
// written whole as a private file on each change, one write after another so two quick pins never
// interleave on disk. Null path: pins kept in memory only (bots, tests).
import { objectEntries, readJsonObject } from './config-file.js';
import { writePrivateFile } from './private-file.js';

export class PinFile<T> {
  private saving: Promise<void> = Promise.resolve();

  constructor(
    readonly path: string | null,
    private readonly section: string,
  ) {}

  /** The entries in the file (none if there is none), each through `parse` (which throws ConfigFileError on a bad one). */
  async read(parse: (key: string, entry: Record<string, unknown>) => T): Promise<Array<[string, T]>> {
    if (this.path === null) return [];
    const file = await readJsonObject(this.path);
    if (file === undefined) return [];
    const path = this.path;
    return objectEntries(path, file, this.section).map(([key, entry]) => [key, parse(key, entry)]);
  }

  /** Writes every pin, after any write still under way; the promise says whether this one landed. */
  save(entries: Iterable<readonly [string, T]>): Promise<void> {
    if (this.path === null) return Promise.resolve();
    const path = this.path;
    const text = `${JSON.stringify({ version: 1, [this.section]: Object.fromEntries(entries) }, null, 2)}\n`;
    const write = this.saving.then(() => writePrivateFile(path, text));
    // The chain goes on after a failed write: the next change writes everything again.
    this.saving = write.catch(() => {});
    return write;
  }

  /** Resolves when every write so far has finished (landed or failed). */
  flush(): Promise<void> {
    return this.saving;
  }
}
