// Sending files (core/file-messages.ts says the protocol, file-cipher.ts the encryption): the file
// is offered while a worker thread hashes it (file-hash-worker.ts, so the terminal never waits);
// once the server has accepted it and the hash is known, the end-to-end message that carries its
// key and hash goes out, then the chunks, so a recipient online follows the upload as it goes
// rather than waiting for the whole to be stored (the server streams the chunks through). Chunks go at
// the pace the socket drains, from where the server is: an upload cut off (a reconnect, a
// restart) goes on from the chunks the server has. An upload that cannot go on after its message
// went (the file changed, the server refused it) is withdrawn, so its recipients are told.
import { closeSync, openSync, readSync, statSync, type Stats } from 'node:fs';
import { basename } from 'node:path';
import { Worker } from 'node:worker_threads';
import { ChatError, ErrorCode } from '../../core/errors.js';
import { FILE_CHUNK_BYTES, type FileNews } from '../../core/file-messages.js';
import { type FileAttachment, describeAttachment } from './attachment.js';
import { chunkCount, newFileId, newFileKey, sealChunk, sealedSize } from './file-cipher.js';
import type { FileShelf, PendingUpload } from './file-shelf.js';
import { type FileEventSink, type FileTransferParts, ProgressPacer } from './file-transfer-parts.js';

interface Pending<T> {
  readonly resolve: (value: T) => void;
  readonly reject: (error: ChatError) => void;
}

export class FileUploads {
  /** Uploads waiting for the server's word: file-accepted (how many chunks it has), file-stored. */
  private readonly accepted = new Map<string, Pending<number>>();
  private readonly stored = new Map<string, Pending<void>>();
  private uploading: Promise<void> = Promise.resolve();

  constructor(
    private readonly parts: FileTransferParts,
    private readonly shelf: FileShelf,
    private readonly events: FileEventSink,
  ) {}

  /** Sends the file at `path` to a user or a '#room'. Resolves with its id once it is queued. */
  send(to: string, path: string): string {
    if (!this.parts.isReady()) throw new ChatError(ErrorCode.NOT_CONNECTED, 'not connected: a file goes when you are');
    const info = statOrFail(path);
    if (!info.isFile()) throw new ChatError(ErrorCode.FILE_INVALID, `${path} is not a plain file (a folder, device or pipe): not sent`);
    const attachment: FileAttachment = {
      id: newFileId(),
      name: basename(path).slice(-200),
      size: info.size,
      // Filled in by the upload's first pass over the file, before its message goes.
      sha256: '',
      key: newFileKey().toString('base64'),
      ...(isPicture(readHead(path)) ? { picture: true } : {}),
    };
    const upload: PendingUpload = { attachment, to, path, mtimeMs: info.mtimeMs, stored: false, announced: false };
    this.shelf.uploads.push(upload);
    this.shelf.save();
    this.queue(upload);
    return attachment.id;
  }

  /** Resolves once the uploads queued so far have finished, failed, or been cut off (to be resumed). */
  settled(): Promise<void> {
    return this.uploading;
  }

  /** Connected again: uploads go on from where the server is. */
  resume(): void {
    for (const upload of this.shelf.uploads) this.queue(upload);
  }

  onNews(news: FileNews): void {
    if (news.type === 'file-accepted') take(this.accepted, news.file)?.resolve(news.have);
    else take(this.stored, news.file)?.resolve();
  }

  /** The server refused something about upload `ref`: true when it was ours. */
  onServerError(ref: string, code: string, message: string): boolean {
    if (!this.accepted.has(ref) && !this.stored.has(ref)) return false;
    this.fail(ref, new ChatError(code as ChatError['code'], message));
    return true;
  }

  /** The link went down: what was waiting on the server will be asked again. */
  disconnected(): void {
    for (const id of new Set([...this.accepted.keys(), ...this.stored.keys()])) this.fail(id, new ChatError(ErrorCode.NOT_CONNECTED, 'the connection closed'));
  }

  private queue(upload: PendingUpload): void {
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
        // The hash travels in the message: made on another thread while the offer is answered.
        const hashed = upload.attachment.sha256 === '' ? hashOffThread(upload.path) : Promise.resolve(upload.attachment.sha256);
        hashed.catch(() => {});
        const chunks = chunkCount(attachment.size);
        // Both answers are awaited from before the offer: they may come in one read.
        const accepted = new Promise<number>((resolve, reject) => this.accepted.set(attachment.id, { resolve, reject }));
        const stored = new Promise<void>((resolve, reject) => this.stored.set(attachment.id, { resolve, reject }));
        stored.catch(() => {});
        await this.parts.send({ type: 'file-offer', file: attachment.id, to: upload.to, bytes: sealedSize(attachment.size), chunks });
        // The message goes before the first chunk: anything sent after chunks waits behind them on
        // the wire (and behind the server's file flood control). The hash is made meanwhile.
        const [have, sha256] = await Promise.all([accepted, hashed]);
        upload.attachment = { ...upload.attachment, sha256 };
        // The server holds the file's place now: recipients may fetch it while it comes.
        this.announce(upload);
        await this.uploadChunks(upload, have, chunks);
        await stored;
        upload.stored = true;
        this.shelf.save();
      }
      this.announce(upload);
      this.shelf.uploads.splice(this.shelf.uploads.indexOf(upload), 1);
      this.shelf.save();
      this.events.emit('file-sent', { id: attachment.id, name: attachment.name, size: attachment.size, to: upload.to });
    } catch (error) {
      this.fail(attachment.id, asChatError(error));
      if (!(error instanceof ChatError)) throw error;
      // Cut off: it goes on when connected again. Refused: it is dropped, and the user told.
      if (error.code === ErrorCode.NOT_CONNECTED) return;
      this.shelf.uploads.splice(this.shelf.uploads.indexOf(upload), 1);
      this.shelf.save();
      // The server drops what it has of it (freeing the share), and tells whoever follows it.
      this.parts.send({ type: 'file-withdraw', file: attachment.id }).catch(() => {});
      const told = upload.announced ? ` (withdrawn: ${upload.to} is told)` : '';
      this.events.emit('error', {
        code: error.code,
        message: `${describeAttachment(attachment)} was not sent: ${error.message}${told}`,
        fatal: false,
        ref: attachment.id,
      });
    }
  }

  /** Sends the end-to-end message that carries the file, once. */
  private announce(upload: PendingUpload): void {
    if (upload.announced) return;
    this.parts.announce(upload.to, `sent a file: ${describeAttachment(upload.attachment)}`, upload.attachment);
    upload.announced = true;
    this.shelf.save();
  }

  /** Sends chunks `from` on (those before are on the server already). */
  private async uploadChunks(upload: PendingUpload, from: number, chunks: number): Promise<void> {
    const { attachment } = upload;
    const key = Buffer.from(attachment.key, 'base64');
    const fd = openSync(upload.path, 'r');
    try {
      const progress = new ProgressPacer();
      for (let index = from; index < chunks; index++) {
        const start = index * FILE_CHUNK_BYTES;
        const plaintext = Buffer.allocUnsafe(Math.min(FILE_CHUNK_BYTES, attachment.size - start));
        readSync(fd, plaintext, 0, plaintext.length, start);
        await this.parts.send({ file: attachment.id, index, data: sealChunk(key, attachment.id, index, chunks, plaintext) });
        const done = Math.min(attachment.size, start + plaintext.length);
        if (progress.due(done, index === chunks - 1)) {
          this.events.emit('file-progress', { id: attachment.id, name: attachment.name, direction: 'up', bytes: done, size: attachment.size });
        }
      }
    } finally {
      closeSync(fd);
    }
  }

  private fail(id: string, error: ChatError): void {
    take(this.accepted, id)?.reject(error);
    take(this.stored, id)?.reject(error);
  }
}

/** The SHA-256 of a file, hex, made on a worker thread (neither the terminal nor the upload waits for it). */
function hashOffThread(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const worker = new Worker(new URL('./file-hash-worker.js', import.meta.url), { workerData: { path } });
    const failed = (why: string) => reject(new ChatError(ErrorCode.FILE_INVALID, `${path} could not be read to the end: ${why}`));
    worker.once('message', (sha256: string) => resolve(sha256));
    worker.once('error', (error) => failed(error.message));
    worker.once('exit', (code) => failed(`the hashing thread ended (${code})`));
  });
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
