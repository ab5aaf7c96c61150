// The file part of the protocol (docs/PROTOCOL.md, "Files"). A file travels in two parts: its
// ciphertext, in chunks the server stores once and serves to whoever names it, and its key, size,
// hash and name, in an ordinary end-to-end message (MessageBody `file`), which the server cannot
// read. The server sees sizes and ciphertext only.
//
// Upload: file-offer (the id the sender made, the ciphertext's size and chunk count, and who it is
// for) -> file-accepted (how many chunks the server has already: an upload resumes there) -> FILE
// frames -> file-stored. Download: file-get (from the first chunk the client lacks) -> FILE frames,
// following an upload still under way as its chunks come. A recipient that has every chunk says
// file-done; the server forgets a file once everyone it was for has it, when it expires (as a
// stored message does), or when its sender withdraws it (file-withdraw: an upload that cannot go on).

/** Plaintext bytes per chunk: 64 KiB (a chunk's ciphertext adds 16 bytes of tag). */
export const FILE_CHUNK_BYTES = 64 * 1024;
/** The authentication tag each chunk carries (AES-256-GCM). */
export const FILE_CHUNK_TAG_BYTES = 16;

export interface FileOfferMessage {
  readonly type: 'file-offer';
  /** 16 random bytes, base64url: the sender's name for the file, unguessable. */
  readonly file: string;
  /** A user (a DM) or '#room': whom the file is for (the server keeps it until they have it). */
  readonly to: string;
  /** Ciphertext bytes in all, and in how many chunks. */
  readonly bytes: number;
  readonly chunks: number;
}

export interface FileGetMessage {
  readonly type: 'file-get';
  readonly file: string;
  /** The first chunk wanted: a download resumes from the chunks the client has. */
  readonly from: number;
}

export interface FileDoneMessage {
  readonly type: 'file-done';
  readonly file: string;
}

/** The sender gives up an upload (the file changed, the server refused a chunk): whoever follows it is told. */
export interface FileWithdrawMessage {
  readonly type: 'file-withdraw';
  readonly file: string;
}

export type FileRequest = FileOfferMessage | FileGetMessage | FileDoneMessage | FileWithdrawMessage;

export interface FileAcceptedMessage {
  readonly type: 'file-accepted';
  readonly file: string;
  /** Chunks the server holds already: send from this one on. */
  readonly have: number;
}

export interface FileStoredMessage {
  readonly type: 'file-stored';
  readonly file: string;
}

export type FileNews = FileAcceptedMessage | FileStoredMessage;
