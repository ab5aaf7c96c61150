// What a ChatServer is made with: where it listens, its limits, TLS, clustering, where it keeps
// what it stores, and what operators read (logger, metrics).
import type { Logger } from '../core/logger.js';
import type { ClusterOptions } from './cluster/cluster-options.js';
import type { ServerMetrics } from './metrics/server-metrics.js';
import type { ServerLimits } from './server-limits.js';
import type { KeyValue } from './store/key-value.js';

export interface ChatServerOptions {
  /** Interface to listen on. Default 127.0.0.1: exposing the server is a deliberate choice. */
  readonly host?: string;
  /** TCP port. Default 7373; 0 picks a free port (tests). */
  readonly port?: number;
  /** Overrides for individual limits; the rest keep DEFAULT_SERVER_LIMITS. */
  readonly limits?: Partial<ServerLimits>;
  readonly logger?: Logger;
  /** Folder of playable videos (used by the video streams). Default ./videos. */
  readonly videosDir?: string;
  /** ffmpeg binary for video; default: resolved as in src/server/video/ffmpeg-path.ts on first use. */
  readonly ffmpegPath?: string;
  /** TLS key and certificate (PEM). Without them the server speaks plain TCP (tests, --plaintext). */
  readonly tls?: { readonly keyPem: string; readonly certPem: string };
  /** Join a cluster of nodes over a broker (docs/SCALING.md). Without it the server stands alone. */
  readonly cluster?: ClusterOptions;
  /** Where the server counts what operators watch (serve --metrics); default: counts nothing. */
  readonly metrics?: ServerMetrics;
  /**
   * On close(), how long clients get after the shutdown notice to finish what they were sending
   * (it is still routed) and hang up themselves. Default 0: close at once (tests); `serve` uses
   * --shutdown-drain-ms.
   */
  readonly shutdownDrainMs?: number;
  /**
   * Where registrations and messages for away users are kept (LMDB, serve --data-dir). Without it a
   * lone server keeps them in memory (tests); a clustered node keeps them in the broker's JetStream.
   */
  readonly dataDir?: string;
  /** The store's engine, given directly (specs inject a failing disk here); overrides dataDir. */
  readonly keyValue?: KeyValue;
}
