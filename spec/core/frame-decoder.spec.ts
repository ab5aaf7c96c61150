import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ErrorCode, FrameError } from '../../src/core/errors.js';
import { FrameDecoder } from '../../src/core/frame-decoder.js';
import { encodeFrame } from '../../src/core/frame-encoder.js';
import { type Frame, FrameType } from '../../src/core/frame-types.js';

const LIMITS = { [FrameType.CONTROL]: 1024, [FrameType.MEDIA]: 4096 };

const FIXTURES: ReadonlyArray<{ name: string; frames: Frame[] }> = [
  { name: 'one control frame', frames: [{ type: FrameType.CONTROL, body: Buffer.from('{"type":"bye"}') }] },
  { name: 'an empty body', frames: [{ type: FrameType.CONTROL, body: Buffer.alloc(0) }] },
  {
    name: 'mixed control and media frames',
    frames: [
      { type: FrameType.CONTROL, body: Buffer.from('{"a":1}') },
      { type: FrameType.MEDIA, body: Buffer.from(Array.from({ length: 300 }, (_, i) => i & 0xff)) },
      { type: FrameType.CONTROL, body: Buffer.alloc(0) },
      { type: FrameType.CONTROL, body: Buffer.from('x'.repeat(1024)) },
    ],
  },
];

function wire(frames: readonly Frame[]): Buffer {
  return Buffer.concat(frames.map((f) => encodeFrame(f.type, f.body)));
}

function decodeChunks(chunks: readonly Buffer[]): Frame[] {
  const decoder = new FrameDecoder(LIMITS);
  const out = chunks.flatMap((chunk) => decoder.push(chunk));
  assert.equal(decoder.buffered, 0, 'nothing left over');
  return out;
}

function normalize(frames: readonly Frame[]): Array<{ type: number; body: string }> {
  return frames.map((f) => ({ type: f.type, body: f.body.toString('hex') }));
}

describe('FrameDecoder', () => {
  for (const fixture of FIXTURES) {
    const bytes = wire(fixture.frames);
    it(`decodes ${fixture.name} fed as one chunk`, () => {
      assert.deepEqual(normalize(decodeChunks([bytes])), normalize(fixture.frames));
    });
    it(`decodes ${fixture.name} fed byte by byte`, () => {
      const chunks = [...bytes].map((b) => Buffer.from([b]));
      assert.deepEqual(normalize(decodeChunks(chunks)), normalize(fixture.frames));
    });
    it(`decodes ${fixture.name} split at every boundary`, () => {
      for (let split = 0; split <= bytes.length; split++) {
        const frames = decodeChunks([bytes.subarray(0, split), bytes.subarray(split)]);
        assert.deepEqual(normalize(frames), normalize(fixture.frames), `split at ${split}`);
      }
    });
  }

  it('returns several frames coalesced in one read, in order', () => {
    const frames = Array.from({ length: 50 }, (_, i) => ({ type: FrameType.CONTROL, body: Buffer.from(`frame ${i}`) }));
    assert.deepEqual(normalize(decodeChunks([wire(frames)])), normalize(frames));
  });

  it('refuses an oversize length from the header alone, before any body arrives', () => {
    const decoder = new FrameDecoder(LIMITS);
    const header = Buffer.from([0xff, 0xff, 0xff, 0xff, FrameType.CONTROL]);
    assert.throws(
      () => decoder.push(header),
      (error: unknown) => error instanceof FrameError && error.code === ErrorCode.FRAME_TOO_LARGE,
    );
    assert.equal(decoder.buffered, 0, 'the announced length was never buffered');
  });

  it('applies the limit of the frame type: media may be larger than control', () => {
    const decoder = new FrameDecoder(LIMITS);
    assert.equal(decoder.push(encodeFrame(FrameType.MEDIA, Buffer.alloc(2000))).length, 1);
    assert.throws(() => decoder.push(encodeFrame(FrameType.CONTROL, Buffer.alloc(2000))), { code: ErrorCode.FRAME_TOO_LARGE });
  });

  it('refuses a frame type missing from its limits table', () => {
    const decoder = new FrameDecoder({ [FrameType.CONTROL]: 1024 });
    assert.throws(() => decoder.push(encodeFrame(FrameType.MEDIA, Buffer.alloc(1))), { code: ErrorCode.UNKNOWN_FRAME_TYPE });
    assert.throws(() => new FrameDecoder(LIMITS).push(Buffer.from([0, 0, 0, 1, 0x7f, 0])), { code: ErrorCode.UNKNOWN_FRAME_TYPE });
  });

  it('stays failed after an error, since the stream has lost its framing', () => {
    const decoder = new FrameDecoder(LIMITS);
    assert.throws(() => decoder.push(Buffer.from([0, 0, 0, 1, 0x7f, 0])));
    assert.throws(() => decoder.push(encodeFrame(FrameType.CONTROL, Buffer.from('{}'))), FrameError);
  });

  it('reports a stream that ends inside a frame as truncated', () => {
    const decoder = new FrameDecoder(LIMITS);
    decoder.push(encodeFrame(FrameType.CONTROL, Buffer.from('hello')).subarray(0, 7));
    assert.throws(() => decoder.finish(), { code: ErrorCode.TRUNCATED_FRAME });
    const clean = new FrameDecoder(LIMITS);
    clean.push(encodeFrame(FrameType.CONTROL, Buffer.from('hello')));
    assert.doesNotThrow(() => clean.finish());
  });

  it('never throws anything but FrameError on arbitrary bytes in arbitrary chunks', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 20 }), (chunks) => {
        const decoder = new FrameDecoder(LIMITS);
        try {
          for (const chunk of chunks) decoder.push(Buffer.from(chunk));
        } catch (error) {
          assert.ok(error instanceof FrameError, `unexpected ${String(error)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('round-trips any frames under any chunking', () => {
    const frameArb = fc.record({
      type: fc.constantFrom(FrameType.CONTROL, FrameType.MEDIA),
      body: fc.uint8Array({ maxLength: 200 }).map((a) => Buffer.from(a)),
    });
    fc.assert(
      fc.property(fc.array(frameArb, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 10 }), (frames, cuts) => {
        const bytes = wire(frames);
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const chunks: Buffer[] = [];
        let from = 0;
        for (const point of points) {
          chunks.push(bytes.subarray(from, point));
          from = point;
        }
        chunks.push(bytes.subarray(from));
        assert.deepEqual(normalize(decodeChunks(chunks)), normalize(frames));
      }),
      { numRuns: 500 },
    );
  });
});
