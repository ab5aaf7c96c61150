// Pinned server certificates, like ssh's known_hosts: HOST:PORT -> SHA-256 of the certificate.
import { ConfigFileError } from '../storage/config-file.js';
import { PinFile } from '../storage/pin-file.js';

export interface KnownServer {
  readonly fingerprint: string;
  readonly firstSeen: number;
}

export class KnownServers {
  private readonly servers = new Map<string, KnownServer>();

  private constructor(private readonly file: PinFile<KnownServer>) {}

  get path(): string | null {
    return this.file.path;
  }

  static inMemory(): KnownServers {
    return new KnownServers(new PinFile(null, 'servers'));
  }

  /** Loads the pins in `path` (none if there is no file); a damaged file is a ConfigFileError, never overwritten. */
  static async load(path: string): Promise<KnownServers> {
    const store = new KnownServers(new PinFile(path, 'servers'));
    const pins = await store.file.read((address, server) => {
      if (typeof server['fingerprint'] !== 'string') throw new ConfigFileError(path, `the entry "${address}" has no fingerprint`);
      return { fingerprint: server['fingerprint'], firstSeen: Number(server['firstSeen']) || 0 };
    });
    for (const [address, server] of pins) store.servers.set(canonicalAddress(address), server);
    return store;
  }

  get(address: string): KnownServer | undefined {
    return this.servers.get(canonicalAddress(address));
  }

  /** Other addresses pinned to this certificate: the same server reached under another name. */
  otherAddressesWith(fingerprint: string, address: string): string[] {
    const self = canonicalAddress(address);
    return [...this.servers].filter(([other, server]) => other !== self && server.fingerprint === fingerprint).map(([other]) => other);
  }

  async pin(address: string, fingerprint: string, now: number = Date.now()): Promise<void> {
    this.servers.set(canonicalAddress(address), { fingerprint, firstSeen: now });
    await this.file.save(this.servers);
  }
}

/** Loopback under any of its names: one machine, so one pin. */
const LOOPBACK_NAMES = new Set(['localhost', 'localhost.localdomain', 'ip6-localhost', 'ip6-loopback', '::1', '0:0:0:0:0:0:0:1']);

/**
 * The key a pin is kept under: the host case-folded, without a trailing dot or IPv6 brackets, and
 * every loopback name or address (localhost, 127.0.0.1, ::1) as "localhost". Other names of one
 * server (a DNS name and its IP address) cannot be told apart without asking DNS, so they pin
 * separately; the client says so when it pins.
 */
export function canonicalAddress(address: string): string {
  const colon = address.lastIndexOf(':');
  const port = address.slice(colon + 1);
  let host = address
    .slice(0, colon)
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1')
    .replace(/\.$/, '');
  if (LOOPBACK_NAMES.has(host) || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)) host = 'localhost';
  return `${host.includes(':') ? `[${host}]` : host}:${port}`;
}
