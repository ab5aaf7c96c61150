// Every limit a peer can push against, with its default and the reason for it. Each has a flag on
// `tui-chat serve` (see src/cli/serve-command.ts); docs/PROTOCOL.md lists them too.

export interface ServerLimits {
  /**
   * Largest CONTROL frame body a client may send. Default 64 KiB: the longest message (8,000
   * characters, up to 32 KB of UTF-8, ~43 KB as base64 ciphertext) plus its header and a room's
   * recipient names (~20 bytes each with sender keys). Checked on the 5-byte header, before any of
   * the body is buffered.
   */
  readonly maxControlFrameBytes: number;
  /** Largest MEDIA frame the server will send (video). Default 1 MiB: a 240x134 raw RGB frame is 96 KiB. */
  readonly maxMediaFrameBytes: number;
  /** Time from TCP accept to a completed join. Default 10 s: a join is two round trips and one RSA signature. */
  readonly handshakeTimeoutMs: number;
  /**
   * Bytes waiting to go out to one client (socket buffer plus our queue) before it is dropped as a
   * slow reader. Default 4 MiB: about 4,000 room messages, far beyond any reader that is keeping up.
   */
  readonly maxQueueBytes: number;
  /**
   * Connections at once, joined or still handshaking. Default 10,000 (was 400, then 2,000), from the
   * join-scale bench on two cores (docs/BENCHMARKS.md): ~20 KiB per connection, and a join costs
   * the same at 10,000 users as at 1,000 (presence past fullPresenceMaxUsers goes to followers), so
   * everyone reconnecting after a restart is admitted in about two minutes. Each connection is an
   * open file: `serve` warns at start when the process may not open that many.
   */
  readonly maxClients: number;
  /**
   * Video streams at once, one ffmpeg each. Default 32: measured in docs/BENCHMARKS.md, two cores
   * keep well over this many 80x24-cell streams at 30 fps.
   */
  readonly maxStreams: number;
  /** Connections at once from one IP address. Default 16: a household or office behind one NAT. */
  readonly maxClientsPerAddress: number;
  /**
   * Flood control, per connection: messages a second and the burst allowed above that rate.
   * Defaults 20/s with a burst of 60: a paste of 20 lines goes through at once, a flood is slowed.
   * A client over its budget is not kicked: the server stops reading from it until the budget
   * refills, so TCP pushes back on the sender and nothing it sent is lost.
   */
  readonly messagesPerSecond: number;
  readonly messageBurst: number;
  /** The same for bytes: default 256 KiB/s with a 1 MiB burst (a burst of ~20 of the longest messages). */
  readonly bytesPerSecond: number;
  readonly byteBurst: number;
  /**
   * A joined client that sends nothing for this long is dropped. Default 120 s; clients send a
   * ping every 30 s when otherwise quiet, so only dead peers (and half-open sockets) hit it.
   */
  readonly idleTimeoutMs: number;
  /**
   * Messages kept for one user who is away, and their bytes. Defaults 1,000 and 8 MiB: a working
   * week of a busy team's room; past either, the sender is told the message was not stored.
   */
  readonly maxStoredPerUser: number;
  readonly maxStoredBytesPerUser: number;
  /**
   * Fair shares of the store (docs/SECURITY.md "Fair shares"): names and keys are free, so no one
   * sender may fill a mailbox or the store. Messages one sender may have waiting for one recipient:
   * 250 when the recipient wrote to them (a DM) or shares a named room with them, 50 otherwise
   * (a stranger; the lobby counts as no shared room). So a mailbox (1,000) takes four contacts, or
   * twenty strangers, to fill, and a stranger's weekend of lobby chatter still reaches the away.
   */
  readonly maxStoredPerSender: number;
  readonly maxStoredFromStranger: number;
  /**
   * Bytes one sender may keep across all recipients: 32 MiB (1/32 of the default store), and 2 MiB
   * while its name is younger than newcomerMs (3 days). One address keeps at most
   * maxStoredBytesPerAddress (64 MiB) whatever names it uses, so filling the 1 GiB store takes
   * sixteen addresses, and a thousand fresh names (200 addresses' day of registrations) 2 MiB each.
   */
  readonly maxStoredBytesPerSender: number;
  readonly maxStoredBytesPerNewcomer: number;
  readonly maxStoredBytesPerAddress: number;
  readonly newcomerMs: number;
  /**
   * Names one key may hold (3: a person with a second name for a bot) and names one address may
   * register a day (5: a household or office behind one NAT adds a few people a day). One key from
   * one address registered 510 names in 4.8 s before; now a day gives it 3.
   */
  readonly maxNamesPerKey: number;
  readonly maxNamesPerAddress: number;
  /**
   * A name joined only once and unused this long is released: 7 days (names made and dropped, by
   * hand or by the hundred, do not hold the census or the namespace for 180 days).
   */
  readonly unusedRegistrationTtlMs: number;
  /**
   * One-time prekeys of one user handed to one requester (by name) and to one address, a day: 3
   * and 10. A session needs one; past the ration a bundle comes without one (X3DH from the signed
   * prekey), so one stranger cannot drain a user's pool (100 were taken in one request before).
   */
  readonly oneTimePrekeysPerRequester: number;
  readonly oneTimePrekeysPerAddress: number;
  /**
   * Named rooms one address may create a day: 10. Room names are a shared namespace capped at
   * maxRooms; 50 rooms for each of a few hundred fresh names would take all of it.
   */
  readonly maxRoomsCreatedPerAddress: number;
  /**
   * One-time prekeys kept per user, handed out one per bundle (protocol v4). Default 100
   * (Signal's clients upload 100): past it an upload is ignored; with none left, sessions start
   * from the signed prekey alone.
   */
  readonly maxOneTimePrekeys: number;
  /** Bytes of stored messages for everyone together. Default 1 GiB. */
  readonly maxStoreBytes: number;
  /** How long a stored message waits for its recipient. Default 7 days; then it expires and the sender is told. */
  readonly retentionMs: number;
  /** A registered name unused this long is released. Default 180 days. */
  readonly registrationTtlMs: number;
  /**
   * Named rooms one user may be in at once. Default 50: weechat users with a busy IRC network
   * sit in a few dozen channels; each room the user is in rides in their welcome.
   */
  readonly maxRoomsPerUser: number;
  /**
   * Members one named room may have. Default 1,000: each room message is fanned out (and stored
   * for those away) once per member, and each membership change rotates every member's chain.
   */
  readonly maxRoomMembers: number;
  /** Named rooms on the server (on a cluster: in all). Default 10,000: every node keeps them all in memory. */
  readonly maxRooms: number;
  /**
   * While the server has at most this many users (online or registered), a new connection is told
   * of everyone: its welcome lists them all and it hears every join. Past it, a connection hears of
   * its room-mates and whom it follows, and the welcome counts the rest. Default 500: a team sees
   * its whole roster, and a join never costs more than telling 500 connections (docs/BENCHMARKS.md).
   */
  readonly fullPresenceMaxUsers: number;
  /**
   * Users one connection may follow (`follow`, room-mates at welcome). Default 1,000: bounds the
   * server's memory per connection; past it the longest-followed is let go.
   */
  readonly maxFollowed: number;
  /** Largest file one may send (plaintext bytes). Default 100 MiB. */
  readonly maxFileBytes: number;
  /**
   * Bytes of files one sender keeps on the server at once (until everyone they were for has
   * them, or they expire after the retention time). Default 256 MiB; a newcomer (see newcomerMs)
   * 16 MiB: a thousand fresh names could ask for 16 GiB, and the total (4 GiB) and the address's
   * share stop them long before.
   */
  readonly maxFileStoreBytesPerSender: number;
  readonly maxFileStoreBytesPerNewcomer: number;
  /** Bytes of files kept for senders from one address. Default 512 MiB. */
  readonly maxFileStoreBytesPerAddress: number;
  /** Bytes of files kept for everyone together. Default 4 GiB. */
  readonly maxFileStoreBytes: number;
  /** File chunks one connection may upload, bytes a second (apart from chat's flood control). Default 64 MiB/s, burst 8 MiB. */
  readonly fileBytesPerSecond: number;
  readonly fileByteBurst: number;
  /**
   * Bytes of `send-batch` frames (DMs written in one turn: a room's key handovers, ~1.4 KB a
   * member) one connection may send a second, apart from chat's. Default 1 MiB/s, burst 8 MiB: a
   * 5,000-member room's handovers at once. Each entry goes to one member (no fan-out).
   */
  readonly batchBytesPerSecond: number;
  readonly batchByteBurst: number;
}

export const DEFAULT_SERVER_LIMITS: ServerLimits = {
  maxControlFrameBytes: 64 * 1024,
  maxMediaFrameBytes: 1024 * 1024,
  handshakeTimeoutMs: 10_000,
  maxQueueBytes: 4 * 1024 * 1024,
  maxClients: 10_000,
  maxStreams: 32,
  maxClientsPerAddress: 16,
  messagesPerSecond: 20,
  messageBurst: 60,
  bytesPerSecond: 256 * 1024,
  byteBurst: 1024 * 1024,
  idleTimeoutMs: 120_000,
  maxStoredPerUser: 1000,
  maxOneTimePrekeys: 100,
  maxStoredBytesPerUser: 8 * 1024 * 1024,
  maxStoredPerSender: 250,
  maxStoredFromStranger: 50,
  maxStoredBytesPerSender: 32 * 1024 * 1024,
  maxStoredBytesPerNewcomer: 2 * 1024 * 1024,
  maxStoredBytesPerAddress: 64 * 1024 * 1024,
  newcomerMs: 3 * 24 * 3600_000,
  maxNamesPerKey: 3,
  maxNamesPerAddress: 5,
  unusedRegistrationTtlMs: 7 * 24 * 3600_000,
  oneTimePrekeysPerRequester: 3,
  oneTimePrekeysPerAddress: 10,
  maxRoomsCreatedPerAddress: 10,
  maxStoreBytes: 1024 * 1024 * 1024,
  retentionMs: 7 * 24 * 3600_000,
  registrationTtlMs: 180 * 24 * 3600_000,
  maxRoomsPerUser: 50,
  maxRoomMembers: 1000,
  maxRooms: 10_000,
  fullPresenceMaxUsers: 500,
  maxFollowed: 1000,
  maxFileBytes: 100 * 1024 * 1024,
  maxFileStoreBytesPerSender: 256 * 1024 * 1024,
  maxFileStoreBytesPerNewcomer: 16 * 1024 * 1024,
  maxFileStoreBytesPerAddress: 512 * 1024 * 1024,
  maxFileStoreBytes: 4 * 1024 * 1024 * 1024,
  fileBytesPerSecond: 64 * 1024 * 1024,
  fileByteBurst: 8 * 1024 * 1024,
  batchBytesPerSecond: 1024 * 1024,
  batchByteBurst: 8 * 1024 * 1024,
};
