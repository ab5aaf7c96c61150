// A malicious server for client specs: it follows the join handshake with the given peers, then
// sends whatever the test scripts from the client's hello (which carries the client's prekey).
import { type Server, createServer } from 'node:net';
import type { TestContext } from 'node:test';
import { type MessageKeySource, sealEnvelope } from '../../src/core/envelope.js';
import { type X25519KeyPair, generateX25519 } from '../../src/core/double-ratchet.js';
import { initiateSession } from '../../src/core/session-start.js';
import { FrameDecoder } from '../../src/core/frame-decoder.js';
import { FrameType } from '../../src/core/frame-types.js';
import type { Identity } from '../../src/core/identity.js';
import { decodeClientMessage, encodeMessage } from '../../src/core/message-codec.js';
import type { ClientMessage, HelloMessage, PeerSummary, ServerMessage } from '../../src/core/messages.js';
import { buildHello } from '../../src/core/prekey.js';
import { SenderKeyChain } from '../../src/core/sender-key.js';

export type ScriptedPeer = [name: string, identity: Identity, prekey?: X25519KeyPair];

export interface ScriptedServerOptions {
  /** The name the welcome gives the client; default the name it asked for. */
  readonly welcomeName?: string;
  /** The welcome's media limit; default 1 MiB. */
  readonly maxMediaFrameBytes?: number;
  /** Say nothing at all after the hello (a stalled server). */
  readonly silent?: boolean;
}

/** A peer as it would announce itself (prekey signed by its key), so a client lists it. */
export function peerSummary([name, identity, prekey]: ScriptedPeer): PeerSummary {
  const hello = buildHello(identity, name, prekey ?? generateX25519());
  return { name, publicKey: identity.publicKeyBase64, prekey: hello.prekey, prekeySig: hello.prekeySig, fingerprint: identity.fingerprint, joinedAt: 1 };
}

export interface ScriptedServer {
  readonly port: number;
  /** Everything the client sent, decoded. */
  readonly received: ClientMessage[];
  /** Sends more to the joined client (messages, or raw bytes). */
  send(message: ServerMessage | Buffer): void;
}

export async function startScriptedServer(
  t: TestContext,
  peers: ScriptedPeer[] | PeerSummary[],
  script: (hello: HelloMessage) => Array<ServerMessage | Buffer> = () => [],
  options: ScriptedServerOptions = {},
): Promise<ScriptedServer> {
  const received: ClientMessage[] = [];
  const summaries = peers.map((peer) => (Array.isArray(peer) ? peerSummary(peer) : peer));
  let joined: ((message: ServerMessage | Buffer) => void) | undefined;
  const evil: Server = createServer((socket) => {
    const decoder = new FrameDecoder({ [FrameType.CONTROL]: 1 << 20 });
    const send = (message: ServerMessage | Buffer) => socket.write(Buffer.isBuffer(message) ? message : encodeMessage(message));
    let hello: HelloMessage | undefined;
    socket.on('data', (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        const message = decodeClientMessage(frame.body);
        received.push(message);
        if (options.silent === true) continue;
        if (message.type === 'hello') {
          hello = message;
          send({ type: 'challenge', nonce: 'AAAA' });
        }
        if (message.type === 'auth') {
          send({
            type: 'welcome',
            name: options.welcomeName ?? hello!.name,
            peers: summaries,
            limits: { maxControlFrameBytes: 1 << 18, maxMediaFrameBytes: options.maxMediaFrameBytes ?? 1 << 20 },
          });
          joined = send;
          for (const delivery of script(hello!)) send(delivery);
        }
      }
    });
    socket.on('error', () => {});
  });
  await new Promise<void>((resolve) => evil.listen(0, '127.0.0.1', resolve));
  t.after(() => evil.close());
  return {
    port: (evil.address() as { port: number }).port,
    received,
    send: (message) => {
      if (joined === undefined) throw new Error('no client has joined the scripted server yet');
      joined(message);
    },
  };
}

/**
 * Plays a peer towards the client "bob": hands over its room sender key through the ratchet,
 * then seals room messages (or junk handovers, for the hostile-member specs).
 */
export function playPeer(name: string, identity: Identity, prekey: X25519KeyPair, bobHello: HelloMessage) {
  const ratchet = initiateSession({ name, spk: prekey }, { name: bobHello.name, spk: Buffer.from(bobHello.prekey, 'base64') });
  let chain = new SenderKeyChain();
  // Granted as of the chain's start, whenever the handover is sealed.
  let grant = chain.grant();
  let dmSeq = 0;
  const seal = (to: string | null, body: unknown, seq: number, key: MessageKeySource) =>
    sealEnvelope({
      senderName: name,
      senderKey: identity.privateKey,
      chain: 'c',
      seq,
      to,
      plaintext: Buffer.from(JSON.stringify(body)),
      ...(key as MessageKeySource),
    });
  return {
    handover: (): ServerMessage => ({
      type: 'message',
      from: name,
      to: bobHello.name,

      envelope: seal(bobHello.name, { senderKey: grant }, dmSeq++, { ratchet: ratchet.nextSendingKey() }),
    }),
    /** Starts a fresh sender-key chain (the next handover grants it). */
    rotate: () => {
      chain = new SenderKeyChain();
      grant = chain.grant();
    },
    /** A room message; `skip` steps the chain first, so the receiver must hold that many keys. */
    room: (text: string, seq: number, skip = 0): ServerMessage => {
      for (let i = 0; i < skip; i++) chain.next();
      return { type: 'message', from: name, to: null, envelope: seal(null, { text }, seq, { roomKey: chain.next() }) };
    },
  };
}
