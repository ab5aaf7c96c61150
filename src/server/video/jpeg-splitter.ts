// Splits ffmpeg's MJPEG output (JPEG after JPEG, no container) into single JPEG images. A frame
// runs from an SOI marker (FF D8) to the next EOI marker (FF D9); inside the entropy-coded data
// every FF byte is followed by 00 or a restart marker, so FF D9 cannot occur before the real end.
import { ChatError, ErrorCode } from '../../core/errors.js';

/** The End Of Image marker. */
const EOI = Buffer.from([0xff, 0xd9]);

export class JpegSplitter {
  private pending: Buffer = Buffer.alloc(0);
  private scanFrom = 0;

  /** maxFrameBytes bounds memory if the input is not JPEG at all. */
  constructor(private readonly maxFrameBytes: number) {}

  push(chunk: Buffer): Buffer[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Buffer[] = [];
    for (;;) {
      if (this.pending.length >= 2 && (this.pending[0] !== 0xff || this.pending[1] !== 0xd8)) {
        throw new ChatError(ErrorCode.VIDEO_DECODE, 'decoder output is not a JPEG stream');
      }
      const end = this.pending.indexOf(EOI, Math.max(2, this.scanFrom));
      if (end === -1) {
        this.scanFrom = Math.max(2, this.pending.length - 1);
        if (this.pending.length > this.maxFrameBytes) {
          throw new ChatError(ErrorCode.VIDEO_DECODE, `a decoded frame is larger than ${this.maxFrameBytes} bytes`);
        }
        return frames;
      }
      frames.push(this.pending.subarray(0, end + 2));
      this.pending = this.pending.subarray(end + 2);
      this.scanFrom = 0;
    }
  }
}
