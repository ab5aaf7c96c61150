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

  /** Queues one frame; returns false if the client is over its cap (the frame is discarded). */
  send(frame: Buffer): boolean {
    if (this.overflowed || this.socket.destroyed || !this.socket.writable) return false;
    if (this.pendingBytes + frame.length > this.maxBytes) {
      this.overflowed = true;
      this.held.length = 0;
      this.heldBytes = 0;
      this.onOverflow(this.pendingBytes + frame.length);
      return false;
    }
    if (this.held.length > 0 || this.socket.writableNeedDrain) {
      this.held.push(frame);
      this.heldBytes += frame.length;
    } else {
      this.writeCorked(frame);
    }
    return true;
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
  }
}
