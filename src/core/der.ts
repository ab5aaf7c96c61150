// Just enough DER (X.690) to write and read the few ASN.1 structures tui-chat handles itself: the
// PBES2 parameters of a protected key file. Definite lengths only; no general ASN.1 here.

export const DerTag = { INTEGER: 0x02, BIT_STRING: 0x03, OCTET_STRING: 0x04, NULL: 0x05, OID: 0x06, SEQUENCE: 0x30 } as const;

export function derLength(length: number): Buffer {
  if (length < 0x80) return Buffer.from([length]);
  const bytes: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function der(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

export function derSequence(...items: Buffer[]): Buffer {
  return der(DerTag.SEQUENCE, Buffer.concat(items));
}

/** An unsigned big-endian integer (a leading zero is added when the top bit is set). */
export function derUnsigned(value: Buffer | number): Buffer {
  let bytes = typeof value === 'number' ? numberBytes(value) : value;
  if ((bytes[0]! & 0x80) !== 0) bytes = Buffer.concat([Buffer.from([0]), bytes]);
  return der(DerTag.INTEGER, bytes);
}

function numberBytes(value: number): Buffer {
  const bytes: number[] = [];
  for (let n = value; n > 0; n = Math.floor(n / 256)) bytes.unshift(n % 256);
  return Buffer.from(bytes.length === 0 ? [0] : bytes);
}

export interface DerElement {
  readonly tag: number;
  readonly content: Buffer;
}

/** The elements directly inside `content`, in order. Throws on a malformed or indefinite length. */
export function derChildren(content: Buffer): DerElement[] {
  const children: DerElement[] = [];
  let at = 0;
  while (at < content.length) {
    const tag = content[at]!;
    let length = content[at + 1];
    if (length === undefined) throw new RangeError('DER: truncated');
    at += 2;
    if (length >= 0x80) {
      const count = length & 0x7f;
      if (count === 0 || count > 4) throw new RangeError('DER: unsupported length');
      length = 0;
      for (let i = 0; i < count; i++) length = length * 256 + content[at + i]!;
      at += count;
    }
    if (at + length > content.length) throw new RangeError('DER: truncated');
    children.push({ tag, content: content.subarray(at, at + length) });
    at += length;
  }
  return children;
}

export function derToNumber(content: Buffer): number {
  let value = 0;
  for (const byte of content) value = value * 256 + byte;
  return value;
}
