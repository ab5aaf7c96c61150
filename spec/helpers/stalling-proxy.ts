// A TCP proxy on 127.0.0.1 that passes what the client sends, and what the server sends only up to
// `stallAfter` bytes per connection (set it before the connection is made): then the server's side
// stalls (its socket is no longer read), as on a link that died without a word. A download is cut
// off at a place the test chose, not by a race. The client sees one server address throughout,
// so it keeps its state across connections (a client keeps one state per server address).
import { type Server, type Socket, connect, createServer } from 'node:net';
import { freePort } from './nats-broker.js';

export class StallingProxy {
  private readonly sockets = new Set<Socket>();
  /** Bytes from the server each new connection passes before it stalls. */
  stallAfter = Number.POSITIVE_INFINITY;
  /** Bytes passed from the server on the latest connection. */
  passed = 0;
  /** Every byte passed, both ways, for a test that looks for what must not be on the wire. */
  readonly wire: Buffer[] = [];

  private constructor(
    readonly port: number,
    private readonly server: Server,
  ) {}

  static async start(targetPort: number): Promise<StallingProxy> {
    const port = await freePort();
    let proxy: StallingProxy | undefined;
    const server = createServer((client) => {
      const self = proxy!;
      const limit = self.stallAfter;
      let passed = 0;
      self.passed = 0;
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      for (const socket of [client, upstream]) {
        self.sockets.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => self.sockets.delete(socket));
      }
      client.on('data', (chunk: Buffer) => self.wire.push(chunk));
      client.pipe(upstream);
      upstream.on('data', (chunk: Buffer) => {
        const part = chunk.subarray(0, Math.max(0, limit - passed));
        passed += part.length;
        self.passed = passed;
        self.wire.push(part);
        if (part.length > 0) client.write(part);
        if (part.length < chunk.length) upstream.pause();
      });
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    proxy = new StallingProxy(port, server);
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
