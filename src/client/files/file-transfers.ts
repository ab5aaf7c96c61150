// Sending and receiving files (core/file-messages.ts says the protocol, file-cipher.ts the
// encryption). Sending: offer the file, upload its chunks from where the server is (hashing them
// as they go), at the pace the socket drains, then send the end-to-end message that carries its
// key and hash; an upload cut off
// (a reconnect, a restart) goes on from the chunks the server has. Receiving: every file a message
// brings is fetched at once (so one sent to someone away arrives when they are back), each chunk
// checked as it comes and kept sealed; the whole is checked against the size and hash its sender
// gave, or refused naming them. `:save` then writes the plaintext where save-path.ts allows.
import { createHash } from 'node:crypto';
import { type Stats, closeSync, fsyncSync, openSync, readSync, renameSync, statSync, writeSync } from 'node:fs';
import { basename } from 'node:path';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { FileChunk } from '../../core/file-codec.js';
import { FILE_CHUNK_BYTES, FILE_CHUNK_TAG_BYTES, type FileNews, type FileRequest } from '../../core/file-messages.js';
import { TypedEmitter } from '../../core/typed-emitter.js';
import { type FileAttachment, describeAttachment } from './attachment.js';
import { chunkCount, newFileId, newFileKey, openChunk, sealChunk, sealedSize } from './file-cipher.js';
import type { FileShelf, PendingUpload, ReceivedFile } from './file-shelf.js';
import { savePath } from './save-path.js';

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
  /** Ours is on the server and its message sent. */
  'file-sent': { readonly id: string; readonly name: string; readonly size: number; readonly to: string };
  saved: { readonly id: string; readonly path: string };
  error: { readonly code: string; readonly message: string; readonly fatal: false; readonly ref?: string; readonly peer?: string };
}

export interface FileTransferParts {
  isReady(): boolean;
  /** Writes a file message or chunk; resolves when the link can take more. */
  send(message: FileRequest | FileChunk): Promise<void>;
  /** Sends the end-to-end message that carries the file, its text for clients that cannot fetch it. */
  announce(to: string, text: string, file: FileAttachment): void;
  isSelf(name: string): boolean;
}

/** Progress is said at most this often per file (and at the end). */
const PROGRESS_EVERY_BYTES = 1024 * 1024;

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: ChatError) => void;
}

export class FileTransfers extends TypedEmitter<FileEvents> {
  /** Uploads waiting for the server's word: file-accepted (how many chunks it has), file-stored. */
  private readonly accepted = new Map<string, Pending<number>>();
  private readonly stored = new Map<string, Pending<void>>();
  /** Downloads under way: the running hash of what has been checked, and the next chunk wanted. */
  private readonly downloads = new Map<
    string,
    { readonly file: ReceivedFile; hash: ReturnType<typeof createHash>; next: number; lastSaid: number; fd?: number }
  >();
  private uploading: Promise<void> = Promise.resolve();

  constructor(
    private readonly parts: FileTransferParts,
    readonly shelf: FileShelf,
  ) {
    super();
  }

  // ---- sending ---------------------------------------------------------------------------------

  /** Sends the file at `path` to a user or a '#room'. Resolves with its id once it is queued. */
  async send(to: string, path: string): Promise<string> {
    if (!this.parts.isReady()) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected: a file goes when you are');
    const info = statOrFail(path);
    if (!info.isFile()) throw new ChatError(ErrorCode.FILE_INVALID, `${path} is not a plain file (a folder, device or pipe): not sent`);
    const attachment: FileAttachment = {
      id: newFileId(),
      name: basename(path).slice(-200),
      size: info.size,
      // Hashed as it is uploaded: the hash goes only in the message sent once the file is stored.
      sha256: '',
      key: newFileKey().toString('base64'),
      ...(isPicture(readHead(path)) ? { picture: true } : {}),
    };
    const upload: PendingUpload = { attachment, to, path, mtimeMs: info.mtimeMs, stored: false };
    this.shelf.uploads.push(upload);
    this.shelf.save();
    this.queueUpload(upload);
    return attachment.id;
  }

  /** Resolves once the uploads queued so far have finished, failed, or been cut off (to be resumed). */
  settled(): Promise<void> {
    return this.uploading;
  }

  /** Connected again: uploads go on from where the server is, downloads from the chunks here. */
  resume(): void {
    for (const upload of this.shelf.uploads) this.queueUpload(upload);
    for (const file of this.shelf.received) if (file.state === 'downloading') this.fetch(file);
  }

  onNews(news: FileNews): void {
    if (news.type === 'file-accepted') take(this.accepted, news.file)?.resolve(news.have);
    else take(this.stored, news.file)?.resolve();
  }

  /** The server refused something about file `ref`. */
  onServerError(ref: string, code: string, message: string): boolean {
    if (this.accepted.has(ref) || this.stored.has(ref)) {
      this.fail(ref, new ChatError(code as ChatError['code'], message));
      return true;
    }
    const file = this.shelf.received.find((entry) => entry.attachment.id === ref);
    if (file === undefined || file.state !== 'downloading') return false;
    this.refuse(file, `${describeAttachment(file.attachment)} from ${file.from} cannot be fetched: ${message}`, code);
    return true;
  }

  private queueUpload(upload: PendingUpload): void {
    this.uploading = this.uploading.then(() => this.upload(upload)).catch(() => {});
  }

  private async upload(upload: PendingUpload): Promise<void> {
    if (!this.shelf.uploads.includes(upload) || !this.parts.isReady()) return;
    const { attachment } = upload;
    try {
      if (!upload.stored) {
        const info = statOrFail(upload.path);
        if (info.size !== attachment.size || info.mtimeMs !== upload.mtimeMs) {
          throw new ChatError(ErrorCode.FILE_INVALID, `${upload.path} changed since it was sent: not resumed (send it again)`);
        }
        const chunks = chunkCount(attachment.size);
        // Both answers are awaited from before the offer: they may come in one read.
        const accepted = new Promise<number>((resolve, reject) => this.accepted.set(attachment.id, { resolve, reject }));
        const stored = new Promise<void>((resolve, reject) => this.stored.set(attachment.id, { resolve, reject }));
        stored.catch(() => {});
        await this.parts.send({ type: 'file-offer', file: attachment.id, to: upload.to, bytes: sealedSize(attachment.size), chunks });
        const sha256 = await this.uploadChunks(upload, await accepted, chunks);
        await stored;
        upload.attachment = { ...upload.attachment, sha256 };
        upload.stored = true;
        this.shelf.save();
      }
      this.parts.announce(upload.to, `sent a file: ${describeAttachment(attachment)}`, upload.attachment);
      this.shelf.uploads.splice(this.shelf.uploads.indexOf(upload), 1);
      this.shelf.save();
      this.emit('file-sent', { id: attachment.id, name: attachment.name, size: attachment.size, to: upload.to });
    } catch (error) {
      this.fail(attachment.id, asChatError(error));
      if (!(error instanceof ChatError)) throw error;
      // Cut off: it goes on when connected again. Refused: it is dropped, and the user told.
      if (error.code === ErrorCode.NOT_CONNECTED) return;
      this.shelf.uploads.splice(this.shelf.uploads.indexOf(upload), 1);
      this.shelf.save();
      this.emit('error', { code: error.code, message: `${describeAttachment(attachment)} was not sent: ${error.message}`, fatal: false, ref: attachment.id });
    }
  }

  /** Sends chunks `from` on (those before are on the server already); returns the whole file's SHA-256. */
  private async uploadChunks(upload: PendingUpload, from: number, chunks: number): Promise<string> {
    const { attachment } = upload;
    const key = Buffer.from(attachment.key, 'base64');
    const hash = createHash('sha256');
    const fd = openSync(upload.path, 'r');
    try {
      let lastSaid = -1;
      for (let index = 0; index < chunks; index++) {
        const start = index * FILE_CHUNK_BYTES;
        const plaintext = Buffer.allocUnsafe(Math.min(FILE_CHUNK_BYTES, attachment.size - start));
        readSync(fd, plaintext, 0, plaintext.length, start);
        hash.update(plaintext);
        if (index < from) continue;
        await this.parts.send({ file: attachment.id, index, data: sealChunk(key, attachment.id, index, chunks, plaintext) });
        const done = Math.min(attachment.size, start + plaintext.length);
        if (done - lastSaid >= PROGRESS_EVERY_BYTES || index === chunks - 1) {
          lastSaid = done;
          this.emit('file-progress', { id: attachment.id, name: attachment.name, direction: 'up', bytes: done, size: attachment.size });
        }
      }
    } finally {
      closeSync(fd);
    }
    return hash.digest('hex');
  }

  private fail(id: string, error: ChatError): void {
    take(this.accepted, id)?.reject(error);
    take(this.stored, id)?.reject(error);
  }

  /** The link went down: what was waiting on the server will be asked again. */
  disconnected(): void {
    for (const id of new Set([...this.accepted.keys(), ...this.stored.keys()])) this.fail(id, new ChatError(ErrorCode.NOT_CONNECTED, 'the connection closed'));
    for (const id of [...this.downloads.keys()]) this.endDownload(id);
  }

  private endDownload(id: string): void {
    const fd = this.downloads.get(id)?.fd;
    this.downloads.delete(id);
    if (fd !== undefined) closeSync(fd);
  }

  // ---- receiving -------------------------------------------------------------------------------

  /** A message brought a file: kept, and fetched. */
  received(messageId: string, from: string, to: string | null, attachment: FileAttachment): void {
    if (this.parts.isSelf(from) || this.shelf.received.some((file) => file.attachment.id === attachment.id)) return;
    const file: ReceivedFile = { attachment, from, to, messageId, receivedAt: Date.now(), state: 'downloading' };
    this.shelf.received.push(file);
    this.shelf.save();
    this.fetch(file);
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
    if (bytes - download.lastSaid >= PROGRESS_EVERY_BYTES || download.next === chunks) {
      download.lastSaid = bytes;
      this.emit('file-progress', { id: attachment.id, name: attachment.name, direction: 'down', bytes, size: attachment.size });
    }
    if (download.next === chunks) this.finish(file, download.hash.digest('hex'));
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
    this.downloads.set(attachment.id, { file, hash, next: here, lastSaid: -1 });
    this.parts.send({ type: 'file-get', file: attachment.id, from: here }).catch(() => this.endDownload(attachment.id));
  }

  private finish(file: ReceivedFile, sha256: string): void {
    const { attachment } = file;
    this.endDownload(attachment.id);
    if (sha256 !== attachment.sha256) {
      return this.refuse(file, `${describeAttachment(attachment)} from ${file.from} is refused: it is not the file ${file.from} described (its hash differs)`);
    }
    file.state = 'complete';
    this.shelf.save();
    this.parts.send({ type: 'file-done', file: attachment.id }).catch(() => {});
    this.emit('file', {
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
    this.endDownload(file.attachment.id);
    file.state = 'refused';
    file.reason = reason;
    this.shelf.dropSealed(file.attachment.id);
    this.shelf.save();
    this.emit('error', { code, message: reason, fatal: false, ref: file.attachment.id, peer: file.from });
  }

  // ---- saving ----------------------------------------------------------------------------------

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
    const temporary = `${path}.part-${process.pid}`;
    const fd = openSync(temporary, 'wx', 0o600);
    try {
      const key = Buffer.from(attachment.key, 'base64');
      const chunks = chunkCount(attachment.size);
      for (const [index, sealed] of readSealedChunks(this.shelf.sealedPath(attachment.id), chunks, attachment.size)) {
        writeSync(fd, openChunk(key, attachment.id, index, chunks, sealed));
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    // Checked again at the last moment: nothing may have appeared there meanwhile unless allowed.
    savePath(attachment.name, target, overwrite);
    renameSync(temporary, path);
    file.savedTo = path;
    this.shelf.save();
    this.emit('saved', { id: attachment.id, path });
    return path;
  }
}

/** The sealed chunks of a kept file, read one at a time. */
function* readSealedChunks(path: string, count: number, size: number): Generator<[number, Buffer]> {
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

/** The first bytes of a file (enough to tell a picture). */
function readHead(path: string): Buffer {
  const head = Buffer.alloc(16);
  const fd = openSync(path, 'r');
  try {
    return head.subarray(0, readSync(fd, head, 0, head.length, 0));
  } finally {
    closeSync(fd);
  }
}

/** PNG, JPEG, GIF or WebP, by their first bytes. */
export function isPicture(head: Buffer): boolean {
  return (
    head.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) ||
    (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
    head.subarray(0, 4).toString('latin1') === 'GIF8' ||
    (head.subarray(0, 4).toString('latin1') === 'RIFF' && head.subarray(8, 12).toString('latin1') === 'WEBP')
  );
}

function statOrFail(path: string): Stats {
  try {
    return statSync(path);
  } catch {
    throw new ChatError(ErrorCode.FILE_INVALID, `${path}: no such file`);
  }
}

function asChatError(error: unknown): ChatError {
  return error instanceof ChatError ? error : new ChatError(ErrorCode.NOT_CONNECTED, error instanceof Error ? error.message : 'the connection closed');
}

function take<T>(map: Map<string, T>, id: string): T | undefined {
  const found = map.get(id);
  map.delete(id);
  return found;
}
