// Unambiguous byte strings for signing: each field is length-prefixed, so no two field lists
// that differ can produce the same bytes ("ab"+"c" vs "a"+"bc").

export function lengthPrefixed(fields: ReadonlyArray<string | Buffer>): Buffer {
  const parts: Buffer[] = [];
  for (const field of fields) {
    const bytes = typeof field === 'string' ? Buffer.from(field, 'utf8') : field;
    const length = Buffer.allocUnsafe(4);
    length.writeUInt32BE(bytes.length, 0);
    parts.push(length, bytes);
  }
  return Buffer.concat(parts);
}
