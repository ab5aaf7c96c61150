// ServerMetrics in the Prometheus text format, with prom-client (loaded only for --metrics). One
// registry per server, not prom-client's global one, so tests can run several servers. Names follow
// Prometheus conventions: a `tuichat_` prefix, units in the name, `_total` for counters.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import type { DeliveryKind, RefusalLimit, ServerGauges, ServerMetrics } from './server-metrics.js';

export class PrometheusMetrics implements ServerMetrics {
  readonly registry = new Registry();
  private readonly joins: Counter;
  private readonly joinFailures: Counter<'reason'>;
  private readonly deliveries: Counter<'kind'>;
  private readonly received: Counter;
  private readonly sent: Counter;
  private readonly throttles: Counter;
  private readonly slowReaders: Counter;
  private readonly refusals: Counter<'limit'>;

  constructor(gauges: () => ServerGauges) {
    const registers = [this.registry];
    // Process memory, CPU, file descriptors and event-loop lag, as every Node exporter has them.
    collectDefaultMetrics({ register: this.registry });
    this.joins = new Counter({ name: 'tuichat_joins_total', help: 'Clients that completed a join.', registers });
    this.joinFailures = new Counter({
      name: 'tuichat_join_failures_total',
      help: 'Joins refused or failed, by error code.',
      labelNames: ['reason'],
      registers,
    });
    this.deliveries = new Counter({
      name: 'tuichat_deliveries_total',
      help: 'Envelopes handed to a recipient connection (room, dm), or relayed from (relayed_in) or to (relayed_out) another node.',
      labelNames: ['kind'],
      registers,
    });
    this.received = new Counter({ name: 'tuichat_received_bytes_total', help: 'Bytes read from clients.', registers });
    this.sent = new Counter({ name: 'tuichat_sent_bytes_total', help: 'Bytes queued to clients (chat and video).', registers });
    this.throttles = new Counter({ name: 'tuichat_throttled_total', help: 'Times flood control paused reading from a client.', registers });
    this.slowReaders = new Counter({ name: 'tuichat_slow_reader_drops_total', help: 'Clients dropped for not reading.', registers });
    this.refusals = new Counter({ name: 'tuichat_connections_refused_total', help: 'Connections refused by a limit.', labelNames: ['limit'], registers });
    new Gauge({
      name: 'tuichat_connections',
      help: 'Open connections by state (handshaking: TLS or join not finished).',
      labelNames: ['state'],
      registers,
      collect() {
        const now = gauges();
        this.set({ state: 'handshaking' }, now.connectionsHandshaking);
        this.set({ state: 'joined' }, now.connectionsJoined);
      },
    });
    new Gauge({
      name: 'tuichat_max_clients',
      help: 'The --max-clients limit.',
      registers,
      collect() {
        this.set(gauges().maxClients);
      },
    });
    new Gauge({
      name: 'tuichat_video_streams',
      help: 'Video streams running.',
      registers,
      collect() {
        this.set(gauges().videoStreams);
      },
    });
    new Gauge({
      name: 'tuichat_ffmpeg_processes',
      help: 'ffmpeg processes running (streams and posters).',
      registers,
      collect() {
        this.set(gauges().ffmpegProcesses);
      },
    });
    new Gauge({
      name: 'tuichat_stored_messages',
      help: 'Messages waiting in the store for users who are away.',
      registers,
      collect() {
        this.set(gauges().store.messages);
      },
    });
    new Gauge({
      name: 'tuichat_store_bytes',
      help: 'Bytes of the messages waiting in the store.',
      registers,
      collect() {
        this.set(gauges().store.bytes);
      },
    });
    new Gauge({
      name: 'tuichat_registered_names',
      help: 'Names registered to an identity key on this server.',
      registers,
      collect() {
        this.set(gauges().store.registrations);
      },
    });
    // Labelled by the cluster's name (--cluster-name, one value per server), so that a server
    // standing alone exports no sample at all rather than a misleading 0.
    new Gauge({
      name: 'tuichat_cluster_up',
      help: '1 while a clustered server has its broker link, 0 while cut off; absent when standing alone.',
      labelNames: ['cluster'],
      registers,
      collect() {
        const cluster = gauges().cluster;
        this.reset();
        if (cluster !== undefined) this.set({ cluster: cluster.name }, cluster.up ? 1 : 0);
      },
    });
    new Gauge({
      name: 'tuichat_cluster_nodes',
      help: 'Nodes of the cluster this server sees, itself included.',
      labelNames: ['cluster'],
      registers,
      collect() {
        const cluster = gauges().cluster;
        this.reset();
        if (cluster !== undefined) this.set({ cluster: cluster.name }, cluster.nodes);
      },
    });
  }

  joined(): void {
    this.joins.inc();
  }
  joinFailed(code: string): void {
    // Codes are our own constants (CHAT_ERR_...): a bounded set.
    this.joinFailures.inc({ reason: code.replace(/^CHAT_ERR_/, '').toLowerCase() });
  }
  delivered(kind: DeliveryKind, count = 1): void {
    this.deliveries.inc({ kind }, count);
  }
  bytesIn(count: number): void {
    this.received.inc(count);
  }
  bytesOut(count: number): void {
    this.sent.inc(count);
  }
  throttled(): void {
    this.throttles.inc();
  }
  slowReaderDropped(): void {
    this.slowReaders.inc();
  }
  refused(limit: RefusalLimit): void {
    this.refusals.inc({ limit });
  }

  /** The exposition text, and its content type. */
  async scrape(): Promise<{ readonly body: string; readonly contentType: string }> {
    return { body: await this.registry.metrics(), contentType: this.registry.contentType };
  }
}
