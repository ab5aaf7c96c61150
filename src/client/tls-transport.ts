// Opens the connection to a server over TLS and checks the server's certificate against the pin
// (trust on first use, or --server-fingerprint), before a single byte of ours is sent. There is no
// certificate authority: the server's certificate is self-signed, and the pin is the trust.
import { connect as connectTls, type TLSSocket } from 'node:tls';
import { connect as connectTcp, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { ChatError, ErrorCode } from '../core/errors.js';
import { fingerprintOf, formatFingerprint } from '../core/fingerprint.js';
import type { KnownServers } from './known-servers.js';

export interface TlsPinOptions {
  readonly knownServers: KnownServers;
  /** --server-fingerprint: the fingerprint the user expects; overrides and updates the pin. */
  readonly expectedFingerprint?: string;
  /** Told once when a server is pinned for the first time. */
  readonly onFirstUse?: (address: string, fingerprint: string) => void;
  /** Told when --server-fingerprint replaces another pin for the address (never silently). */
  readonly onReplaced?: (address: string, was: string, now: string) => void;
}

export class ServerPinError extends ChatError {}

/** Normalises "AB:CD ef01 ..." to lowercase hex without separators. */
export function normalizeFingerprint(text: string): string {
  return text.replace(/[\s:]/g, '').toLowerCase();
}

export function openTlsStream(host: string, port: number, pin: TlsPinOptions): Promise<Duplex> {
  const address = `${host}:${port}`;
  return new Promise((resolve, reject) => {
    // The certificate is checked below against the pin instead of a CA, so Node's CA check is off.
    const socket: TLSSocket = connectTls({ host, port, rejectUnauthorized: false, minVersion: 'TLSv1.3', ...(isIp(host) ? {} : { servername: host }) });
    socket.setNoDelay(true);
    const fail = (error: Error) => {
      socket.destroy();
      reject(error);
    };
    socket.once('error', (error: NodeJS.ErrnoException) => {
      // A server over its connection limits closes the socket before TLS can carry its reason.
      const cutOff = error.code === 'ECONNRESET' || /before secure TLS connection/.test(error.message);
      fail(
        cutOff
          ? new ChatError(
              ErrorCode.NOT_CONNECTED,
              `${address} closed the connection during the TLS handshake (the server may be full, or limiting connections from your address)`,
            )
          : error,
      );
    });
    socket.once('secureConnect', () => {
      socket.removeAllListeners('error');
      socket.on('error', () => {});
      const certificate = socket.getPeerCertificate();
      if (certificate === null || certificate.raw === undefined)
        return fail(new ServerPinError(ErrorCode.SERVER_KEY_CHANGED, 'the server sent no certificate'));
      const fingerprint = fingerprintOf(certificate.raw);
      const pinned = pin.knownServers.get(address)?.fingerprint;
      const expected = pin.expectedFingerprint === undefined ? undefined : normalizeFingerprint(pin.expectedFingerprint);
      if (expected !== undefined && expected !== fingerprint) {
        return fail(
          new ServerPinError(
            ErrorCode.SERVER_KEY_CHANGED,
            `${address} presented certificate ${formatFingerprint(fingerprint)}, ` +
              `not the ${formatFingerprint(expected)} given with --server-fingerprint: refusing to connect`,
          ),
        );
      }
      if (expected === undefined && pinned !== undefined && pinned !== fingerprint) {
        return fail(
          new ServerPinError(
            ErrorCode.SERVER_KEY_CHANGED,
            `the certificate of ${address} CHANGED since you first connected (pinned ${formatFingerprint(pinned)}, now ${formatFingerprint(fingerprint)}). ` +
              `Someone may be intercepting the connection. If the server was reinstalled, ask its operator for the new fingerprint ` +
              `(tui-chat serve prints it) and connect with --server-fingerprint ${fingerprint}.`,
          ),
        );
      }
      if (pinned !== fingerprint) {
        if (pinned === undefined && expected === undefined) pin.onFirstUse?.(address, fingerprint);
        if (pinned !== undefined) pin.onReplaced?.(address, pinned, fingerprint);
        pin.knownServers.pin(address, fingerprint).then(() => resolve(socket), fail);
        return;
      }
      resolve(socket);
    });
  });
}

/** Plain TCP, for --plaintext. */
export function openTcpStream(host: string, port: number): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const socket: Socket = connectTcp({ host, port });
    socket.setNoDelay(true);
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
  });
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':');
}
