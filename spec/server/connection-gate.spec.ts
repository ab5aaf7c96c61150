import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Socket, connect as connectTcp, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { connect as connectTls } from 'node:tls';
import { ErrorCode } from '../../src/core/errors.js';
import { ChatServer } from '../../src/server/chat-server.js';
import { type ServerCertificate, loadOrCreateServerCertificate } from '../../src/server/server-certificate.js';
import type { ServerLimits } from '../../src/server/server-limits.js';
import { waitUntil, withTimeout } from '../helpers/events.js';
import { RawClient } from '../helpers/raw-client.js';

let certificate: ServerCertificate;
let clientHello: Buffer;

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tui-chat-gate-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  certificate = (await loadOrCreateServerCertificate(dir)).certificate;
  clientHello = await captureClientHello();
});

/** The first bytes a real TLS client sends: a ClientHello, to replay halfway. */
async function captureClientHello(): Promise<Buffer> {
  const sink = createServer();
  const first = new Promise<Buffer>((resolve) => sink.once('connection', (socket) => socket.once('data', resolve)));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', resolve));
  const port = (sink.address() as { port: number }).port;
  const client = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false });
  client.on('error', () => {});
  const hello = await first;
  client.destroy();
  sink.close();
  return hello;
}

async function startTlsServer(t: TestContext, limits: Partial<ServerLimits>): Promise<{ server: ChatServer; port: number }> {
  const server = new ChatServer({ port: 0, limits, tls: certificate });
  const { port } = await server.listen();
  t.after(() => server.close());
  return { server, port };
}

/** A TCP connection that sends the given bytes (maybe none) and then nothing more. */
async function silentSocket(port: number, bytes?: Buffer): Promise<{ socket: Socket; closed: Promise<void> }> {
  const socket = connectTcp({ host: '127.0.0.1', port });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  if (bytes !== undefined) socket.write(bytes);
  return { socket, closed };
}

/** Resolves 'secure' once a real TLS handshake completes, 'closed' if the server cuts it off. */
function tlsAttempt(port: number): Promise<'secure' | 'closed'> {
  return new Promise((resolve) => {
    const socket = connectTls({ host: '127.0.0.1', port, rejectUnauthorized: false, minVersion: 'TLSv1.3' });
    socket.once('secureConnect', () => {
      socket.destroy();
      resolve('secure');
    });
    socket.once('error', () => resolve('closed'));
    socket.once('close', () => resolve('closed'));
  });
}

describe('ConnectionGate: TLS handshakes that never finish', () => {
  it('closes a TLS connection that sends nothing once the handshake timeout has passed', async (t) => {
    const { port } = await startTlsServer(t, { handshakeTimeoutMs: 300 });
    const { closed } = await silentSocket(port);
    await withTimeout(closed, 'the server to close a silent TLS connection', 5000);
  });

  it('closes a TLS connection that stops halfway through its ClientHello', async (t) => {
    const { port } = await startTlsServer(t, { handshakeTimeoutMs: 300 });
    const { closed } = await silentSocket(port, clientHello.subarray(0, Math.floor(clientHello.length / 2)));
    await withTimeout(closed, 'the server to close a half-finished handshake', 5000);
  });

  it('counts unfinished TLS handshakes against --max-clients, and frees their places once closed', async (t) => {
    const { port } = await startTlsServer(t, { maxClients: 2, handshakeTimeoutMs: 1500 });
    const first = await silentSocket(port);
    const second = await silentSocket(port, clientHello.subarray(0, 20));
    assert.equal(await tlsAttempt(port), 'closed', 'a third connection is refused while two handshakes are open');
    await withTimeout(Promise.all([first.closed, second.closed]), 'the unfinished handshakes to time out', 5000);
    assert.equal(await tlsAttempt(port), 'secure');
  });

  it('counts unfinished TLS handshakes against --max-clients-per-address', async (t) => {
    const { server, port } = await startTlsServer(t, { maxClientsPerAddress: 2, handshakeTimeoutMs: 5000 });
    const silent = [await silentSocket(port), await silentSocket(port)];
    assert.equal(await tlsAttempt(port), 'closed');
    for (const { socket } of silent) socket.destroy();
    await waitUntil(() => server.connectionCount === 0, 'the server to see both sockets close');
    assert.equal(await tlsAttempt(port), 'secure');
  });

  it('counts a plain TCP connection that sends nothing against --max-clients too', async (t) => {
    const server = new ChatServer({ port: 0, limits: { maxClients: 1, handshakeTimeoutMs: 5000 } });
    const { port } = await server.listen();
    t.after(() => server.close());
    const silent = await silentSocket(port);
    const refused = await RawClient.open(port);
    assert.equal((await refused.next('error')).code, ErrorCode.SERVER_FULL);
    silent.socket.destroy();
  });
});
