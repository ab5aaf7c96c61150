// Pinned server certificates, like ssh's known_hosts: HOST:PORT -> SHA-256 of the certificate.
import { readFile } from 'node:fs/promises';
import { writePrivateFile } from '../storage/private-file.js';

export interface KnownServer {
  readonly fingerprint: string;
  readonly firstSeen: number;
}

export class KnownServers {
  private readonly servers = new Map<string, KnownServer>();

  private constructor(readonly path: string | null) {}

  static inMemory(): KnownServers {
    return new KnownServers(null);
  }

  static async load(path: string): Promise<KnownServers> {
    const store = new KnownServers(path);
    try {
      const parsed = JSON.parse(await readFile(path, 'utf8')) as { servers?: Record<string, Partial<KnownServer>> };
      for (const [address, server] of Object.entries(parsed.servers ?? {})) {
        if (typeof server.fingerprint === 'string') store.servers.set(address, { fingerprint: server.fingerprint, firstSeen: Number(server.firstSeen) || 0 });
      }
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    return store;
  }

  get(address: string): KnownServer | undefined {
    return this.servers.get(address);
  }

  async pin(address: string, fingerprint: string, now: number = Date.now()): Promise<void> {
    this.servers.set(address, { fingerprint, firstSeen: now });
    if (this.path !== null) {
      await writePrivateFile(this.path, JSON.stringify({ version: 1, servers: Object.fromEntries(this.servers) }, null, 2) + '\n');
    }
  }
}
