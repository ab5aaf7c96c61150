// What the client keeps of files: uploads not finished (so one resumes after a restart, with the
// same id and key) and files received (the attachment, who sent it where, how far it came), in
// one snapshot sealed like the rest of the client's state (`<base>.files`), and each received
// file's ciphertext as it arrived (`<base>.files.d/<id>.enc`): encrypted at rest twice over, by
// the file's own key. How much of a file is here is read from that file's length, so a chunk is
// written once and the snapshot only when something is added or finished.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, truncateSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Identity } from '../../core/identity.js';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from '../../core/file-messages.js';
import { SealedSnapshot, stateKey } from '../state/sealed-files.js';
import type { FileAttachment } from './attachment.js';

export interface PendingUpload {
  /** Its `sha256` is filled in by the upload's first pass over the file (before its message goes). */
  attachment: FileAttachment;
  /** A user, or '#room'. */
  readonly to: string;
  readonly path: string;
  /** The file as it was hashed: a changed file is not resumed. */
  readonly mtimeMs: number;
  /** Stored on the server whole. */
  stored: boolean;
  /** Its message (key, hash, name) went, once the server accepted the offer (absent: kept by an older version, not yet). */
  announced?: boolean;
}

export type ReceivedState = 'downloading' | 'complete' | 'refused';

export interface ReceivedFile {
  readonly attachment: FileAttachment;
  readonly from: string;
  /** Where it was said: '#room', or you (a DM). */
  readonly to: string | null;
  /** The message that carried it. */
  readonly messageId: string;
  readonly receivedAt: number;
  state: ReceivedState;
  /** Why it was refused, naming its sender. */
  reason?: string;
  /** Where it was last saved. */
  savedTo?: string;
}

interface ShelfSnapshot {
  readonly uploads: PendingUpload[];
  readonly received: ReceivedFile[];
}

export class FileShelf {
  readonly uploads: PendingUpload[];
  readonly received: ReceivedFile[];

  private folder: string | undefined;

  private constructor(
    private readonly snapshot: SealedSnapshot<ShelfSnapshot> | undefined,
    /** The folder of kept files, made when a first file arrives (a temporary one for a shelf in memory). */
    private readonly makeFolder: () => string,
    saved: ShelfSnapshot | undefined,
  ) {
    this.uploads = saved?.uploads ?? [];
    this.received = saved?.received ?? [];
  }

  /** `<base>.files` and `<base>.files.d/`, sealed under the identity's state key. */
  static open(base: string, identity: Identity): FileShelf {
    const snapshot = new SealedSnapshot<ShelfSnapshot>(`${base}.files`, stateKey(identity));
    const folder = `${base}.files.d`;
    const makeFolder = () => {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      return folder;
    };
    return new FileShelf(snapshot, makeFolder, snapshot.load());
  }

  /** Kept for this run only (specs, and a client started without a state folder). */
  static inMemory(): FileShelf {
    return new FileShelf(undefined, () => mkdtempSync(join(tmpdir(), 'tui-chat-client-files-')), undefined);
  }

  save(): void {
    this.snapshot?.save({ uploads: this.uploads, received: this.received });
  }

  /** Where a received file's ciphertext is. */
  sealedPath(id: string): string {
    this.folder ??= this.makeFolder();
    return join(this.folder, `${id}.enc`);
  }

  /** Whole chunks of `id` here (a torn last one, from a crash mid-write, is cut off). */
  chunksHere(id: string): number {
    const path = this.sealedPath(id);
    if (!existsSync(path)) return 0;
    const whole = FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES;
    const size = statSync(path).size;
    const chunks = Math.floor(size / whole);
    const file = this.received.find((entry) => entry.attachment.id === id);
    // The last chunk is short; a file whose size is all here is all here.
    if (file !== undefined && size === sealedSizeOf(file.attachment.size)) return Math.max(1, Math.ceil(file.attachment.size / FILE_CHUNK_BYTES));
    if (size !== chunks * whole) truncateSync(path, chunks * whole);
    return chunks;
  }

  dropSealed(id: string): void {
    rmSync(this.sealedPath(id), { force: true });
  }

  find(idOrPrefix: string): ReceivedFile[] {
    return this.received.filter((file) => file.attachment.id.startsWith(idOrPrefix));
  }
}

function sealedSizeOf(size: number): number {
  const chunks = Math.max(1, Math.ceil(size / FILE_CHUNK_BYTES));
  return size + chunks * FILE_CHUNK_TAG_BYTES;
}
