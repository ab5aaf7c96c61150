// What the server counts for operators, as one small interface: the daemon calls it on every
// event worth counting, and a lone server without --metrics gets the no-op (no prom-client loaded).
// Label values are always from a fixed set (error codes, kinds), never a user name.

export type DeliveryKind = 'room' | 'dm' | 'stored' | 'relayed_in' | 'relayed_out';
export type RefusalLimit = 'max_clients' | 'max_clients_per_address';

export interface ServerMetrics {
  joined(): void;
  /** A join that failed, by the error code it was refused with. */
  joinFailed(code: string): void;
  delivered(kind: DeliveryKind, count?: number): void;
  bytesIn(count: number): void;
  bytesOut(count: number): void;
  throttled(): void;
  slowReaderDropped(): void;
  refused(limit: RefusalLimit): void;
}

export const noMetrics: ServerMetrics = {
  joined() {},
  joinFailed() {},
  delivered() {},
  bytesIn() {},
  bytesOut() {},
  throttled() {},
  slowReaderDropped() {},
  refused() {},
};

/** The server's state at the moment of a scrape (gauges read, not counted). */
export interface ServerGauges {
  readonly connectionsHandshaking: number;
  readonly connectionsJoined: number;
  readonly maxClients: number;
  readonly videoStreams: number;
  readonly ffmpegProcesses: number;
  /** Messages waiting in the store for users who are away, their bytes, and registered names. */
  readonly store: { readonly messages: number; readonly bytes: number; readonly registrations: number };
  /** undefined when the server stands alone. */
  readonly cluster: { readonly name: string; readonly up: boolean; readonly nodes: number } | undefined;
}
