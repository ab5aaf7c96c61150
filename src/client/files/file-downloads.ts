// Receiving files (core/file-messages.ts says the protocol, file-cipher.ts the encryption): every
// file a message brings is fetched at once (so one sent to someone away arrives when they are
// back, and one still being uploaded arrives as it goes), each chunk checked as it comes and kept
// sealed; the whole is checked against the size and hash its sender gave, or refused naming them.
// A download cut off goes on from the chunks here.
import { createHash } from 'node:crypto';
import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { FileChunk } from '../../core/file-codec.js';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES } from '../../core/file-messages.js';
import { type FileAttachment, describeAttachment } from './attachment.js';
import { chunkCount, openChunk } from './file-cipher.js';
import type { FileShelf, ReceivedFile } from './file-shelf.js';
import { type FileEventSink, type FileTransferParts, ProgressPacer } from './file-transfer-parts.js';

interface Download {
  readonly file: ReceivedFile;
  /** The running hash of what has been checked, and the next chunk wanted. */
  readonly hash: ReturnType<typeof createHash>;
  next: number;
  readonly progress: ProgressPacer;
  fd?: number;
}

export class FileDownloads {
  private readonly downloads = new Map<string, Download>();

  constructor(
    private readonly parts: FileTransferParts,
    private readonly shelf: FileShelf,
    private readonly events: FileEventSink,
  ) {}

  /** A message brought a file: kept, and fetched. */
  received(messageId: string, from: string, to: string | null, attachment: FileAttachment): void {
    if (this.parts.isSelf(from) || this.shelf.received.some((file) => file.attachment.id === attachment.id)) return;
    const file: ReceivedFile = { attachment, from, to, messageId, receivedAt: Date.now(), state: 'downloading' };
    this.shelf.received.push(file);
    this.shelf.save();
    this.fetch(file);
  }

  /** Connected again: downloads go on from the chunks here. */
  resume(): void {
    for (const file of this.shelf.received) if (file.state === 'downloading') this.fetch(file);
  }

  onChunk(chunk: FileChunk): void {
    // Per chunk: the download knows its file (no search of everything received).
    const download = this.downloads.get(chunk.file);
    const file = download?.file;
    if (file === undefined || download === undefined || file.state !== 'downloading') return;
    const { attachment } = file;
    const chunks = chunkCount(attachment.size);
    try {
      if (chunk.index !== download.next || chunk.index >= chunks) throw new ChatError(ErrorCode.FILE_INVALID, `chunk ${chunk.index} came out of place`);
      download.hash.update(openChunk(Buffer.from(attachment.key, 'base64'), attachment.id, chunk.index, chunks, chunk.data));
    } catch (error) {
      return this.refuse(file, `${describeAttachment(attachment)} from ${file.from} is refused: ${(error as Error).message}`);
    }
    download.fd ??= openSync(this.shelf.sealedPath(attachment.id), 'a', 0o600);
    writeSync(download.fd, chunk.data);
    download.next++;
    const bytes = Math.min(attachment.size, download.next * FILE_CHUNK_BYTES);
    if (download.progress.due(bytes, download.next === chunks)) {
      this.events.emit('file-progress', { id: attachment.id, name: attachment.name, direction: 'down', bytes, size: attachment.size });
    }
    if (download.next === chunks) this.finish(file, download.hash.digest('hex'));
  }

  /** The server refused something about file `ref`: true when it was one being fetched. */
  onServerError(ref: string, code: string, message: string): boolean {
    const file = this.shelf.received.find((entry) => entry.attachment.id === ref);
    if (file === undefined || file.state !== 'downloading') return false;
    this.refuse(file, `${describeAttachment(file.attachment)} from ${file.from} cannot be fetched: ${message}`, code);
    return true;
  }

  disconnected(): void {
    for (const id of [...this.downloads.keys()]) this.end(id);
  }

  private end(id: string): void {
    const fd = this.downloads.get(id)?.fd;
    this.downloads.delete(id);
    if (fd !== undefined) closeSync(fd);
  }

  private fetch(file: ReceivedFile): void {
    if (!this.parts.isReady() || this.downloads.has(file.attachment.id)) return;
    const { attachment } = file;
    const key = Buffer.from(attachment.key, 'base64');
    const chunks = chunkCount(attachment.size);
    // What is here already was checked as it came; its hash is made again from it (a hash's
    // state cannot be kept), one chunk at a time.
    const here = Math.min(this.shelf.chunksHere(attachment.id), chunks);
    const hash = createHash('sha256');
    try {
      for (const [index, sealed] of readSealedChunks(this.shelf.sealedPath(attachment.id), here, attachment.size))
        hash.update(openChunk(key, attachment.id, index, chunks, sealed));
    } catch (error) {
      return this.refuse(file, `${describeAttachment(attachment)} from ${file.from}: what was kept of it does not check out (${(error as Error).message})`);
    }
    if (here === chunks) return this.finish(file, hash.digest('hex'));
    this.downloads.set(attachment.id, { file, hash, next: here, progress: new ProgressPacer() });
    this.parts.send({ type: 'file-get', file: attachment.id, from: here }).catch(() => this.end(attachment.id));
  }

  private finish(file: ReceivedFile, sha256: string): void {
    const { attachment } = file;
    this.end(attachment.id);
    if (sha256 !== attachment.sha256) {
      return this.refuse(file, `${describeAttachment(attachment)} from ${file.from} is refused: it is not the file ${file.from} described (its hash differs)`);
    }
    file.state = 'complete';
    this.shelf.save();
    this.parts.send({ type: 'file-done', file: attachment.id }).catch(() => {});
    this.events.emit('file', {
      id: attachment.id,
      name: attachment.name,
      size: attachment.size,
      sha256,
      from: file.from,
      to: file.to,
      picture: attachment.picture === true,
    });
  }

  private refuse(file: ReceivedFile, reason: string, code: string = ErrorCode.FILE_INVALID): void {
    this.end(file.attachment.id);
    file.state = 'refused';
    file.reason = reason;
    this.shelf.dropSealed(file.attachment.id);
    this.shelf.save();
    this.events.emit('error', { code, message: reason, fatal: false, ref: file.attachment.id, peer: file.from });
  }
}

/** The sealed chunks of a kept file, read one at a time. */
export function* readSealedChunks(path: string, count: number, size: number): Generator<[number, Buffer]> {
  if (count === 0) return;
  const fd = openSync(path, 'r');
  try {
    for (let index = 0; index < count; index++) {
      const plain = Math.min(FILE_CHUNK_BYTES, size - index * FILE_CHUNK_BYTES);
      const sealed = Buffer.allocUnsafe(Math.max(0, plain) + FILE_CHUNK_TAG_BYTES);
      readSync(fd, sealed, 0, sealed.length, index * (FILE_CHUNK_BYTES + FILE_CHUNK_TAG_BYTES));
      yield [index, sealed];
    }
  } finally {
    closeSync(fd);
  }
}
