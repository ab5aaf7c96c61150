// What routing, store-and-forward, rooms and presence know of a member's connection: a small
// interface, so none of them holds a socket (nats.js and ssh-chat draw the same line) and their
// specs run without one. ClientConnection, over a socket, is the one kind the server makes.
import type { ChatError } from '../core/errors.js';
import type { ServerMessage } from '../core/messages.js';
import type { JoinedClient } from './connection-host.js';

export interface MemberLink {
  /** Set once joined; undefined before. */
  readonly peer: JoinedClient | undefined;
  /** The member's IP address (no port): what it may take is shared per address. */
  readonly ipAddress: string;
  /** False once closing has begun: nothing more is sent. */
  readonly isOpen: boolean;
  /** Queues a message; false when it was not (closed, or dropped as a slow reader). */
  send(message: ServerMessage): boolean;
  /** An already-encoded frame (one delivery encoded once for many members), or one in parts. */
  sendFrame(frame: Buffer | readonly Buffer[]): boolean;
  /** Sends the error and, when fatal, closes the link. */
  reject(error: ChatError, fatal: boolean, ref?: string): void;
}
