// The relays between nodes, in binary batches: DMs to the node holding their recipient, room
// messages published once for every node. Split from cluster-wire.ts (which re-exports them): the
// JSON messages of the bus are there, the byte layouts of the batches here. Read like client
// input: a malformed relay is dropped and counted, and the rest of its batch still arrives.
import { ErrorCode, ProtocolError } from '../../core/errors.js';
import { invalid } from '../../core/field-readers.js';
import { isValidName } from '../../core/names.js';
import { isValidRoomName } from '../../core/room-names.js';

/** Node ids are subject tokens: random hex made at start-up (see nats-bus.ts). */
export const NODE_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * A room message, published once (in a binary batch, encodeRoomBatch); each node delivers its own
 * group of recipients. Like a DM relay it carries the envelope as JSON text serialized once by the
 * sender's node, and its id apart (for the nodes' answers).
 */
export interface RoomRelay {
  readonly node: string;
  readonly from: string;
  /** A named room ('#name'); absent for the lobby. */
  readonly room?: string;
  readonly id: string;
  readonly envelopeJson: string;
  /** node id -> (recipient name -> '': a table, for lookups by name). */
  readonly recipients: Readonly<Record<string, Readonly<Record<string, string>>>>;
}

/**
 * A DM, sent (in a binary batch, encodeDirectBatch) to the node holding the recipient, which
 * answers with a DirectReceipt. The envelope travels as the JSON text the sending node serialized
 * once after validating it at the edge: the receiving node splices it into the delivery frame
 * without parsing it (the recipient's client validates every frame it reads).
 */
export interface DirectRelay {
  readonly node: string;
  /** The sending node's number for this hand-off, named in the receipt if it fails. */
  readonly n: number;
  readonly from: string;
  readonly to: string;
  /** The envelope's id, apart: the receiving node tracks the delivery by it. */
  readonly id: string;
  readonly envelopeJson: string;
}

// ---- DM batches: binary ------------------------------------------------------------------------
//
//   'D' 1 | u8 node length, node | u32 count | count x (u32 n, u8 from length, from, u8 to length,
//   to, u8 id length, id, u32 envelope length, envelope JSON)   (integers big-endian, text UTF-8)
//
// No JSON around the relays: nothing is escaped or parsed twice, and the envelope's bytes are
// copied, not re-encoded. Names and the node id are checked on arrival (they index the node's own
// tables); the envelope was checked by the node its sender is connected to.

const DIRECT_BATCH_MAGIC = 0x44;
const DIRECT_BATCH_VERSION = 1;
/** An envelope larger than any frame a client may send cannot be in a batch (64 KiB control frames). */
export const MAX_RELAYED_ENVELOPE_BYTES = 1 << 20;

export function encodeDirectBatch(node: string, relays: readonly Omit<DirectRelay, 'node'>[]): Uint8Array {
  return BatchWriter.write(DIRECT_BATCH_MAGIC, DIRECT_BATCH_VERSION, node, relays.length, (out) => {
    for (const relay of relays) {
      out.u32(relay.n);
      out.shortText(relay.from);
      out.shortText(relay.to);
      out.shortText(relay.id);
      out.longText(relay.envelopeJson);
    }
  });
}

/** Reads a DM batch; a malformed batch throws (the whole of it is dropped and logged). */
export function decodeDirectBatch(data: Uint8Array): { relays: DirectRelay[]; rejected: number } {
  const { reader, node, count } = BatchReader.open(data, DIRECT_BATCH_MAGIC, DIRECT_BATCH_VERSION, 'DM batch');
  const relays: DirectRelay[] = [];
  let rejected = 0;
  for (let i = 0; i < count; i++) {
    const n = reader.u32();
    const from = reader.shortText();
    const to = reader.shortText();
    const id = reader.shortText();
    const envelopeJson = reader.longText();
    // One bad relay is dropped (and counted); the framing around it is intact, so the rest go on.
    if (!isValidName(from) || !isValidName(to) || id === '' || !looksLikeObject(envelopeJson)) rejected++;
    else relays.push({ node, n, from, to, id, envelopeJson });
  }
  reader.end();
  return { relays, rejected };
}

// ---- room batches: binary ----------------------------------------------------------------------
//
//   'R' 2 | u8 node length, node | u32 count | count x (u8 from length, from, u8 id length, id,
//   u8 room length, room ('' for the lobby), u32 envelope length, envelope JSON, u16 groups, groups x (u8 node length, node, u16 names,
//   names x (u8 length, name)))

const ROOM_BATCH_MAGIC = 0x52;
/** 2: each relay names its room ('' for the lobby) after its id. */
const ROOM_BATCH_VERSION = 2;

export function encodeRoomBatch(node: string, relays: readonly Omit<RoomRelay, 'node'>[]): Uint8Array {
  return BatchWriter.write(ROOM_BATCH_MAGIC, ROOM_BATCH_VERSION, node, relays.length, (out) => {
    for (const relay of relays) {
      out.shortText(relay.from);
      out.shortText(relay.id);
      out.shortText(relay.room ?? '');
      out.longText(relay.envelopeJson);
      const groups = Object.entries(relay.recipients);
      out.u16(groups.length);
      for (const [group, names] of groups) {
        out.shortText(group);
        const list = Object.keys(names);
        out.u16(list.length);
        for (const name of list) out.shortText(name);
      }
    }
  });
}

/** Reads a room batch; a malformed batch throws, a relay with a bad name or node id is dropped and counted. */
export function decodeRoomBatch(data: Uint8Array): { relays: RoomRelay[]; rejected: number } {
  const { reader, node, count } = BatchReader.open(data, ROOM_BATCH_MAGIC, ROOM_BATCH_VERSION, 'room batch');
  const relays: RoomRelay[] = [];
  let rejected = 0;
  for (let i = 0; i < count; i++) {
    const from = reader.shortText();
    const id = reader.shortText();
    const room = reader.shortText();
    const envelopeJson = reader.longText();
    let good = isValidName(from) && id !== '' && (room === '' || isValidRoomName(room)) && looksLikeObject(envelopeJson);
    const recipients: Record<string, Record<string, string>> = Object.create(null);
    const groups = reader.u16();
    for (let g = 0; g < groups; g++) {
      const group = reader.shortText();
      const table: Record<string, string> = Object.create(null);
      const names = reader.u16();
      for (let k = 0; k < names; k++) {
        const name = reader.shortText();
        if (!isValidName(name)) good = false;
        table[name] = '';
      }
      if (!NODE_ID.test(group)) good = false;
      recipients[group] = table;
    }
    if (good) relays.push({ node, from, ...(room === '' ? {} : { room }), id, envelopeJson, recipients });
    else rejected++;
  }
  reader.end();
  return { relays, rejected };
}

/** The envelope text is spliced into a delivery frame as a JSON value: it must at least be an object. */
function looksLikeObject(json: string): boolean {
  return json.length >= 2 && json[0] === '{' && json[json.length - 1] === '}';
}

/**
 * Writes a binary batch: magic, version, the sending node, the relay count, then what `body`
 * writes. Run twice over the same relays: once to measure, once into a buffer of exactly that
 * size, so each text is encoded once, straight into place.
 */
class BatchWriter {
  private at = 0;

  private constructor(private readonly out: Buffer | undefined) {}

  static write(magic: number, version: number, node: string, count: number, body: (out: BatchWriter) => void): Buffer {
    const measure = new BatchWriter(undefined);
    measure.header(magic, version, node, count);
    body(measure);
    const writer = new BatchWriter(Buffer.allocUnsafe(measure.at));
    writer.header(magic, version, node, count);
    body(writer);
    return writer.out!;
  }

  u16(value: number): void {
    this.at = this.out === undefined ? this.at + 2 : this.out.writeUInt16BE(value, this.at);
  }

  u32(value: number): void {
    this.at = this.out === undefined ? this.at + 4 : this.out.writeUInt32BE(value, this.at);
  }

  /** A name, id or node id: u8 length, then UTF-8. */
  shortText(text: string): void {
    this.text(text, 1);
  }

  /** An envelope: u32 length, then UTF-8. */
  longText(text: string): void {
    this.text(text, 4);
  }

  private header(magic: number, version: number, node: string, count: number): void {
    if (this.out !== undefined) {
      this.out.writeUInt8(magic, 0);
      this.out.writeUInt8(version, 1);
    }
    this.at = 2;
    this.shortText(node);
    this.u32(count);
  }

  private text(text: string, lengthBytes: 1 | 4): void {
    if (this.out === undefined) {
      this.at += lengthBytes + Buffer.byteLength(text);
      return;
    }
    const length = this.out.write(text, this.at + lengthBytes);
    if (lengthBytes === 1) this.out.writeUInt8(length, this.at);
    else this.out.writeUInt32BE(length, this.at);
    this.at += lengthBytes + length;
  }
}

/** Reads the binary batches: bounds-checked, every overrun a ProtocolError. */
class BatchReader {
  private readonly bytes: Buffer;
  private at = 2;

  private constructor(
    data: Uint8Array,
    magic: number,
    version: number,
    private readonly what: string,
  ) {
    this.bytes = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    if (this.bytes.length < 2 || this.bytes[0] !== magic || this.bytes[1] !== version) throw this.error(`not a ${what}`);
  }

  /** Checks the magic and version, and reads the sending node's id and the relay count. */
  static open(data: Uint8Array, magic: number, version: number, what: string): { reader: BatchReader; node: string; count: number } {
    const reader = new BatchReader(data, magic, version, what);
    const node = reader.shortText();
    if (!NODE_ID.test(node)) throw invalid('node', 'must be a node id');
    return { reader, node, count: reader.u32() };
  }

  longText(): string {
    return this.text(this.u32(), MAX_RELAYED_ENVELOPE_BYTES);
  }

  u16(): number {
    this.need(2);
    const value = this.bytes.readUInt16BE(this.at);
    this.at += 2;
    return value;
  }

  u32(): number {
    this.need(4);
    const value = this.bytes.readUInt32BE(this.at);
    this.at += 4;
    return value;
  }

  shortText(): string {
    this.need(1);
    return this.text(this.bytes.readUInt8(this.at++), 0xff);
  }

  private text(length: number, max: number): string {
    if (length > max) throw this.error('a field is too large');
    this.need(length);
    const value = this.bytes.toString('utf8', this.at, this.at + length);
    this.at += length;
    return value;
  }

  end(): void {
    if (this.at !== this.bytes.length) throw this.error('bytes after the last relay');
  }

  private need(count: number): void {
    if (this.at + count > this.bytes.length) throw this.error('truncated');
  }

  private error(why: string): ProtocolError {
    return new ProtocolError(ErrorCode.INVALID_MESSAGE, `${this.what}: ${why}`);
  }
}
