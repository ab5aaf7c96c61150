// A TCP proxy on 127.0.0.1 that reads the frames a client sends (plaintext protocol) and drops the
// ones a test picks before they reach the server: a message lost on the way, made on purpose.
import { type Server, type Socket, connect, createServer } from 'node:net';

const HEADER_BYTES = 5;
const CONTROL = 0x01;

export class FrameFilterProxy {
  private readonly sockets = new Set<Socket>();
  /** The control messages dropped so far. */
  readonly dropped: Array<Record<string, unknown>> = [];

  private constructor(
    private readonly server: Server,
    readonly port: number,
  ) {}

  /** `drop` sees each control message the client sends; true keeps it from the server. */
  static async start(targetPort: number, drop: (message: Record<string, unknown>) => boolean): Promise<FrameFilterProxy> {
    let proxy: FrameFilterProxy | undefined;
    const server = createServer((client) => {
      const upstream = connect({ host: '127.0.0.1', port: targetPort });
      for (const socket of [client, upstream]) {
        proxy?.sockets.add(socket);
        socket.on('error', () => {});
      }
      let pending = Buffer.alloc(0);
      client.on('data', (chunk: Buffer) => {
        pending = Buffer.concat([pending, chunk]);
        while (pending.length >= HEADER_BYTES) {
          const length = pending.readUInt32BE(0);
          if (pending.length < HEADER_BYTES + length) break;
          const frame = pending.subarray(0, HEADER_BYTES + length);
          pending = pending.subarray(HEADER_BYTES + length);
          if (frame[4] === CONTROL) {
            const message = JSON.parse(frame.subarray(HEADER_BYTES).toString('utf8')) as Record<string, unknown>;
            if (drop(message)) {
              proxy?.dropped.push(message);
              continue;
            }
          }
          upstream.write(frame);
        }
      });
      upstream.pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    proxy = new FrameFilterProxy(server, typeof address === 'object' && address !== null ? address.port : 0);
    return proxy;
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
