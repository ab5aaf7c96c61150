// Files on the server (core/file-messages.ts says the protocol): takes uploads chunk by chunk into
// the FileStore, within the sender's shares, and serves downloads a chunk at a time as the
// recipient's socket drains, following an upload still under way as its chunks come (so a file
// to someone online streams through, rather than waiting for the whole to be stored first). A file
// to a room is stored once, whatever the number of members; the server keeps it until everyone it
// was for has said file-done, until it expires (the retention time of stored messages), or until
// its sender withdraws it. It never sees a key, a name or a byte of plaintext.
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import {
  FILE_CHUNK_TAG_BYTES,
  type FileDoneMessage,
  type FileGetMessage,
  type FileOfferMessage,
  type FileRequest,
  type FileWithdrawMessage,
} from '../../core/file-messages.js';
import { type FileChunk, encodeFileChunkFrameParts } from '../../core/file-codec.js';
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
  /** A frame whole, or in parts written back to back. */
  sendFrame(frame: Buffer | readonly Buffer[]): boolean;
  /** Calls back once the socket has drained what it holds. */
  whenDrained(callback: () => void): void;
  /** Tells the client a request about `ref` failed later (a followed upload withdrawn or expired). */
  reject(error: ChatError, fatal: boolean, ref?: string): void;
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

/** One file a connection is fetching: the record as last known (a cluster's changes on other nodes), and the next chunk. */
interface Download {
  record: StoredFile;
  next: number;
}

export class FileService {
  /** Downloads in progress, per connection: served in turn, a chunk each, those with chunks to send. */
  private readonly downloads = new Map<FileConnection, Download[]>();
  /** Who fetches each file, by id: woken when its upload brings chunks, told when it goes. */
  private readonly followers = new Map<string, Set<FileConnection>>();
  /** Connections whose pump runs now (it awaits a read): a wake-up then has nothing to start. */
  private readonly pumping = new Set<FileConnection>();
  /** Uploads under way: the next chunk expected, and the writes in flight (stored in order, one after another). */
  private readonly uploads = new Map<string, { readonly record: StoredFile; next: number; writing: Promise<void> }>();

  constructor(
    private readonly store: FileBackend,
    private limits: ServerLimits,
    private readonly host: FileServiceHost,
  ) {
    // A cluster's bucket says when another node's upload moved on, or a file went.
    store.onChange?.((id) => void this.wake(id));
  }

  reconfigure(limits: ServerLimits): void {
    this.limits = limits;
  }

  /** Files kept now, and their bytes (for metrics and specs). */
  get stats(): { readonly files: number; readonly bytes: number } {
    const known = [...this.store.known()];
    return { files: known.length, bytes: known.reduce((sum, record) => sum + Math.min(record.bytes, record.have * STORED_CHUNK_BYTES), 0) };
  }

  /** A file request from a member (file-offer, file-get, file-done, file-withdraw). */
  handle(connection: FileConnection, message: FileRequest): Promise<void> {
    if (message.type === 'file-offer') return this.offer(connection, message);
    if (message.type === 'file-get') return this.get(connection, message);
    if (message.type === 'file-withdraw') return this.withdraw(connection, message);
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
    // Followers caught up take this chunk as it is, not read back from the store.
    await this.wake(record.id, record, chunk);
  }

  /**
   * Sends the file's chunks from `from` on, as the connection drains, and, while its upload is
   * under way, as they come. Anyone who knows the id may: it is the capability, the key is elsewhere.
   */
  async get(connection: FileConnection, request: FileGetMessage): Promise<void> {
    const record = await this.store.find(request.file);
    if (record === undefined) throw new ChatError(ErrorCode.FILE_NOT_FOUND, 'no such file here (it expired, was withdrawn, or everyone it was for has it)');
    if (request.from >= record.chunks) return;
    // Asked again (a resumed download) replaces what was asked before.
    const downloads = this.downloads.get(connection) ?? [];
    this.downloads.set(connection, downloads);
    dropDownload(downloads, record.id);
    downloads.push({ record, next: request.from });
    const following = this.followers.get(record.id) ?? new Set<FileConnection>();
    this.followers.set(record.id, following);
    following.add(connection);
    await this.pump(connection);
  }

  async done(connection: FileConnection, message: FileDoneMessage): Promise<void> {
    const record = await this.store.find(message.file);
    if (record === undefined || record.have < record.chunks) return;
    if (await this.store.fetched(record, nameKey(senderOf(connection)))) this.host.logger.log('info', 'file.fetched', { bytes: record.bytes });
  }

  /** Its sender gives an upload up: the file goes, and whoever was fetching it is told. */
  async withdraw(connection: FileConnection, message: FileWithdrawMessage): Promise<void> {
    const record = await this.store.find(message.file);
    if (record === undefined) return;
    if (record.sender !== nameKey(senderOf(connection))) throw new ChatError(ErrorCode.FILE_NOT_FOUND, 'no upload of yours has that id');
    this.uploads.delete(record.id);
    await this.store.remove(record.id);
    this.host.logger.log('info', 'file.withdrawn', { bytes: record.bytes });
    await this.wake(record.id, undefined, undefined, 'its sender withdrew it');
  }

  closed(connection: FileConnection): void {
    for (const download of this.downloads.get(connection) ?? []) this.unfollow(download.record.id, connection);
    this.downloads.delete(connection);
  }

  /** Drops files past their time. */
  async sweep(now = Date.now()): Promise<number> {
    let dropped = 0;
    for (const record of [...this.store.known()]) {
      if (record.expiresAt > now) continue;
      this.uploads.delete(record.id);
      await this.store.remove(record.id);
      await this.wake(record.id, undefined, undefined, 'it expired before its sender finished it');
      dropped++;
    }
    return dropped;
  }

  /**
   * File `id` changed: its upload brought chunks (`record`, this node's own), or another node's
   * record moved on or went (read again). Its followers go on, or are told it is gone.
   */
  private async wake(id: string, record?: StoredFile, fresh?: FileChunk, goneBecause = 'it is gone'): Promise<void> {
    const following = this.followers.get(id);
    if (following === undefined) return;
    const current = record ?? (await this.store.find(id));
    for (const connection of [...following]) {
      const downloads = this.downloads.get(connection) ?? [];
      if (current === undefined) {
        dropDownload(downloads, id);
        this.unfollow(id, connection);
        connection.reject(new ChatError(ErrorCode.FILE_NOT_FOUND, `the file cannot be fetched whole: ${goneBecause}`), false, id);
        continue;
      }
      for (const download of downloads) if (download.record.id === id) download.record = current;
      void this.pump(connection, fresh).catch(() => this.closed(connection));
    }
  }

  private unfollow(id: string, connection: FileConnection): void {
    const following = this.followers.get(id);
    following?.delete(connection);
    if (following?.size === 0) this.followers.delete(id);
  }

  /**
   * Sends one chunk at a time, each time of the next file in turn that has one to send (a file
   * whose upload stalls holds up no other), until the socket is full (then again once it drains)
   * or every file asked for waits for its upload (then again when a chunk comes). `fresh`: a
   * chunk just uploaded, sent from memory to a download that wants it next.
   */
  private async pump(connection: FileConnection, fresh?: FileChunk): Promise<void> {
    if (this.pumping.has(connection)) return;
    this.pumping.add(connection);
    try {
      for (;;) {
        const downloads = this.downloads.get(connection);
        if (downloads === undefined || downloads.length === 0) {
          this.downloads.delete(connection);
          return;
        }
        if (!connection.isOpen) return this.closed(connection);
        if (connection.pendingBytes > DOWNLOAD_HIGH_WATER_BYTES) {
          connection.whenDrained(() => void this.pump(connection).catch(() => this.closed(connection)));
          return;
        }
        const at = downloads.findIndex((download) => download.next < download.record.have);
        if (at < 0) return;
        // Taken out while it is read, put back at the end: files take turns.
        const download = downloads.splice(at, 1)[0]!;
        const data =
          fresh?.file === download.record.id && fresh.index === download.next ? fresh.data : await this.store.readChunk(download.record, download.next);
        // Meanwhile the connection may have closed, the file gone, or the same file been asked again.
        const id = download.record.id;
        if (this.downloads.get(connection) !== downloads || !this.followers.get(id)?.has(connection) || downloads.some((other) => other.record.id === id))
          continue;
        connection.sendFrame(encodeFileChunkFrameParts({ file: download.record.id, index: download.next, data }));
        download.next++;
        if (download.next < download.record.chunks) downloads.push(download);
        else this.unfollow(download.record.id, connection);
      }
    } finally {
      this.pumping.delete(connection);
    }
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

/** Takes file `id` out of a connection's downloads, in place (a running pump holds the same list). */
function dropDownload(downloads: Download[], id: string): void {
  const at = downloads.findIndex((download) => download.record.id === id);
  if (at >= 0) downloads.splice(at, 1);
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
