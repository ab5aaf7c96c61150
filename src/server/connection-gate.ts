// Counts every accepted TCP socket, from the moment it is accepted until it closes, against the
// connection limits: joined clients, clients still joining and TLS handshakes that never finish
// alike. Counting only finished TLS handshakes let 500 silent sockets sit outside every limit.
import type { Socket } from 'node:net';
import { ChatError, ErrorCode } from '../core/errors.js';

export interface ConnectionGateLimits {
  /** --max-clients: sockets at once, in any state. */
  readonly maxClients: number;
  /** --max-clients-per-address: sockets at once from one IP address. */
  readonly maxClientsPerAddress: number;
}

export class ConnectionGate {
  private total = 0;
  private readonly byAddress = new Map<string, number>();

  constructor(private readonly limits: () => ConnectionGateLimits) {}

  /** Sockets counted right now (joined, joining or handshaking). */
  get count(): number {
    return this.total;
  }

  /**
   * Counts the socket until it closes and returns undefined, or returns why it is refused (and
   * counts nothing). The caller says so to the peer, or (before TLS) just closes the socket.
   */
  enter(socket: Socket): ChatError | undefined {
    const { maxClients, maxClientsPerAddress } = this.limits();
    const address = socket.remoteAddress ?? '?';
    if (this.total >= maxClients) return new ChatError(ErrorCode.SERVER_FULL, `the server is full (${maxClients} connections)`);
    const fromAddress = this.byAddress.get(address) ?? 0;
    if (fromAddress >= maxClientsPerAddress) {
      return new ChatError(ErrorCode.TOO_MANY_FROM_ADDRESS, `too many connections from ${address} (${maxClientsPerAddress})`);
    }
    this.total++;
    this.byAddress.set(address, fromAddress + 1);
    socket.once('close', () => {
      this.total--;
      const left = (this.byAddress.get(address) ?? 1) - 1;
      if (left === 0) this.byAddress.delete(address);
      else this.byAddress.set(address, left);
    });
    return undefined;
  }
}
