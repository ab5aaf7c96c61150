import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { FRAME_HEADER_BYTES, FrameType } from '../../src/core/frame-types.js';
import { decodeFileChunk, decodeFileNews, decodeFileRequest, encodeFileChunkFrameParts, isFileId } from '../../src/core/file-codec.js';

const file = 'AbCdEfGhIjKlMnOpQrStUg';

describe('file-codec', () => {
  it('carries chunks and file messages both ways, and refuses a bad id', () => {
    const chunk = { file, index: 7, data: Buffer.from('sealed bytes') };
    const frame = Buffer.concat(encodeFileChunkFrameParts(chunk));
    assert.equal(frame.readUInt32BE(0), frame.length - FRAME_HEADER_BYTES, 'the header counts the body');
    assert.equal(frame[4], FrameType.FILE);
    assert.deepEqual(decodeFileChunk(frame.subarray(FRAME_HEADER_BYTES)), chunk);
    assert.throws(() => decodeFileChunk(Buffer.alloc(20)), 'a header and nothing else');
    assert.deepEqual(decodeFileRequest({ type: 'file-offer', file, to: '#team', bytes: 100, chunks: 1 }), {
      type: 'file-offer',
      file,
      to: '#team',
      bytes: 100,
      chunks: 1,
    });
    assert.deepEqual(decodeFileRequest({ type: 'file-get', file, from: 3 }), { type: 'file-get', file, from: 3 });
    assert.deepEqual(decodeFileNews({ type: 'file-accepted', file, have: 2 }), { type: 'file-accepted', file, have: 2 });
    assert.equal(decodeFileRequest({ type: 'play' }), undefined, 'not a file message');
    assert.throws(() => decodeFileRequest({ type: 'file-get', file: '../../etc', from: 0 }));
    assert.throws(() => decodeFileRequest({ type: 'file-get', file, from: -1 }));
    assert.equal(isFileId(file), true);
    assert.equal(isFileId(`${file}=`), false);
    assert.equal(isFileId('AbCdEfGhIjKlMnOpQrStUv'), false, 'one spelling per id');
  });
});
