// Watching together across a cluster. A room's stream runs once, on the node where it was started
// (its host); members on other nodes watch it through the broker:
// - The host announces the stream (started, paused, ..., over) to every node; each keeps where the
//   room's stream runs and tells its own members of the room, so every node hears every event.
// - A viewer on another node joins through its node, which asks the host; the host adds one
//   RemoteViewer for them to the room's SharedStream (sizes are chosen for every viewer in one
//   place), sends their start, status and end to their node, and publishes each frame once, at the
//   sizes viewers elsewhere are sent; the broker copies it once per following node, and each node
//   hands it to its own viewers.
// - Pause, seek and stop from a member on any node go to the host, which checks control by name
//   as for its own members.
// - A host that goes away (its lease runs out) ends the stream for the viewers elsewhere, who are
//   told why; a viewer node that goes away is taken out of the host's stream.
import type { Logger } from '../../core/logger.js';
import type { ServerMessage, WatchEventMessage } from '../../core/messages.js';
import { roomKey } from '../../core/room-names.js';
import type { ClientConnection } from '../client-connection.js';
import type { WatchChannel } from '../cluster/cluster-bus.js';
import type { ViewerMessage, WatchAnnouncement, WatchFrames, WatchRequest, WatchViewerMessage } from '../cluster/watch-wire.js';
import type { SharedStream, StreamViewer } from './shared-stream.js';
import type { FrameSize } from './video-stream.js';

/** A room stream running on another node, as its announcements describe it. */
export interface RemoteStream {
  readonly node: string;
  readonly room: string;
  readonly stream: number;
  readonly video: string;
  readonly startedBy: string;
}

export type RemoteControl =
  | { readonly kind: 'pause'; readonly paused: boolean }
  | { readonly kind: 'seek'; readonly deltaMs: number }
  | { readonly kind: 'stop' };

/** What the watch needs of the node's video service. */
export interface WatchHost {
  readonly logger: Logger;
  /** The room's stream running on this node, if its id is `stream`. */
  localStream(room: string, stream: number): SharedStream | undefined;
  /** A control from a member on another node, checked by their name as for a member here. */
  control(shared: SharedStream, by: string, control: RemoteControl): void;
  /** Tells this node's members of the room. */
  tellRoom(room: string, event: WatchEventMessage): void;
}

/** On the host: one viewer on another node, reached through that node. */
class RemoteViewer implements StreamViewer {
  readonly onOtherNode = true;

  constructor(
    private readonly channel: WatchChannel,
    readonly node: string,
    readonly viewer: number,
    readonly shared: SharedStream,
  ) {}

  send(message: ServerMessage): void {
    if (message.type === 'stream-start' || message.type === 'stream-status' || message.type === 'stream-end') {
      this.channel.toViewer(this.node, { viewer: this.viewer, message });
    }
  }

  sendMedia(frame: Buffer): number {
    return this.channel.toViewer(this.node, { viewer: this.viewer, media: frame }) ? 0 : 1;
  }
}

/** On a viewer's node: one member here watching a stream hosted elsewhere. */
interface LocalViewer {
  readonly id: number;
  readonly connection: ClientConnection;
  readonly remote: RemoteStream;
  /** The size the host sends this viewer (from its stream-start); frames of other sizes are not theirs. */
  size: FrameSize | undefined;
}

export class ClusterWatch {
  /** Room key -> the stream another node runs for it. */
  private readonly remoteStreams = new Map<string, RemoteStream>();
  private readonly viewers = new Map<ClientConnection, LocalViewer>();
  private readonly viewersById = new Map<number, LocalViewer>();
  private nextViewerId = 1;
  /** On the host: viewers on other nodes, by "node/viewer". */
  private readonly remoteViewers = new Map<string, RemoteViewer>();

  constructor(
    private readonly channel: WatchChannel,
    private readonly nodeId: string,
    private readonly host: WatchHost,
  ) {
    channel.listen({
      announced: (announcement) => this.onAnnouncement(announcement),
      requested: (request) => this.onRequest(request),
      viewerMessage: (message) => this.onViewerMessage(message),
      frames: (frames) => this.onFrames(frames),
    });
  }

  // ---- the host's side -------------------------------------------------------------------------

  /** Tells every other node what happened to a stream running here (or, without an event, that it is over). */
  announce(shared: SharedStream, event: WatchEventMessage | undefined, running: boolean): void {
    this.channel.announce({
      node: this.nodeId,
      room: shared.room,
      stream: shared.id,
      video: shared.info.name,
      startedBy: shared.startedBy,
      ...(event === undefined ? {} : { event }),
      running,
    });
    if (!running) for (const [key, viewer] of this.remoteViewers) if (viewer.shared === shared) this.remoteViewers.delete(key);
  }

  /** One frame for every viewer elsewhere: published once. */
  broadcast(shared: SharedStream, frames: readonly Buffer[], sizes: readonly FrameSize[]): void {
    this.channel.publishFrames({ node: this.nodeId, stream: shared.id, sizes, frames });
  }

  private onRequest(request: WatchRequest): void {
    const shared = this.host.localStream(request.room, request.stream);
    if (request.kind === 'join' || request.kind === 'resize' || request.kind === 'leave') {
      const key = `${request.node}/${request.viewer}`;
      if (request.kind === 'leave') {
        const viewer = this.remoteViewers.get(key);
        this.remoteViewers.delete(key);
        if (viewer !== undefined) viewer.shared.leave(viewer);
        return;
      }
      if (shared === undefined) {
        const end: ViewerMessage = { type: 'stream-end', stream: request.stream, reason: 'error', message: 'that stream is over', sent: 0, dropped: 0 };
        this.channel.toViewer(request.node, { viewer: request.viewer, message: end });
        return;
      }
      const box = { width: request.width, height: request.height };
      const known = this.remoteViewers.get(key);
      if (known !== undefined) return known.shared.resize(known, box);
      const viewer = new RemoteViewer(this.channel, request.node, request.viewer, shared);
      this.remoteViewers.set(key, viewer);
      shared.add(viewer, box);
      return;
    }
    if (shared === undefined) return;
    const control: RemoteControl =
      request.kind === 'pause'
        ? { kind: 'pause', paused: request.paused }
        : request.kind === 'seek'
          ? { kind: 'seek', deltaMs: request.deltaMs }
          : { kind: 'stop' };
    try {
      this.host.control(shared, request.by, control);
    } catch (error) {
      // The viewer's node checked control before asking; a refusal here means the room changed meanwhile.
      this.host.logger.log('warn', 'video.remote_control_refused', {
        stream: shared.id,
        error: error instanceof Error ? error.message.slice(0, 120) : 'unknown',
      });
    }
  }

  // ---- a viewer's node -------------------------------------------------------------------------

  /** The stream another node runs for `room`, if any. */
  remoteStream(room: string): RemoteStream | undefined {
    return this.remoteStreams.get(roomKey(room));
  }

  /** The remote stream `connection` watches, if it is `stream`. */
  watched(connection: ClientConnection, stream?: number): RemoteStream | undefined {
    const viewer = this.viewers.get(connection);
    return viewer === undefined || (stream !== undefined && viewer.remote.stream !== stream) ? undefined : viewer.remote;
  }

  join(connection: ClientConnection, remote: RemoteStream, box: FrameSize): void {
    const known = this.viewers.get(connection);
    if (known !== undefined && known.remote === remote) return this.resize(connection, box);
    this.leave(connection);
    const viewer: LocalViewer = { id: this.nextViewerId++, connection, remote, size: undefined };
    this.viewers.set(connection, viewer);
    this.viewersById.set(viewer.id, viewer);
    this.channel.follow(remote.node, remote.stream, true);
    this.request(viewer, 'join', box);
  }

  resize(connection: ClientConnection, box: FrameSize): void {
    const viewer = this.viewers.get(connection);
    if (viewer !== undefined) this.request(viewer, 'resize', box);
  }

  /** The member stops watching (closed it, left the room, went away): the host hears, they are told. */
  leave(connection: ClientConnection, message = 'you stopped watching'): void {
    const viewer = this.viewers.get(connection);
    if (viewer === undefined) return;
    this.forget(viewer);
    const { node, room, stream } = viewer.remote;
    this.channel.request(node, { kind: 'leave', node: this.nodeId, viewer: viewer.id, room, stream, by: connection.peer?.name ?? 'nobody' });
    connection.send({ type: 'stream-end', stream, reason: 'stopped', message, sent: 0, dropped: 0 });
  }

  /** Pause, seek or stop for everyone, sent to the host (the caller checked that `by` may). */
  control(remote: RemoteStream, by: string, control: RemoteControl): void {
    this.channel.request(remote.node, { ...control, node: this.nodeId, room: remote.room, stream: remote.stream, by } as WatchRequest);
  }

  /** Another node is gone: the streams it ran end for their viewers here, who are told why. */
  nodeGone(node: string): void {
    for (const [key, remote] of this.remoteStreams) if (remote.node === node) this.remoteStreams.delete(key);
    for (const viewer of [...this.viewers.values()]) {
      if (viewer.remote.node !== node) continue;
      this.forget(viewer);
      viewer.connection.send({
        type: 'stream-end',
        stream: viewer.remote.stream,
        reason: 'error',
        message: `the server running ${viewer.remote.video} for ${viewer.remote.room} went away`,
        sent: 0,
        dropped: 0,
      });
    }
    for (const [key, viewer] of this.remoteViewers) {
      if (viewer.node !== node) continue;
      this.remoteViewers.delete(key);
      viewer.shared.leave(viewer);
    }
  }

  private request(viewer: LocalViewer, kind: 'join' | 'resize', box: FrameSize): void {
    const { node, room, stream } = viewer.remote;
    const by = viewer.connection.peer?.name ?? 'nobody';
    if (!this.channel.request(node, { kind, node: this.nodeId, viewer: viewer.id, room, stream, by, ...box })) {
      this.forget(viewer);
      viewer.connection.send({ type: 'stream-end', stream, reason: 'error', message: 'the cluster link is down: try again shortly', sent: 0, dropped: 0 });
    }
  }

  private forget(viewer: LocalViewer): void {
    this.viewers.delete(viewer.connection);
    this.viewersById.delete(viewer.id);
    const { node, stream } = viewer.remote;
    if (![...this.viewers.values()].some((other) => other.remote.node === node && other.remote.stream === stream)) this.channel.follow(node, stream, false);
  }

  private onAnnouncement(announcement: WatchAnnouncement): void {
    if (announcement.node === this.nodeId) return;
    const key = roomKey(announcement.room);
    const { node, room, stream, video, startedBy } = announcement;
    if (announcement.running) {
      const known = this.remoteStreams.get(key);
      if (known?.node !== node || known.stream !== stream) this.remoteStreams.set(key, { node, room, stream, video, startedBy });
    } else if (this.remoteStreams.get(key)?.stream === stream && this.remoteStreams.get(key)?.node === node) {
      this.remoteStreams.delete(key);
    }
    if (announcement.event !== undefined) this.host.tellRoom(room, announcement.event);
  }

  private onViewerMessage(delivery: WatchViewerMessage): void {
    const viewer = this.viewersById.get(delivery.viewer);
    if (viewer === undefined) return;
    if ('media' in delivery) {
      viewer.connection.sendMedia(delivery.media);
      return;
    }
    const message = delivery.message;
    if (message.stream !== viewer.remote.stream) return;
    if (message.type === 'stream-start') viewer.size = { width: message.width, height: message.height };
    if (message.type === 'stream-end') this.forget(viewer);
    viewer.connection.send(message);
  }

  private onFrames(tick: WatchFrames): void {
    for (const viewer of this.viewers.values()) {
      if (viewer.remote.node !== tick.node || viewer.remote.stream !== tick.stream || viewer.size === undefined) continue;
      const at = tick.sizes.findIndex((size) => size.width === viewer.size!.width && size.height === viewer.size!.height);
      if (at >= 0) viewer.connection.sendMedia(tick.frames[at]!);
    }
  }
}
