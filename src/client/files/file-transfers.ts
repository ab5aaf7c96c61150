// A client's files: sending (file-uploads.ts) and receiving (file-downloads.ts) behind one
// emitter the session, the TUI and --json listen to, and what a user does with a received file:
// look it up, read it (to draw a picture), `:save` it where save-path.ts allows.
import { writeSync } from 'node:fs';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { FileChunk } from '../../core/file-codec.js';
import type { FileNews } from '../../core/file-messages.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import { type FileAttachment, describeAttachment } from './attachment.js';
import { chunkCount, openChunk } from './file-cipher.js';
import { FileDownloads, readSealedChunks } from './file-downloads.js';
import type { FileShelf, ReceivedFile } from './file-shelf.js';
import type { FileEvents, FileTransferParts } from './file-transfer-parts.js';
import { FileUploads } from './file-uploads.js';
import { savePath } from './save-path.js';
import { writeFileAtomically } from '../../storage/private-file.js';

export type { FileEvents, FileTransferParts } from './file-transfer-parts.js';

export class FileTransfers extends TypedEmitter<FileEvents> {
  private readonly uploads: FileUploads;
  private readonly downloads: FileDownloads;

  constructor(
    parts: FileTransferParts,
    readonly shelf: FileShelf,
  ) {
    super();
    const events = { emit: <K extends keyof FileEvents & string>(event: K, payload: FileEvents[K]) => this.emit(event, payload) };
    this.uploads = new FileUploads(parts, shelf, events);
    this.downloads = new FileDownloads(parts, shelf, events);
  }

  /** Sends the file at `path` to a user or a '#room'. Resolves with its id once it is queued. */
  async send(to: string, path: string): Promise<string> {
    return this.uploads.send(to, path);
  }

  /** Resolves once the uploads queued so far have finished, failed, or been cut off (to be resumed). */
  settled(): Promise<void> {
    return this.uploads.settled();
  }

  /** Connected again: uploads go on from where the server is, downloads from the chunks here. */
  resume(): void {
    this.uploads.resume();
    this.downloads.resume();
  }

  onNews(news: FileNews): void {
    this.uploads.onNews(news);
  }

  /** The server refused something about file `ref`: true when it was one of ours (sent or fetched). */
  onServerError(ref: string, code: string, message: string): boolean {
    return this.uploads.onServerError(ref, code, message) || this.downloads.onServerError(ref, code, message);
  }

  /** The link went down: what was waiting on the server will be asked again. */
  disconnected(): void {
    this.uploads.disconnected();
    this.downloads.disconnected();
  }

  /** A message brought a file: kept, and fetched. */
  received(messageId: string, from: string, to: string | null, attachment: FileAttachment): void {
    this.downloads.received(messageId, from, to, attachment);
  }

  onChunk(chunk: FileChunk): void {
    this.downloads.onChunk(chunk);
  }

  /** The received file `id` (or a unique start of it). */
  lookup(id: string): ReceivedFile {
    const found = this.shelf.find(id);
    if (found.length === 0) throw new ChatError(ErrorCode.FILE_NOT_FOUND, `no file ${id} here (:files lists them)`);
    if (found.length > 1) throw new ChatError(ErrorCode.USAGE, `${id} names ${found.length} files: give more of its id`);
    return found[0]!;
  }

  /** The plaintext of a received file, in memory (for drawing a picture; at most `maxBytes`). */
  read(id: string, maxBytes: number): Buffer {
    const file = this.lookup(id);
    const { attachment } = file;
    if (file.state !== 'complete')
      throw new ChatError(ErrorCode.FILE_NOT_FOUND, `${describeAttachment(attachment)} is ${file.state === 'refused' ? 'refused' : 'still on its way'}`);
    if (attachment.size > maxBytes) throw new ChatError(ErrorCode.FILE_TOO_LARGE, `${describeAttachment(attachment)} is too large to draw here: :save it`);
    const key = Buffer.from(attachment.key, 'base64');
    const chunks = chunkCount(attachment.size);
    const parts: Buffer[] = [];
    for (const [index, sealed] of readSealedChunks(this.shelf.sealedPath(attachment.id), chunks, attachment.size))
      parts.push(openChunk(key, attachment.id, index, chunks, sealed));
    return Buffer.concat(parts);
  }

  /** Writes the plaintext of a received file (see save-path.ts for where it may go). Returns the path. */
  save(id: string, target: string | undefined, overwrite: boolean): string {
    const file = this.lookup(id);
    const { attachment } = file;
    if (file.state === 'refused') throw new ChatError(ErrorCode.FILE_INVALID, file.reason ?? 'that file was refused');
    if (file.state !== 'complete') throw new ChatError(ErrorCode.FILE_NOT_FOUND, `${describeAttachment(attachment)} is still on its way`);
    const path = savePath(attachment.name, target, overwrite);
    const key = Buffer.from(attachment.key, 'base64');
    const chunks = chunkCount(attachment.size);
    writeFileAtomically(
      path,
      (fd) => {
        for (const [index, sealed] of readSealedChunks(this.shelf.sealedPath(attachment.id), chunks, attachment.size)) {
          writeSync(fd, openChunk(key, attachment.id, index, chunks, sealed));
        }
      },
      // Checked again at the last moment: nothing may have appeared there meanwhile unless allowed.
      () => savePath(attachment.name, target, overwrite),
    );
    file.savedTo = path;
    this.shelf.save();
    this.emit('saved', { id: attachment.id, path });
    return path;
  }
}
