// Files on the server (core/file-messages.ts says the protocol): takes uploads chunk by chunk into
// the FileStore, within the sender's shares, and serves downloads a chunk at a time as the
// recipient's socket drains. A file to a room is stored once, whatever the number of members; the
// server keeps it until everyone it was for has said file-done, or until it expires (the
// retention time of stored messages). It never sees a key, a name or a byte of plaintext.
import { ChatError, ErrorCode } from '../../core/errors.js';
import { encodeFrame } from '../../core/frame-encoder.js';
import { FrameType } from '../../core/frame-types.js';
import type { Logger } from '../../core/logger.js';
import { FILE_CHUNK_TAG_BYTES, type FileDoneMessage, type FileGetMessage, type FileOfferMessage, type FileRequest } from '../../core/file-messages.js';
import { type FileChunk, encodeFileChunk } from '../../core/file-codec.js';
import { nameKey } from '../../core/names.js';
import type { ServerLimits } from '../server-limits.js';
import type { FileBackend } from './file-backend.js';
import { STORED_CHUNK_BYTES, type StoredFile } from './file-store.js';

/** What the service needs of a connection. */
export interface FileConnection {
  readonly isOpen: boolean;
  readonly ipAddress: string;
  readonly peer: { readonly name: string } | undefined;
  readonly pendingBytes: number;
  send(message: { type: 'file-accepted'; file: string; have: number } | { type: 'file-stored'; file: string }): unknown;
  sendFrame(frame: Buffer): boolean;
  /** Calls back once the socket has drained what it holds. */
  whenDrained(callback: () => void): void;
}

export interface FileServiceHost {
  readonly logger: Logger;
  /** Name keys of whom a file from `sender` to `to` (a user or '#room') is for; throws ChatError when there is nobody. */
  recipientsOf(sender: string, to: string): string[];
  /** A hash of the address (the same as the message store's), for the address's share. */
  originOf(address: string): string;
  /** Registered within --newcomer-hours: a small share. */
  isNewcomer(name: string): boolean;
}

/** A download waits for the socket below this many queued bytes before sending the next chunk. */
const DOWNLOAD_HIGH_WATER_BYTES = 1024 * 1024;

export class FileService {
  /** Downloads in progress, per connection, in the order asked. */
  private readonly downloads = new Map<FileConnection, Array<{ record: StoredFile; next: number }>>();
  /** Uploads under way: the next chunk expected, and the writes in flight (stored in order, one after another). */
  private readonly uploads = new Map<string, { readonly record: StoredFile; next: number; writing: Promise<void> }>();

  constructor(
    private readonly store: FileBackend,
    private limits: ServerLimits,
    private readonly host: FileServiceHost,
  ) {}

  reconfigure(limits: ServerLimits): void {
    this.limits = limits;
  }

  /** Files kept now, and their bytes (for metrics and specs). */
  get stats(): { readonly files: number; readonly bytes: number } {
    const known = [...this.store.known()];
    return { files: known.length, bytes: known.reduce((sum, record) => sum + Math.min(record.bytes, record.have * STORED_CHUNK_BYTES), 0) };
  }

  /** A file request from a member (file-offer, file-get, file-done). */
  handle(connection: FileConnection, message: FileRequest): Promise<void> {
    if (message.type === 'file-offer') return this.offer(connection, message);
    if (message.type === 'file-get') return this.get(connection, message);
    return this.done(connection, message);
  }

  async offer(connection: FileConnection, offer: FileOfferMessage): Promise<void> {
    const sender = senderOf(connection);
    const known = await this.store.find(offer.file);
    if (known !== undefined) {
      // The same upload again (a reconnect, a client restart): it resumes where the server is.
      if (known.sender !== nameKey(sender) || known.bytes !== offer.bytes || known.chunks !== offer.chunks) {
        throw new ChatError(ErrorCode.FILE_INVALID, 'that file id is taken: make another');
      }
      await this.uploads.get(known.id)?.writing;
      this.uploads.set(known.id, { record: known, next: known.have, writing: Promise.resolve() });
      connection.send({ type: 'file-accepted', file: offer.file, have: known.have });
      if (known.have === known.chunks) connection.send({ type: 'file-stored', file: offer.file });
      return;
    }
    checkShape(offer);
    const plaintext = offer.bytes - offer.chunks * FILE_CHUNK_TAG_BYTES;
    if (plaintext > this.limits.maxFileBytes) {
      throw new ChatError(ErrorCode.FILE_TOO_LARGE, `files are at most ${mib(this.limits.maxFileBytes)} on this server (--max-file-bytes)`);
    }
    const origin = this.host.originOf(connection.ipAddress);
    this.checkShares(sender, origin, offer.bytes);
    const waitingFor = this.host.recipientsOf(sender, offer.to);
    const record: StoredFile = {
      id: offer.file,
      sender: nameKey(sender),
      origin,
      waitingFor,
      bytes: offer.bytes,
      chunks: offer.chunks,
      have: 0,
      expiresAt: Date.now() + this.limits.retentionMs,
    };
    await this.store.create(record).catch((cause: unknown) => {
      throw new ChatError(ErrorCode.STORE_FAILED, 'the server could not keep the file: try again later', { cause });
    });
    this.uploads.set(offer.file, { record, next: 0, writing: Promise.resolve() });
    this.host.logger.log('info', 'file.offered', { bytes: offer.bytes, recipients: waitingFor.length });
    connection.send({ type: 'file-accepted', file: offer.file, have: 0 });
  }

  /**
   * One uploaded chunk: the next one, of its sender, of the right size. Chunks are checked as they
   * come and stored one after another (a cluster's bucket answers later than a disk).
   */
  async chunk(connection: FileConnection, chunk: FileChunk): Promise<void> {
    const upload = this.uploads.get(chunk.file);
    const record = upload?.record;
    if (upload === undefined || record === undefined || record.sender !== nameKey(senderOf(connection))) {
      throw new ChatError(ErrorCode.FILE_NOT_FOUND, 'no upload of yours has that id: offer it first');
    }
    if (chunk.index !== upload.next) throw new ChatError(ErrorCode.FILE_INVALID, `chunk ${chunk.index} out of order: the server expects ${upload.next}`);
    if (chunk.data.length !== chunkLength(record, chunk.index)) {
      throw new ChatError(
        ErrorCode.FILE_INVALID,
        `chunk ${chunk.index} is ${chunk.data.length} bytes, not the ${chunkLength(record, chunk.index)} the offer said`,
      );
    }
    upload.next++;
    upload.writing = upload.writing.then(() => this.store.append(record, chunk.data));
    await upload.writing.catch((cause: unknown) => {
      // A disk or a bucket that failed: the upload stops here; offering it again resumes it.
      this.uploads.delete(record.id);
      throw new ChatError(ErrorCode.STORE_FAILED, `the server could not keep chunk ${chunk.index}: offer the file again to go on`, { cause });
    });
    if (chunk.index === record.chunks - 1) {
      this.uploads.delete(record.id);
      this.host.logger.log('info', 'file.stored', { bytes: record.bytes });
      connection.send({ type: 'file-stored', file: record.id });
    }
  }

  /** Sends the file's chunks from `from` on, as the connection drains. Anyone who knows the id may: it is the capability, the key is elsewhere. */
  async get(connection: FileConnection, request: FileGetMessage): Promise<void> {
    const record = await this.store.find(request.file);
    if (record === undefined || record.have < record.chunks)
      throw new ChatError(ErrorCode.FILE_NOT_FOUND, 'no such file here (it expired, or everyone it was for has it)');
    if (request.from >= record.chunks) return;
    const queue = this.downloads.get(connection);
    if (queue !== undefined) {
      queue.push({ record, next: request.from });
      return;
    }
    this.downloads.set(connection, [{ record, next: request.from }]);
    await this.pump(connection);
  }

  async done(connection: FileConnection, message: FileDoneMessage): Promise<void> {
    const record = await this.store.find(message.file);
    if (record === undefined || record.have < record.chunks) return;
    if (await this.store.fetched(record, nameKey(senderOf(connection)))) this.host.logger.log('info', 'file.fetched', { bytes: record.bytes });
  }

  closed(connection: FileConnection): void {
    this.downloads.delete(connection);
  }

  /** Drops files past their time. */
  async sweep(now = Date.now()): Promise<number> {
    let dropped = 0;
    for (const record of [...this.store.known()]) {
      if (record.expiresAt > now) continue;
      this.uploads.delete(record.id);
      await this.store.remove(record.id);
      dropped++;
    }
    return dropped;
  }

  private async pump(connection: FileConnection): Promise<void> {
    const queue = this.downloads.get(connection);
    while (queue !== undefined && queue.length > 0) {
      if (!connection.isOpen) {
        this.downloads.delete(connection);
        return;
      }
      if (connection.pendingBytes > DOWNLOAD_HIGH_WATER_BYTES) {
        connection.whenDrained(() => void this.pump(connection).catch(() => this.downloads.delete(connection)));
        return;
      }
      const current = queue[0]!;
      if (current.next >= current.record.chunks) {
        queue.shift();
        continue;
      }
      const data = await this.store.readChunk(current.record, current.next);
      connection.sendFrame(encodeFrame(FrameType.FILE, encodeFileChunk({ file: current.record.id, index: current.next, data })));
      current.next++;
    }
    this.downloads.delete(connection);
  }

  private checkShares(sender: string, origin: string, bytes: number): void {
    let bySender = 0;
    let byOrigin = 0;
    let total = 0;
    for (const record of this.store.known()) {
      total += record.bytes;
      if (record.sender === nameKey(sender)) bySender += record.bytes;
      if (record.origin === origin) byOrigin += record.bytes;
    }
    const senderShare = this.host.isNewcomer(sender) ? this.limits.maxFileStoreBytesPerNewcomer : this.limits.maxFileStoreBytesPerSender;
    const full = (what: string, limit: number) =>
      new ChatError(ErrorCode.FILE_TOO_LARGE, `${what} ${mib(limit)} of files on this server until they are fetched; this one does not fit`);
    if (bySender + bytes > senderShare) throw full('you may keep', senderShare);
    if (byOrigin + bytes > this.limits.maxFileStoreBytesPerAddress) throw full('your address may keep', this.limits.maxFileStoreBytesPerAddress);
    if (total + bytes > this.limits.maxFileStoreBytes) throw full('the server keeps at most', this.limits.maxFileStoreBytes);
  }
}

/** The size chunk `index` must have: whole chunks, the rest in the last. */
function chunkLength(record: StoredFile, index: number): number {
  return index < record.chunks - 1 ? STORED_CHUNK_BYTES : record.bytes - (record.chunks - 1) * STORED_CHUNK_BYTES;
}

/** Chunks and bytes that agree: whole chunks but the last, which holds at least one byte. */
function checkShape(offer: FileOfferMessage): void {
  const last = offer.bytes - (offer.chunks - 1) * STORED_CHUNK_BYTES;
  if (offer.chunks < 1 || last <= FILE_CHUNK_TAG_BYTES || last > STORED_CHUNK_BYTES) {
    throw new ChatError(ErrorCode.FILE_INVALID, `${offer.bytes} bytes cannot be ${offer.chunks} chunks`);
  }
}

function senderOf(connection: FileConnection): string {
  const name = connection.peer?.name;
  if (name === undefined) throw new ChatError(ErrorCode.FILE_INVALID, 'join first');
  return name;
}

function mib(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))} MiB`;
}
