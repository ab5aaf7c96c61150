// A server's way out: it stops accepting, tells every client it is going away, routes what they
// still send for the drain time (or until they have all hung up), then leaves the cluster and
// closes what is left, cutting off whoever has not hung up SHUTDOWN_GRACE_MS later.
import { ErrorCode } from '../core/errors.js';
import type { Logger } from '../core/logger.js';
import type { ChatListener } from './chat-listener.js';
import type { ClientConnection } from './client-connection.js';
import type { ClusterLink } from './cluster/cluster-link.js';
import type { DurableStore } from './store/durable-store.js';
import type { VideoService } from './video/video-service.js';

/** How long close() waits for clients to hang up after the shutdown notice before cutting them off. */
const SHUTDOWN_GRACE_MS = 2000;

export interface ShutdownParts {
  readonly logger: Logger;
  /** Every open connection, joined or not (the server removes each as it closes). */
  readonly connections: ReadonlySet<ClientConnection>;
  readonly listener: ChatListener;
  readonly videos: VideoService;
  /** How long clients get after the notice (ChatServerOptions.shutdownDrainMs). */
  readonly drainMs: number;
  cluster(): ClusterLink | undefined;
  store(): DurableStore | undefined;
  /** The listener has stopped: timers of the running server go. */
  stopped(): void;
}

export class ServerShutdown {
  private started = false;
  private drainWaiter: (() => void) | undefined;

  constructor(private readonly parts: ShutdownParts) {}

  /** True from the first close() on: departures are no longer announced, new sockets refused. */
  get isClosing(): boolean {
    return this.started;
  }

  /** A connection closed: the drain ends early once every client has hung up. */
  connectionClosed(): void {
    if (this.parts.connections.size === 0) this.drainWaiter?.();
  }

  /** Resolves when every socket is gone: at most drain + SHUTDOWN_GRACE_MS after the call. */
  async close(reason: string): Promise<void> {
    if (this.started) return;
    this.started = true;
    const { logger, connections, drainMs } = this.parts;
    logger.log('info', 'server.closing', { clients: connections.size, drainMs });
    this.parts.videos.stopAll();
    const stopped = this.parts.listener.close();
    for (const connection of connections) connection.send({ type: 'shutdown', reason });
    if (drainMs > 0 && connections.size > 0) await this.drained(drainMs);
    await this.parts
      .cluster()
      ?.close()
      .catch((error: unknown) => logger.log('warn', 'cluster.close_failed', { error: String(error).slice(0, 120) }));
    for (const connection of connections) connection.close(ErrorCode.SHUTDOWN);
    const cutOff = setTimeout(() => {
      for (const connection of connections) connection.destroy(ErrorCode.SHUTDOWN);
    }, SHUTDOWN_GRACE_MS);
    await stopped;
    clearTimeout(cutOff);
    this.parts.stopped();
    await this.parts.store()?.close();
  }

  /** Resolves once every client has hung up, or after `ms`. */
  private drained(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(finish, ms);
      this.drainWaiter = finish;
      function finish(): void {
        clearTimeout(timer);
        resolve();
      }
    });
  }
}
