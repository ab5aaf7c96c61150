// The watch channel over NATS core subjects (cluster-bus.ts WatchChannel, watch-wire.ts):
//   <cluster>.watch.announce                   every node: a room stream started, changed or ended
//   <cluster>.node.<id>.watch-request          the host: join, resize, leave, pause, seek, stop
//   <cluster>.node.<id>.watch-viewer           a viewer's node: that viewer's start, status, end
//   <cluster>.watch.frames.<host>.<stream>     every node following the stream: one frame each
// A frame is published once and the broker sends it once to each subscribed node, so a node with
// fifty viewers costs the broker what a node with one does.
import type { Logger } from '../../core/logger.js';
import type { WatchChannel, WatchHandlers } from './cluster-bus.js';
import {
  type WatchAnnouncement,
  type WatchFrames,
  type WatchRequest,
  type WatchViewerMessage,
  decodeViewerMessage,
  decodeWatchAnnouncement,
  decodeWatchFrames,
  decodeWatchRequest,
  encodeViewerMessage,
  encodeWatchFrames,
  encodeWatchJson,
} from './watch-wire.js';

/** What the channel uses of a NATS connection (the client itself stays in nats-bus.ts). */
export interface Subscriber {
  subscribe(subject: string, options: { callback: (error: unknown, msg: { readonly data: Uint8Array }) => void }): Subscription;
}

interface Subscription {
  unsubscribe(): void;
}

export interface NatsWatchLink {
  readonly connection: Subscriber;
  /** The cluster's subject prefix. */
  readonly prefix: string;
  readonly nodeId: string;
  readonly logger: Logger;
  /** Publishes unless the broker is away (then false: not buffered). */
  publish(subject: string, data: Uint8Array): boolean;
}

export class NatsWatchChannel implements WatchChannel {
  private handlers: WatchHandlers | undefined;
  private readonly following = new Map<string, Subscription>();

  constructor(private readonly link: NatsWatchLink) {}

  listen(handlers: WatchHandlers): void {
    if (this.handlers !== undefined) return;
    this.handlers = handlers;
    const { prefix, nodeId } = this.link;
    this.subscribe(`${prefix}.watch.announce`, (data) => handlers.announced(decodeWatchAnnouncement(data)));
    this.subscribe(`${prefix}.node.${nodeId}.watch-request`, (data) => handlers.requested(decodeWatchRequest(data)));
    this.subscribe(`${prefix}.node.${nodeId}.watch-viewer`, (data) => handlers.viewerMessage(decodeViewerMessage(data)));
  }

  announce(announcement: WatchAnnouncement): boolean {
    return this.link.publish(`${this.link.prefix}.watch.announce`, encodeWatchJson(announcement));
  }

  request(host: string, request: WatchRequest): boolean {
    return this.link.publish(`${this.link.prefix}.node.${host}.watch-request`, encodeWatchJson(request));
  }

  toViewer(node: string, message: WatchViewerMessage): boolean {
    return this.link.publish(`${this.link.prefix}.node.${node}.watch-viewer`, encodeViewerMessage(message));
  }

  publishFrames(frames: WatchFrames): boolean {
    return this.link.publish(this.framesSubject(frames.node, frames.stream), encodeWatchFrames(frames));
  }

  follow(host: string, stream: number, following: boolean): void {
    const subject = this.framesSubject(host, stream);
    const known = this.following.get(subject);
    if (!following) {
      known?.unsubscribe();
      this.following.delete(subject);
      return;
    }
    if (known !== undefined || this.handlers === undefined) return;
    const handlers = this.handlers;
    this.following.set(
      subject,
      this.subscribe(subject, (data) => {
        const frames = decodeWatchFrames(data);
        // The subject names the host and stream; a message claiming another is not trusted.
        if (frames.node === host && frames.stream === stream) handlers.frames(frames);
      }),
    );
  }

  private framesSubject(host: string, stream: number): string {
    return `${this.link.prefix}.watch.frames.${host}.${stream}`;
  }

  private subscribe(subject: string, handle: (data: Uint8Array) => void): Subscription {
    return this.link.connection.subscribe(subject, {
      callback: (_error, msg) => {
        try {
          handle(msg.data);
        } catch (error) {
          this.link.logger.log('warn', 'cluster.bad_message', { subject: 'watch', error: error instanceof Error ? error.message.slice(0, 120) : 'unknown' });
        }
      },
    });
  }
}
