// How a node joins a cluster, with the reason for each default. Each has a flag on `tui-chat serve`
// (src/cli/serve-command.ts); docs/SCALING.md explains the timing bounds they give.

/** How a node proves itself to the broker: NATS user and password, or a token. */
export type BrokerCredentials = { readonly user: string; readonly pass: string } | { readonly token: string };

export interface ClusterOptions {
  /** Broker URL(s), comma-separated: nats://host:4222, or tls://host:4222 to insist on TLS. */
  readonly url: string;
  /**
   * A PEM certificate (or CA) to trust for the broker's TLS, for a broker with its own
   * self-signed certificate. Given, TLS is required. Default: the system's CAs, TLS if offered.
   */
  readonly brokerCaPem?: string;
  /** Default: none (a broker on a private network that asks for none). */
  readonly credentials?: BrokerCredentials;
  /**
   * Prefix of every subject and of the name-claim bucket. Nodes with the same cluster name form one
   * chat; other names on the same broker are other chats. Default "tuichat".
   */
  readonly name: string;
  /** How often a node says it is alive (and its membership version). Default 1 s. */
  readonly heartbeatMs: number;
  /**
   * A node not heard from for this long is presumed dead and its members leave every peer list.
   * Default 5 s: five missed heartbeats, so one slow GC pause or broker hiccup does not empty the
   * room, while a crashed node's users are gone within lease + one heartbeat (6 s).
   */
  readonly leaseMs: number;
  /**
   * How long a node waits for another node's answer: a DM hand-off, a "do you still hold this
   * name?" probe, a name claim. Default 2 s; past it the sender is told the message did not arrive.
   */
  readonly requestTimeoutMs: number;
}

export const DEFAULT_CLUSTER_OPTIONS: Omit<ClusterOptions, 'url'> = {
  name: 'tuichat',
  heartbeatMs: 1000,
  leaseMs: 5000,
  requestTimeoutMs: 2000,
};

/** Cluster names become NATS subject tokens and a KV bucket name: letters, digits, '_' and '-'. */
export const CLUSTER_NAME_PATTERN = /^[A-Za-z0-9_-]{1,64}$/;
