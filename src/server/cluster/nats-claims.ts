// Name claims across a cluster (ClusterBus.claimName, releaseName): a JetStream key-value bucket
// <cluster>_names, key hex(name) -> {"node": id}, created-if-absent per claim, so of two nodes
// claiming one name at once exactly one wins; a claim left by a node that no longer holds the
// name (it died holding it) is taken over after asking that node. Split from nats-bus.ts, which
// owns the connection and hands it over.
import type { NatsConnection } from '@nats-io/transport-node';
import { NoRespondersError, RequestError } from '@nats-io/transport-node';
import { JetStreamApiError } from '@nats-io/jetstream';
import { type KV, Kvm } from '@nats-io/kv';
import { ChatError, ErrorCode } from '../../core/errors.js';
import type { Logger } from '../../core/logger.js';
import { nameKey } from '../../core/names.js';
import type { ClaimOutcome } from './cluster-bus.js';
import type { ClusterOptions } from './cluster-options.js';
import { decodeHoldsAnswer, decodeNameClaim, encodeBusMessage } from './cluster-wire.js';

/** JetStream's "wrong last sequence": someone else wrote the key first. */
const JS_WRONG_LAST_SEQUENCE = 10071;
/** Tries at a claim before saying another node is claiming it right now. */
const CLAIM_ATTEMPTS = 4;

export class ClusterUnavailableError extends ChatError {
  constructor(what: string, options?: { cause?: unknown }) {
    super(ErrorCode.CLUSTER_UNAVAILABLE, `the cluster is unreachable (${what}); try again shortly`, options);
  }
}

export interface ClaimsLink {
  readonly nodeId: string;
  readonly options: ClusterOptions;
  readonly logger: Logger;
  connection(): NatsConnection;
  isUp(): boolean;
}

export class NatsNameClaims {
  private claims: KV | undefined;
  /** Our claims: name key -> the revision we wrote, so a release deletes only our own claim. */
  private readonly claimRevisions = new Map<string, number>();
  /** Releases made while the broker was away, done when it is back. */
  private readonly pendingReleases = new Map<string, number>();

  constructor(private readonly link: ClaimsLink) {}

  /** Claims `name` for this node; of two nodes claiming at once exactly one wins (see ClusterBus.claimName). */
  async claim(name: string): Promise<ClaimOutcome> {
    const claims = this.requireClaims('claiming a name');
    const key = claimKey(name);
    const mine = encodeBusMessage({ node: this.link.nodeId });
    try {
      for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
        try {
          this.recordClaim(name, await claims.create(key, mine));
          return { won: true };
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
        }
        // Someone holds the name, or held it: a claim outlives a node that died holding it.
        const entry = await claims.get(key);
        if (entry === null || entry.operation !== 'PUT') continue;
        const owner = ownerOf(entry.value);
        if (owner !== this.link.nodeId && owner !== undefined && (await this.nodeHolds(owner, name))) return { won: false, owner };
        try {
          this.recordClaim(name, await claims.update(key, mine, entry.revision));
          this.link.logger.log('info', 'cluster.claim_taken_over', { from: owner ?? 'unreadable' });
          return { won: true };
        } catch (error) {
          if (!isWrongLastSequence(error)) throw error;
        }
      }
    } catch (error) {
      throw error instanceof ChatError ? error : new ClusterUnavailableError('name claim failed', { cause: error });
    }
    // Lost every race in a row: another node is claiming this name right now.
    return { won: false, owner: 'unknown' };
  }

  /** Gives a claim back, only if it is still ours; while the broker is away, when it is back. */
  async release(name: string): Promise<void> {
    const key = claimKey(name);
    const revision = this.claimRevisions.get(key);
    if (revision === undefined) return;
    this.claimRevisions.delete(key);
    if (!this.link.isUp() || this.claims === undefined) {
      this.pendingReleases.set(key, revision);
      return;
    }
    await this.deleteClaim(key, revision);
  }

  /** Opens (or makes) the bucket: at start, and again after a reconnect. */
  async open(): Promise<void> {
    const kvm = new Kvm(this.link.connection());
    const bucket = `${this.link.options.name}_names`;
    try {
      // One value per key: a claim's history is of no use, and old revisions would only cost space.
      this.claims = await kvm.create(bucket, { history: 1 });
    } catch (cause) {
      try {
        this.claims = await kvm.open(bucket);
        await this.claims.status();
      } catch {
        throw new ClusterUnavailableError(`no JetStream key-value store at ${this.link.options.url}; start nats-server with -js`, { cause });
      }
    }
  }

  private async deleteClaim(key: string, revision: number): Promise<void> {
    try {
      await this.claims!.delete(key, { previousSeq: revision });
    } catch (error) {
      // Expected when another node has taken the name over since; nothing of ours to remove.
      this.link.logger.log('debug', 'cluster.release_skipped', { error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
    }
  }

  private async nodeHolds(node: string, name: string): Promise<boolean> {
    try {
      const reply = await this.link.connection().request(`${this.link.options.name}.node.${node}.holds`, encodeBusMessage({ name }), {
        timeout: this.link.options.requestTimeoutMs,
      });
      return decodeHoldsAnswer(reply.data).holds;
    } catch (error) {
      // No such node: it died holding the claim. A node that does not answer in time may still be
      // alive, so its claim stands (the new user is told the name is taken, never given a duplicate).
      return !isNoResponders(error);
    }
  }

  private requireClaims(what: string): KV {
    if (!this.link.isUp() || this.claims === undefined) throw new ClusterUnavailableError(`${what} needs the broker`);
    return this.claims;
  }

  private recordClaim(name: string, revision: number): void {
    this.claimRevisions.set(claimKey(name), revision);
  }

  /** Back on the broker: the releases made while it was away. */
  async releasePending(): Promise<void> {
    for (const [key, revision] of this.pendingReleases) await this.deleteClaim(key, revision);
    this.pendingReleases.clear();
  }
}

/** Names may hold '.' and other characters KV keys refuse; hex of the case-folded name never does. */
function claimKey(name: string): string {
  return Buffer.from(nameKey(name), 'utf8').toString('hex');
}

function ownerOf(value: Uint8Array): string | undefined {
  try {
    return decodeNameClaim(value).node;
  } catch {
    return undefined;
  }
}

function isWrongLastSequence(error: unknown): boolean {
  return error instanceof JetStreamApiError && error.code === JS_WRONG_LAST_SEQUENCE;
}

function isNoResponders(error: unknown): boolean {
  return error instanceof NoRespondersError || (error instanceof RequestError && error.isNoResponders());
}
