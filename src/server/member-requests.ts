// What a joined member may ask of the server, each request handed to the part of the server that
// answers it (routing, keys, presence, rooms, video, files). client-connection.ts checks first
// that the connection has joined; requests that may finish later run through its runRequest, so
// a ChatError they end with goes back to the client as a non-fatal error.
import type { ClientMessage, ServerMessage } from '../core/messages.js';
import type { ConnectionHost, JoinedClient } from './connection-host.js';

/** Every client message but the handshake and the two that need no join (ping, bye). */
export type MemberRequest = Exclude<ClientMessage, { type: 'hello' | 'auth' | 'ping' | 'bye' }>;

/** What the dispatch needs of the connection the request came on. */
export interface MemberSide {
  readonly peer: JoinedClient | undefined;
  readonly ipAddress: string;
  send(message: ServerMessage): boolean;
  /** Runs a request that may finish later; a ChatError it ends with goes back as an error about `ref`. */
  runRequest(run: () => Promise<void> | void, ref?: string): void;
  /** A rotated signed prekey, checked as at hello (throws INVALID_MESSAGE). */
  rotateSignedPrekey(signed: { readonly prekey: string; readonly prekeySig: string }): void;
}

export function handleMemberRequest<C extends MemberSide>(connection: C, host: ConnectionHost<C>, message: MemberRequest): void {
  switch (message.type) {
    case 'send':
      return host.route(connection, message);
    case 'send-batch':
      // Each DM as its own send (and ack), in order; flood control counted the frame once.
      for (const send of message.sends) host.route(connection, send);
      return;
    case 'away':
      return host.setAway(connection, message.message);
    case 'keys':
      return connection.runRequest(async () => {
        connection.send({ type: 'key-bundles', bundles: await host.keyBundles(connection.peer!.name, message.names, connection.ipAddress) });
      });
    case 'follow':
      return host.follow(connection, message.names);
    case 'prekeys':
      if (message.signed !== undefined) {
        connection.rotateSignedPrekey(message.signed);
        host.signedPrekeyChanged(connection, message.signed);
      }
      return host.addOneTimePrekeys(connection, message.oneTime);
    case 'received':
      return host.received(connection, message.ids, message.unreadable ?? [], message.from, message.held ?? [], message.discarded ?? []);
    case 'received-batch':
      // Each as its own `received`, in order; flood control counted the frame once.
      for (const each of message.received) host.received(connection, each.ids, each.unreadable ?? [], each.from, each.held ?? [], each.discarded ?? []);
      return;
    case 'list-videos':
    case 'poster':
    case 'play':
    case 'stop-video':
    case 'pause-video':
    case 'seek-video':
    case 'resize-video':
      return connection.runRequest(() => host.video(connection, message));
    case 'room-join':
    case 'room-part':
    case 'room-topic':
    case 'room-invite':
    case 'room-kick':
    case 'room-mode':
    case 'list-rooms':
      return connection.runRequest(() => host.room(connection, message));
    case 'file-offer':
    case 'file-get':
    case 'file-done':
    case 'file-withdraw':
      return connection.runRequest(() => host.file(connection, message), message.file);
  }
}
