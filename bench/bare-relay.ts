// The ceiling: a bare length-prefixed TCP relay with no JSON, no registry, no limits, no crypto.
// Run as a child process by relay-bench; prints "listening PORT".
//   client -> relay: [u32 length][u16 target][payload]   target 0xffff = every other client
//   first frame of a connection: [u32 2][u16 own index]
//   relay -> client: [u32 length][payload]
import { type Socket, createServer } from 'node:net';

const BROADCAST = 0xffff;
const clients = new Map<number, Socket>();

const server = createServer((socket) => {
  socket.setNoDelay(true);
  socket.on('error', () => {});
  let own = -1;
  let pending: Buffer = Buffer.alloc(0);
  socket.on('data', (chunk: Buffer) => {
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    let offset = 0;
    while (pending.length - offset >= 4) {
      const length = pending.readUInt32BE(offset);
      if (pending.length - offset - 4 < length) break;
      const body = pending.subarray(offset + 4, offset + 4 + length);
      offset += 4 + length;
      if (own === -1) {
        own = body.readUInt16BE(0);
        clients.set(own, socket);
        continue;
      }
      const target = body.readUInt16BE(0);
      const out = Buffer.allocUnsafe(length + 2);
      out.writeUInt32BE(length - 2, 0);
      body.copy(out, 4, 2);
      if (target === BROADCAST) {
        for (const [index, peer] of clients) if (index !== own) peer.write(out);
      } else {
        clients.get(target)?.write(out);
      }
    }
    pending = pending.subarray(offset);
  });
  socket.on('close', () => clients.delete(own));
});

server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`listening ${(server.address() as { port: number }).port}\n`);
});
process.on('SIGTERM', () => process.exit(0));
