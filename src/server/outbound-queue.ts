// Writes frames to one socket, honouring backpressure, with a hard cap on what may wait.
//
// While the socket accepts data we write straight through. Once write() returns false we hold
// frames ourselves until 'drain', so Node's buffer does not grow without bound behind our back.
// If the socket buffer plus our held frames pass the cap, the reader is not keeping up: the queue
// reports overflow once and refuses further frames, and the connection drops that client.
import type { Socket } from 'node:net';

export class OutboundQueue {
  private readonly held: Buffer[] = [];
  private heldBytes = 0;
  private overflowed = false;
  private corked = false;
  /** At most one media frame waits: a newer one replaces it (latest frame wins). */
  private pendingMedia: Buffer | undefined;

  constructor(
    private readonly socket: Socket,
    private readonly maxBytes: number,
    private readonly onOverflow: (pendingBytes: number) => void,
  ) {
    socket.on('drain', () => this.flush());
  }

  /** Bytes accepted but not yet handed to the kernel. */
  get pendingBytes(): number {
    return this.socket.writableLength + this.heldBytes;
  }

  /**
   * Queues one frame (or one frame in parts, written back to back); returns false if the client
   * is over its cap (the frame is discarded, all of it).
   */
  send(frame: Buffer | readonly Buffer[]): boolean {
    if (this.overflowed || this.socket.destroyed || !this.socket.writable) return false;
    if (!Buffer.isBuffer(frame)) {
      const bytes = frame.reduce((sum, part) => sum + part.length, 0);
      if (!this.fits(bytes)) return false;
      for (const part of frame) this.queue(part);
      return true;
    }
    if (!this.fits(frame.length)) return false;
    this.queue(frame);
    return true;
  }

  /** Whether `bytes` more fit under the cap; once they do not, the queue overflows for good. */
  private fits(bytes: number): boolean {
    const wouldBe = this.pendingBytes + bytes;
    if (wouldBe > this.maxBytes) {
      this.overflowed = true;
      this.held.length = 0;
      this.heldBytes = 0;
      // Reported as it would have been, not after the held frames were let go.
      this.onOverflow(wouldBe);
      return false;
    }
    return true;
  }

  private queue(frame: Buffer): void {
    if (this.held.length > 0 || this.socket.writableNeedDrain) {
      this.held.push(frame);
      this.heldBytes += frame.length;
    } else {
      this.writeCorked(frame);
    }
  }

  /**
   * Queues a video frame without ever building a backlog: written at once while the socket keeps
   * up, else held in a single slot that the next frame overwrites. Returns how many frames this
   * one replaced (0 or 1), so the stream can count drops. Media never counts against the cap.
   */
  sendMedia(frame: Buffer): number {
    if (this.overflowed || this.socket.destroyed || !this.socket.writable) return 1;
    if (this.held.length > 0 || this.socket.writableNeedDrain) {
      const replaced = this.pendingMedia === undefined ? 0 : 1;
      this.pendingMedia = frame;
      return replaced;
    }
    this.writeCorked(frame);
    return 0;
  }

  /**
   * Frames written in one tick (a room broadcast, a burst of DMs read in one chunk) go out as one
   * writev instead of one syscall each: the first write of a tick corks, the next tick uncorks.
   */
  private writeCorked(frame: Buffer): void {
    if (!this.corked) {
      this.corked = true;
      this.socket.cork();
      process.nextTick(() => {
        this.corked = false;
        this.socket.uncork();
      });
    }
    this.socket.write(frame);
  }

  private flush(): void {
    while (this.held.length > 0 && !this.socket.writableNeedDrain) {
      const frame = this.held.shift()!;
      this.heldBytes -= frame.length;
      this.writeCorked(frame);
    }
    // Chat first, then the newest video frame.
    if (this.held.length === 0 && this.pendingMedia !== undefined && !this.socket.writableNeedDrain) {
      const frame = this.pendingMedia;
      this.pendingMedia = undefined;
      this.writeCorked(frame);
    }
  }
}
